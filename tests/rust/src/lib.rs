//! End-to-end tests of the core clients against the in-process emulator live in `tests/`;
//! this library holds what they share. The core's golden-vector tests are in `core/tests/`.

use std::sync::atomic::{AtomicU32, Ordering};

use iothub_twin::tls::Trust;
use iothub_twin::{ServiceClient, ServiceClientOptions};
use iothub_twin_emulator::{EmulatorConfig, RunningEmulator};

/// An emulator (in memory, free ports) and a service client for it.
#[derive(Debug)]
pub struct Hub {
    /// The emulator.
    pub emulator: RunningEmulator,
    /// A client with the owner policy's connection string and default options.
    pub client: ServiceClient,
}

impl Hub {
    /// Starts an ephemeral emulator.
    pub async fn start() -> Self {
        Self::start_with(EmulatorConfig::ephemeral()).await
    }

    /// Starts an emulator with `config`.
    pub async fn start_with(config: EmulatorConfig) -> Self {
        let emulator = RunningEmulator::start(config)
            .await
            .expect("the emulator starts");
        let client = Self::client_for(&emulator, ServiceClientOptions::default());
        Self { emulator, client }
    }

    /// Options trusting the emulator's CA, on top of `base`.
    pub fn options(&self, base: ServiceClientOptions) -> ServiceClientOptions {
        options_for(&self.emulator, base)
    }

    /// Another client from the emulator's service connection string, with `options` (the
    /// emulator's CA is trusted in any case).
    pub fn client(&self, options: ServiceClientOptions) -> ServiceClient {
        Self::client_for(&self.emulator, options)
    }

    fn client_for(emulator: &RunningEmulator, options: ServiceClientOptions) -> ServiceClient {
        ServiceClient::from_connection_string(
            &emulator.service_connection_string(),
            options_for(emulator, options),
        )
        .expect("the emulator's connection string is valid")
    }
}

fn options_for(emulator: &RunningEmulator, base: ServiceClientOptions) -> ServiceClientOptions {
    ServiceClientOptions {
        trust: Trust::Pem(emulator.ca_cert_pem.clone()),
        ..base
    }
}

/// An id no other test in this process uses: `prefix-N`.
pub fn unique_id(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    format!("{prefix}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The user properties of a properties section (without `$metadata` and `$version`).
pub fn user_properties(section: &iothub_twin::twin::TwinCollection) -> serde_json::Value {
    serde_json::Value::Object(section.to_properties())
}
