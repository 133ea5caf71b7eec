//! An in-process emulator, and the REST calls the tests make on it (desired updates, faults).

#![allow(dead_code)] // each test file uses some of these

use std::sync::Arc;
use std::time::Duration;

use iothub_twin::auth::{SasToken, ServiceAuth, ServiceConnectionString, unix_time_now};
use iothub_twin::tls::{Trust, client_config};
use iothub_twin::{DeviceClientOptions, RetryPolicy};
use iothub_twin_emulator::{EmulatorConfig, RunningEmulator};
use reqwest::Method;
use serde_json::{Value, json};

pub(crate) struct Hub {
    pub(crate) emulator: RunningEmulator,
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Hub {
    pub(crate) async fn start() -> Self {
        let emulator = RunningEmulator::start(EmulatorConfig::ephemeral())
            .await
            .unwrap();
        let cs: ServiceConnectionString = emulator.service_connection_string().parse().unwrap();
        let ServiceAuth::SharedAccessKey(key) = &cs.auth else {
            unreachable!()
        };
        let token = SasToken::generate(
            &cs.host_name.to_string(),
            key,
            Some(&cs.key_name),
            unix_time_now() + 3600,
        );
        let tls = client_config(
            &Trust::Pem(emulator.ca_cert_pem.clone()),
            &[b"http/1.1"],
            None,
        )
        .unwrap();
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(Arc::unwrap_or_clone(tls))
            .build()
            .unwrap();
        Self {
            base: format!("https://{}", cs.host_name),
            token: token.expose_secret().to_owned(),
            emulator,
            http,
        }
    }

    pub(crate) async fn rest(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut request = self
            .http
            .request(
                method,
                format!("{}{path}{sep}api-version=2021-04-12", self.base),
            )
            .header("authorization", &self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (
            status,
            if text.is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).unwrap()
            },
        )
    }

    /// PUT with `If-Match: "*"` (an unconditional update).
    pub(crate) async fn rest_with_if_match(
        &self,
        method: Method,
        path: &str,
        body: Value,
    ) -> Value {
        let response = self
            .http
            .request(
                method,
                format!("{}{path}?api-version=2021-04-12", self.base),
            )
            .header("authorization", &self.token)
            .header("if-match", "\"*\"")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{}", response.status());
        response.json().await.unwrap()
    }

    /// Creates a SAS device; returns its connection string.
    pub(crate) async fn device(&self, id: &str) -> String {
        let (status, _) = self
            .rest(Method::PUT, &format!("/devices/{id}"), Some(json!({})))
            .await;
        assert_eq!(status, 200);
        self.emulator.device_connection_string(id).unwrap()
    }

    pub(crate) async fn patch_desired(&self, id: &str, desired: Value) -> u64 {
        let (status, twin) = self
            .rest(
                Method::PATCH,
                &format!("/twins/{id}"),
                Some(json!({"properties": {"desired": desired}})),
            )
            .await;
        assert_eq!(status, 200, "{twin}");
        twin["properties"]["desired"]["$version"].as_u64().unwrap()
    }

    pub(crate) async fn twin(&self, id: &str) -> Value {
        self.rest(Method::GET, &format!("/twins/{id}"), None)
            .await
            .1
    }

    pub(crate) async fn faults(&self, faults: Value) {
        assert_eq!(
            self.rest(Method::PUT, "/emulator/faults", Some(faults))
                .await
                .0,
            200
        );
    }

    pub(crate) async fn drop_connection(&self, id: &str) {
        assert_eq!(
            self.rest(Method::DELETE, &format!("/emulator/connections/{id}"), None)
                .await
                .0,
            204
        );
    }

    /// Client options for this hub: its CA, fast reconnects, a short deadline.
    pub(crate) fn options(&self) -> DeviceClientOptions {
        DeviceClientOptions {
            trust: Trust::Pem(self.emulator.ca_cert_pem.clone()),
            reconnect: RetryPolicy {
                initial_delay: Duration::from_millis(50),
                max_delay: Duration::from_millis(400),
                ..RetryPolicy::default()
            },
            operation_timeout: Duration::from_secs(10),
            ..DeviceClientOptions::default()
        }
    }
}
