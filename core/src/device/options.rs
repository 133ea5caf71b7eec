//! Options of the device client, with the defaults DESIGN.md's "client behaviour" asks for.

use std::time::Duration;

use crate::auth::HostPort;
use crate::retry::RetryPolicy;
use crate::tls::{ClientCertificate, Trust};

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
        }
    }
}
