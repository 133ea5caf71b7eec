//! Option objects (`#[napi(object)]`) and their translation into the core's options.

use std::time::Duration;

use iothub_twin::device::Transport;
use iothub_twin::tls::{ClientCertificate, Trust};
use iothub_twin::{DeviceClientOptions, ServiceClientOptions};
use napi_derive::napi;

use crate::error::invalid_argument;

/// How a device client connects. Durations are seconds.
#[napi(object)]
#[derive(Default)]
pub struct DeviceOptions {
    /// `"mqtt"` (MQTT over TLS, port 8883, the default) or `"mqttWs"` (MQTT over WebSockets,
    /// port 443).
    pub transport: Option<String>,
    /// PEM certificates to trust instead of the system's roots (e.g. the emulator's CA).
    pub ca: Option<String>,
    /// X.509 client certificate chain (PEM), for `x509=true` connection strings.
    pub cert: Option<String>,
    /// The X.509 client certificate's private key (PEM).
    pub key: Option<String>,
    /// Where to connect (`host:port`), overriding `GatewayHostName`/`HostName`.
    pub endpoint: Option<String>,
    /// IoT Plug and Play model id.
    pub model_id: Option<String>,
    /// Appended to the client type the hub records.
    pub product_info: Option<String>,
    /// MQTT keep-alive (default 60).
    pub keep_alive_secs: Option<f64>,
    /// Deadline of every operation (default 60).
    pub operation_timeout_secs: Option<f64>,
    /// Lifetime of SAS tokens made from a key (default 3600); renewed before expiry.
    pub sas_token_ttl_secs: Option<f64>,
}

/// How a service client connects. Durations are seconds.
#[napi(object)]
#[derive(Debug, Default)]
pub struct ServiceOptions {
    /// PEM certificates to trust instead of the system's roots (e.g. the emulator's CA).
    pub ca: Option<String>,
    /// Deadline of each call, retries included (default 60).
    pub timeout_secs: Option<f64>,
    /// Appended to the `User-Agent` header.
    pub product_info: Option<String>,
}

impl std::fmt::Debug for DeviceOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceOptions")
            .field("transport", &self.transport)
            .field("endpoint", &self.endpoint)
            .field("key", &self.key.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

fn seconds(name: &str, value: Option<f64>, default: Duration) -> napi::Result<Duration> {
    match value {
        None => Ok(default),
        Some(secs) => Duration::try_from_secs_f64(secs)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| {
                invalid_argument(format!("{name} must be a positive number of seconds"))
            }),
    }
}

fn trust(ca: Option<String>) -> Trust {
    ca.map_or(Trust::System, Trust::Pem)
}

impl DeviceOptions {
    /// The core's options.
    pub(crate) fn into_core(self) -> napi::Result<DeviceClientOptions> {
        let defaults = DeviceClientOptions::default();
        let transport = match self.transport.as_deref() {
            None | Some("mqtt") => Transport::Mqtt,
            Some("mqttWs") => Transport::MqttWebSockets,
            Some(other) => {
                return Err(invalid_argument(format!(
                    "unknown transport {other:?} (expected \"mqtt\" or \"mqttWs\")"
                )));
            }
        };
        let client_certificate = match (self.cert, self.key) {
            (Some(certificate_pem), Some(private_key_pem)) => Some(ClientCertificate {
                certificate_pem,
                private_key_pem,
            }),
            (None, None) => None,
            _ => return Err(invalid_argument("cert and key must be given together")),
        };
        let endpoint = self
            .endpoint
            .map(|e| e.parse())
            .transpose()
            .map_err(crate::error::to_napi)?;
        Ok(DeviceClientOptions {
            transport,
            trust: trust(self.ca),
            client_certificate,
            endpoint,
            model_id: self.model_id,
            product_info: self.product_info,
            keep_alive: seconds("keepAliveSecs", self.keep_alive_secs, defaults.keep_alive)?,
            operation_timeout: seconds(
                "operationTimeoutSecs",
                self.operation_timeout_secs,
                defaults.operation_timeout,
            )?,
            sas_token_ttl: seconds(
                "sasTokenTtlSecs",
                self.sas_token_ttl_secs,
                defaults.sas_token_ttl,
            )?,
            ..defaults
        })
    }
}

impl ServiceOptions {
    /// The core's options.
    pub(crate) fn into_core(self) -> napi::Result<ServiceClientOptions> {
        let defaults = ServiceClientOptions::default();
        Ok(ServiceClientOptions {
            trust: trust(self.ca),
            timeout: seconds("timeoutSecs", self.timeout_secs, defaults.timeout)?,
            product_info: self.product_info,
            ..defaults
        })
    }
}
