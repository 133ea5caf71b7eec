//! `MockSender`: answers requests from a script and records what was sent.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::future::BoxFuture;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::auth::SharedAccessKey;
use crate::service::credential::{Credential, SasTokenProvider};
use crate::service::http::{HttpRequest, HttpResponse, HttpSend, TransportError};
use crate::service::{ServiceClient, ServiceClientOptions};

/// One scripted answer.
pub(super) enum Scripted {
    Respond(HttpResponse),
    Fail(&'static str),
    /// Never answers (for deadlines).
    Hang,
}

#[derive(Debug, Default)]
pub(super) struct MockSender {
    script: Mutex<VecDeque<Scripted>>,
    sent: Mutex<Vec<HttpRequest>>,
}

impl std::fmt::Debug for Scripted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Scripted")
    }
}

impl MockSender {
    pub(super) fn new(script: impl IntoIterator<Item = Scripted>) -> Arc<Self> {
        Arc::new(Self {
            script: Mutex::new(script.into_iter().collect()),
            sent: Mutex::new(Vec::new()),
        })
    }

    /// Every request sent so far.
    pub(super) fn sent(&self) -> Vec<HttpRequest> {
        self.sent.lock().unwrap().clone()
    }
}

impl HttpSend for MockSender {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        self.sent.lock().unwrap().push(request);
        let next = self
            .script
            .lock()
            .unwrap()
            .pop_front()
            .expect("the client sent more requests than were scripted");
        Box::pin(async move {
            match next {
                Scripted::Respond(response) => Ok(response),
                Scripted::Fail(reason) => Err(TransportError {
                    reason: reason.to_owned(),
                    proxy_refused: false,
                }),
                Scripted::Hang => futures::future::pending().await,
            }
        })
    }
}

/// A response with `status`, `headers` and `body`.
pub(super) fn respond(status: u16, headers: &[(&str, &str)], body: &str) -> Scripted {
    Scripted::Respond(response(status, headers, body))
}

pub(super) fn response(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    HttpResponse {
        status,
        headers: map,
        body: Bytes::from(body.to_owned()),
    }
}

/// `200` with a small twin.
pub(super) fn twin_ok() -> Scripted {
    respond(
        200,
        &[("content-type", "application/json; charset=utf-8")],
        r#"{"deviceId":"d1","etag":"AAAAAAAAAAI=","version":3,"properties":{"desired":{"$version":2},"reported":{"$version":1}}}"#,
    )
}

/// The IoT Hub error body of spec §4.2 with its header.
pub(super) fn hub_error(status: u16, name: &str, extra: &[(&str, &str)]) -> Scripted {
    let mut headers = vec![("iothub-errorcode", name)];
    headers.extend_from_slice(extra);
    respond(
        status,
        &headers,
        &format!(
            r#"{{"Message":"ErrorCode:{name};something happened","ExceptionMessage":"Tracking ID:abc123-G:0-TimeStamp:11/27/2026 10:00:00"}}"#
        ),
    )
}

pub(super) const KEY: &str = "c2VydmljZS1rZXktc2VydmljZS1rZXktc2VydmljZSE=";

/// A client for `myhub.example` signing with a policy key, over `sender`.
pub(super) fn client(sender: &Arc<MockSender>, options: ServiceClientOptions) -> ServiceClient {
    let host = "myhub.example".parse().unwrap();
    let sas = SasTokenProvider::new(
        &host,
        "iothubowner",
        SharedAccessKey::from_base64(KEY).unwrap(),
        options.sas_token_ttl,
    )
    .unwrap();
    ServiceClient::with_transport(
        host,
        Credential::Sas(Arc::new(sas)),
        options,
        sender.clone(),
    )
    .unwrap()
}

/// Options with fast, jitter-free retries.
pub(super) fn fast_retries(max_retries: u32) -> ServiceClientOptions {
    let mut options = ServiceClientOptions::default();
    options.retry.jitter = 0.0;
    options.retry.max_retries = Some(max_retries);
    options
}
