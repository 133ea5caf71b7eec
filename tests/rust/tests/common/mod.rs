//! An in-process emulator, and the REST calls the tests make on it (desired updates, faults).

#![allow(dead_code)] // each test file uses some of these

use std::time::Duration;

use iothub_twin::tls::Trust;
use iothub_twin::{DeviceClientOptions, RetryPolicy};
use iothub_twin_emulator::{EmulatorConfig, RunningEmulator};
use iothub_twin_test_support::Service;
use reqwest::Method;
use serde_json::{Value, json};

pub(crate) struct Hub {
    pub(crate) emulator: RunningEmulator,
    http: Service,
}

impl Hub {
    pub(crate) async fn start() -> Self {
        let emulator = RunningEmulator::start(EmulatorConfig::ephemeral())
            .await
            .unwrap();
        let http = Service::new(&emulator.service_connection_string(), &emulator.ca_cert_pem);
        Self { emulator, http }
    }

    pub(crate) async fn rest(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.http
            .send(method, path, body.as_ref(), None)
            .await
            .unwrap()
    }

    /// PUT with `If-Match: "*"` (an unconditional update).
    pub(crate) async fn rest_with_if_match(
        &self,
        method: Method,
        path: &str,
        body: Value,
    ) -> Value {
        let (status, answer) = self
            .http
            .send(method, path, Some(&body), Some("*"))
            .await
            .unwrap();
        assert!((200..300).contains(&status), "{status}");
        answer
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
