//! The ready line: the one JSON line the binary prints on stdout once it serves (DESIGN.md's
//! "emulator contract"), as a type, so that whoever starts the binary reads the same fields the
//! binary writes.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// `{"event":"ready","hostname":…,"mqtt_port":…,"https_port":…,"ca_cert":…,
/// "service_connection_string":…,"devices":{id: connection string},"explorer_url":…}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadyLine {
    /// Always `"ready"`.
    pub event: String,
    /// The hub host name (SAS `sr`, MQTT username).
    pub hostname: String,
    /// The MQTT over TLS port.
    pub mqtt_port: u16,
    /// The HTTPS port (REST API and MQTT over WebSockets).
    pub https_port: u16,
    /// The CA certificate file (PEM) clients must trust.
    pub ca_cert: PathBuf,
    /// The owner policy's connection string.
    pub service_connection_string: String,
    /// The connection string of every `--device`.
    #[serde(default)]
    pub devices: BTreeMap<String, String>,
    /// The explorer page with a one-time login token (a secret, like the connection strings).
    pub explorer_url: String,
}

impl ReadyLine {
    /// Parses the line the binary printed.
    pub fn parse(line: &str) -> serde_json::Result<Self> {
        serde_json::from_str(line)
    }
}
