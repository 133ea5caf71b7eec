//! Option objects (`#[napi(object)]`) and their translation into the core's options: every
//! default and rule is the core's (`Default`, `validate`); only names and units change here.

use std::sync::{Arc, Mutex, PoisonError};

use iothub_twin::device::Transport;
use iothub_twin::options::seconds;
use iothub_twin::proxy::ProxyOptions;
use iothub_twin::tls::{ClientCertificate, Trust};
use iothub_twin::{DeviceClientOptions, Result, RetryPolicy, ServiceClientOptions};
use napi_derive::napi;

/// How a device client connects. Durations are seconds; what is left out takes the core's
/// default.
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
    /// `false`: no reconnecting after a lost connection; the client then fails (default true).
    pub connection_retry: Option<bool>,
    /// An HTTP CONNECT proxy, `http://[user:password@]host[:port]` (default: `HTTPS_PROXY`).
    pub proxy: Option<String>,
}

/// How a service client connects. Durations are seconds.
#[napi(object)]
#[derive(Default)]
pub struct ServiceOptions {
    /// PEM certificates to trust instead of the system's roots (e.g. the emulator's CA).
    pub ca: Option<String>,
    /// Deadline of each call, retries included (default 60).
    pub timeout_secs: Option<f64>,
    /// Appended to the `User-Agent` header.
    pub product_info: Option<String>,
    /// An HTTP CONNECT proxy, `http://[user:password@]host[:port]` (default: `HTTPS_PROXY`).
    pub proxy: Option<String>,
}

impl std::fmt::Debug for ServiceOptions {
    // The proxy URL may hold a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceOptions")
            .field("timeout_secs", &self.timeout_secs)
            .field("product_info", &self.product_info)
            .field("proxy", &self.proxy.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for DeviceOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceOptions")
            .field("transport", &self.transport)
            .field("endpoint", &self.endpoint)
            .field("key", &self.key.as_ref().map(|_| "<redacted>"))
            .field("proxy", &self.proxy.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

/// The last CA text a client was given. A process's clients nearly always pass the same text
/// (with `NODE_EXTRA_CA_CERTS`, Node's roots plus the extra file, ~220 KB), which each client's
/// options would otherwise hold a copy of.
static LAST_CA: Mutex<Option<Arc<str>>> = Mutex::new(None);

fn trust(ca: Option<String>) -> Trust {
    let Some(ca) = ca else {
        return Trust::System;
    };
    let mut last = LAST_CA.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(shared) = last.as_ref().filter(|shared| ***shared == *ca) {
        return Trust::Shared(shared.clone());
    }
    let shared: Arc<str> = ca.into();
    *last = Some(shared.clone());
    Trust::Shared(shared)
}

impl DeviceOptions {
    /// The core's options (checked by the core when connecting).
    pub(crate) fn into_core(self) -> Result<DeviceClientOptions> {
        let mut options = DeviceClientOptions {
            trust: trust(self.ca),
            client_certificate: ClientCertificate::from_parts(self.cert, self.key)?,
            endpoint: self.endpoint.map(|e| e.parse()).transpose()?,
            model_id: self.model_id,
            product_info: self.product_info,
            proxy: self.proxy.as_deref().map(ProxyOptions::parse).transpose()?,
            ..Default::default()
        };
        if let Some(name) = &self.transport {
            options.transport = Transport::from_name(name)?;
        }
        if let Some(secs) = self.keep_alive_secs {
            options.keep_alive = seconds("keepAliveSecs", secs)?;
        }
        if let Some(secs) = self.operation_timeout_secs {
            options.operation_timeout = seconds("operationTimeoutSecs", secs)?;
        }
        if let Some(secs) = self.sas_token_ttl_secs {
            options.sas_token_ttl = seconds("sasTokenTtlSecs", secs)?;
        }
        if self.connection_retry == Some(false) {
            options.reconnect = RetryPolicy::no_retries();
        }
        Ok(options)
    }
}

impl ServiceOptions {
    /// The core's options (checked by the core when the client is made).
    pub(crate) fn into_core(self) -> Result<ServiceClientOptions> {
        let mut options = ServiceClientOptions {
            trust: trust(self.ca),
            product_info: self.product_info,
            proxy: self.proxy.as_deref().map(ProxyOptions::parse).transpose()?,
            ..Default::default()
        };
        if let Some(secs) = self.timeout_secs {
            options.timeout = seconds("timeoutSecs", secs)?;
        }
        Ok(options)
    }
}
