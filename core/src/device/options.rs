//! Options of the device client, with the defaults DESIGN.md's "client behaviour" asks for.

use std::time::Duration;

use crate::auth::HostPort;
use crate::options::{positive, within};
use crate::proxy::ProxyOptions;
use crate::retry::RetryPolicy;
use crate::tls::{ClientCertificate, Trust};
use crate::{Error, Result};

/// Shortest MQTT keep-alive: below it, pings would crowd out the twin traffic.
pub const MIN_KEEP_ALIVE: Duration = Duration::from_secs(5);
/// Longest MQTT keep-alive IoT Hub accepts: 1767 s (29.45 minutes), as documented in "Communicate
/// with an IoT hub using the MQTT protocol"; a longer one is cut to that by the hub.
pub const MAX_KEEP_ALIVE: Duration = Duration::from_secs(1767);
/// Shortest lifetime of the SAS tokens made from a key (renewal comes at 80 % of it).
pub const MIN_SAS_TOKEN_TTL: Duration = Duration::from_secs(2);

/// How the device reaches the hub.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Transport {
    /// MQTT over TLS, port 8883.
    #[default]
    Mqtt,
    /// MQTT over WebSockets (`wss://host:443/$iothub/websocket`), for networks that only pass
    /// HTTPS. Its WebSocket library (`tungstenite`) logs sent frames, the CONNECT with the SAS
    /// token included, at `TRACE`: keep that target at `debug` (see the crate's "Logging").
    MqttWebSockets,
}

impl Transport {
    /// The transport named as the bindings name it: `"mqtt"` or `"mqttWs"`.
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "mqtt" => Ok(Self::Mqtt),
            "mqttWs" => Ok(Self::MqttWebSockets),
            other => Err(Error::invalid_argument(format!(
                "unknown transport {other:?} (expected \"mqtt\" or \"mqttWs\")"
            ))),
        }
    }
}

/// Device client options. Build with `..Default::default()`.
#[derive(Clone, Debug)]
pub struct DeviceClientOptions {
    /// MQTT over TLS or over WebSockets.
    pub transport: Transport,
    /// Which server certificates to trust (the system's, or e.g. the emulator's CA).
    pub trust: Trust,
    /// The X.509 client certificate, for `x509=true` identities.
    pub client_certificate: Option<ClientCertificate>,
    /// Where to connect, overriding `GatewayHostName`/`HostName` and the transport's default
    /// port (e.g. a local hub's WebSocket port).
    pub endpoint: Option<HostPort>,
    /// IoT Plug and Play model id, sent as `model-id` and recorded in the twin's `modelId`.
    pub model_id: Option<String>,
    /// Appended to the `DeviceClientType` the hub records.
    pub product_info: Option<String>,
    /// MQTT keep-alive.
    pub keep_alive: Duration,
    /// Deadline of every operation (connect, get_twin, patch): nothing waits longer.
    pub operation_timeout: Duration,
    /// Lifetime of the SAS tokens the client makes from a key; renewed before they expire.
    pub sas_token_ttl: Duration,
    /// Reconnect backoff.
    pub reconnect: RetryPolicy,
    /// Consecutive refused CONNECTs (wrong key, disabled device) before the client gives up
    /// instead of retrying forever.
    pub max_authentication_failures: u32,
    /// Twin requests (mostly reported patches) that may wait for a connection before new ones
    /// are refused with `QueueFull`.
    pub offline_queue_capacity: usize,
    /// An HTTP CONNECT proxy to tunnel the MQTT connection (TLS or WebSockets) through;
    /// `None`: the one `HTTPS_PROXY` names, unless `NO_PROXY` exempts the hub.
    pub proxy: Option<ProxyOptions>,
}

impl Default for DeviceClientOptions {
    fn default() -> Self {
        Self {
            transport: Transport::Mqtt,
            trust: Trust::System,
            client_certificate: None,
            endpoint: None,
            model_id: None,
            product_info: None,
            keep_alive: Duration::from_secs(60),
            operation_timeout: Duration::from_secs(60),
            sas_token_ttl: Duration::from_secs(3600),
            reconnect: RetryPolicy::default(),
            max_authentication_failures: 3,
            offline_queue_capacity: 1000,
            proxy: None,
        }
    }
}

impl DeviceClientOptions {
    /// Checks the options, with the same rules for every language: keep-alive within
    /// [`MIN_KEEP_ALIVE`]`..=`[`MAX_KEEP_ALIVE`], a positive operation timeout, a SAS token
    /// lifetime of at least [`MIN_SAS_TOKEN_TTL`], an offline queue of at least one request, a
    /// sound reconnect policy and certificate. [`DeviceClient::connect`](super::DeviceClient)
    /// calls it first.
    pub fn validate(&self) -> Result<()> {
        within(
            "keep_alive",
            self.keep_alive,
            MIN_KEEP_ALIVE,
            MAX_KEEP_ALIVE,
        )?;
        positive("operation_timeout", self.operation_timeout)?;
        within(
            "sas_token_ttl",
            self.sas_token_ttl,
            MIN_SAS_TOKEN_TTL,
            Duration::from_secs(u32::MAX.into()),
        )?;
        if self.offline_queue_capacity == 0 {
            return Err(Error::invalid_argument(
                "offline_queue_capacity must be at least 1",
            ));
        }
        if self.max_authentication_failures == 0 {
            return Err(Error::invalid_argument(
                "max_authentication_failures must be at least 1",
            ));
        }
        self.reconnect.validate("reconnect")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_each_rule_holds() {
        DeviceClientOptions::default().validate().unwrap();
        let bad = [
            DeviceClientOptions {
                keep_alive: Duration::from_secs(1),
                ..Default::default()
            },
            DeviceClientOptions {
                keep_alive: Duration::from_secs(1768),
                ..Default::default()
            },
            DeviceClientOptions {
                operation_timeout: Duration::ZERO,
                ..Default::default()
            },
            DeviceClientOptions {
                sas_token_ttl: Duration::from_secs(1),
                ..Default::default()
            },
            DeviceClientOptions {
                offline_queue_capacity: 0,
                ..Default::default()
            },
        ];
        for options in bad {
            let error = options.validate().unwrap_err();
            assert!(matches!(error, Error::InvalidArgument { .. }), "{error}");
        }
    }
}
