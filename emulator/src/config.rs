//! How to run the emulator: the CLI flags of DESIGN.md's emulator contract, as a struct.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

/// Emulator settings; `Default` matches the binary's defaults.
#[derive(Clone, Debug)]
pub struct EmulatorConfig {
    /// Durable state (SQLite, CA, server certificate); `None` = `--in-memory`.
    pub data_dir: Option<PathBuf>,
    /// Hub host name used in connection strings and checked in SAS `sr`.
    pub hostname: String,
    /// Listen address.
    pub bind: IpAddr,
    /// MQTT over TLS port (0 = a free port).
    pub mqtt_port: u16,
    /// REST API port (0 = a free port).
    pub https_port: u16,
    /// SAS devices to make sure exist.
    pub devices: Vec<String>,
    /// Emulator-only stand-in for Microsoft Entra: `Authorization: Bearer <token>` acts as owner.
    pub entra_token: Option<String>,
    /// Bounds on the HTTPS port's connections.
    pub https_limits: HttpsLimits,
    /// How often the automatic configurations are applied to the twins.
    pub configuration_interval: Duration,
}

/// `--configuration-interval`'s default: IoT Hub applies within minutes; tests want it fast
/// (and can apply at once through the control API).
pub(crate) const DEFAULT_CONFIGURATION_INTERVAL: Duration = Duration::from_secs(5);

/// How many connections the HTTPS port holds and how long a slow client may keep one, so that
/// clients that connect and send nothing (or half a request) cannot use up the process's file
/// descriptors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpsLimits {
    /// Open connections at most (WebSocket MQTT connections included); more are closed at once.
    /// Capped below the process's descriptor limit at start.
    pub max_connections: usize,
    /// Time allowed for the TLS handshake.
    pub handshake_timeout: Duration,
    /// Time allowed, after the handshake, for the first request's headers (a request is
    /// dispatched once they are in; later requests and upgraded WebSocket connections are not
    /// timed by this).
    pub first_request_timeout: Duration,
}

impl Default for HttpsLimits {
    fn default() -> Self {
        Self {
            max_connections: 4096,
            handshake_timeout: Duration::from_secs(10),
            first_request_timeout: Duration::from_secs(30),
        }
    }
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            data_dir: Some(PathBuf::from("./.iothub-twin-emulator")),
            hostname: "localhost".to_owned(),
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            mqtt_port: 8883,
            https_port: 443,
            devices: Vec::new(),
            entra_token: None,
            https_limits: HttpsLimits::default(),
            configuration_interval: DEFAULT_CONFIGURATION_INTERVAL,
        }
    }
}

impl EmulatorConfig {
    /// In memory, on free ports of 127.0.0.1: what tests want.
    pub fn ephemeral() -> Self {
        Self {
            data_dir: None,
            mqtt_port: 0,
            https_port: 0,
            ..Self::default()
        }
    }
}
