//! A router on an in-memory store, and helpers to call it as an SDK would.

use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode};
use iothub_twin::auth::{SasToken, unix_time_now};
use serde_json::Value;
use tower::ServiceExt as _;

use crate::policies::Policies;
use crate::rest::router;
use crate::store::Store;

pub(super) const HOST: &str = "localhost";
pub(super) const ENTRA: &str = "entra-test-token";

pub(super) struct Hub {
    pub(super) state: Arc<crate::hub::Hub>,
}

pub(super) struct Reply {
    pub(super) status: StatusCode,
    pub(super) headers: HeaderMap,
    pub(super) body: Value,
}

impl Reply {
    /// The IoT Hub error name from `Message: "ErrorCode:<Name>;…"`, checked against the header.
    pub(super) fn error_code(&self) -> String {
        let message = self.body["Message"]
            .as_str()
            .unwrap_or_else(|| panic!("no Message in {}", self.body));
        let name = message
            .strip_prefix("ErrorCode:")
            .and_then(|rest| rest.split(';').next())
            .unwrap_or_else(|| panic!("bad Message {message}"));
        assert_eq!(
            self.headers["iothub-errorcode"], name,
            "header and body disagree"
        );
        assert!(
            self.body["ExceptionMessage"]
                .as_str()
                .unwrap()
                .starts_with("Tracking ID:"),
            "{}",
            self.body
        );
        assert_eq!(
            self.headers["content-type"],
            "application/json; charset=utf-8"
        );
        name.to_owned()
    }
}

impl Hub {
    pub(super) fn new() -> Self {
        let (store, policies) = Store::open(None).unwrap();
        Self::with(store, policies)
    }

    pub(super) fn with(store: Store, policies: Policies) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let tls = crate::tls::TlsMaterial::load_or_create(dir.path(), HOST).unwrap();
        Self {
            state: crate::hub::Hub::new(
                store,
                policies,
                HOST.to_owned(),
                Some(ENTRA.to_owned()),
                tls.certificate_authority().unwrap(),
            ),
        }
    }

    /// An `Authorization` value for `policy`, as the Python service SDK builds it.
    pub(super) fn token(&self, policy: &str) -> String {
        let policy = self.state.policies().get(policy).unwrap();
        SasToken::generate(
            HOST,
            &policy.primary_key,
            Some(&policy.name),
            unix_time_now() + 3600,
        )
        .expose_secret()
        .to_owned()
    }

    pub(super) async fn call(&self, method: Method, uri: &str, body: Option<&Value>) -> Reply {
        self.call_with(
            method,
            uri,
            body,
            &[("authorization", &self.token("iothubowner"))],
        )
        .await
    }

    pub(super) async fn call_with(
        &self,
        method: Method,
        uri: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
        self.raw(method, uri, body, headers).await
    }

    pub(super) async fn raw(
        &self,
        method: Method,
        uri: &str,
        body: Body,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request = Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = router(self.state.clone())
            .oneshot(
                request
                    .header("content-type", "application/json; charset=utf-8")
                    .body(body)
                    .unwrap(),
            )
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    pub(super) async fn create_device(&self, id: &str) -> Reply {
        let reply = self
            .call(
                Method::PUT,
                &format!("/devices/{id}?api-version=2021-04-12"),
                Some(&serde_json::json!({"deviceId": id})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply
    }
}

pub(super) fn unix_now() -> u64 {
    unix_time_now()
}
