//! `host[:port]` values of `HostName` and `GatewayHostName`.

use std::fmt;
use std::str::FromStr;

use crate::{Error, Result};

/// A host name with an optional port, as written in `HostName=` / `GatewayHostName=`.
///
/// IoT Hub itself never has a port in `HostName`; local hubs do (DESIGN.md: service strings
/// carry `HostName=host:port` when HTTPS is not on 443, device strings `GatewayHostName=host:port`
/// when MQTT is not on 8883). The text form is kept exactly, because SAS `sr` and the MQTT
/// username use it verbatim.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HostPort {
    host: String,
    port: Option<u16>,
}

impl HostPort {
    /// Builds one from parts; the host must be a DNS name or IPv4 address.
    pub fn new(host: &str, port: Option<u16>) -> Result<Self> {
        validate_host(host)?;
        if port == Some(0) {
            return Err(invalid("port 0 is not a valid port"));
        }
        Ok(Self {
            host: host.to_owned(),
            port,
        })
    }

    /// The host without the port.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port, when one was given.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The port, or `default` when none was given.
    pub fn port_or(&self, default: u16) -> u16 {
        self.port.unwrap_or(default)
    }
}

impl FromStr for HostPort {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        match text.rsplit_once(':') {
            Some((host, port)) => {
                let port = port
                    .parse::<u16>()
                    .map_err(|_| invalid("the port after ':' must be a number from 1 to 65535"))?;
                Self::new(host, Some(port))
            }
            None => Self::new(text, None),
        }
    }
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.port {
            Some(port) => write!(f, "{}:{port}", self.host),
            None => f.write_str(&self.host),
        }
    }
}

/// C# SDK rule (spec §1.2): `[a-zA-Z0-9_\-\.]+`.
fn validate_host(host: &str) -> Result<()> {
    if host.is_empty() {
        return Err(invalid("the host name is empty"));
    }
    if let Some(bad) = host
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(invalid(format!(
            "the host name contains {bad:?}; only letters, digits, '-', '_' and '.' are allowed"
        )));
    }
    Ok(())
}

fn invalid(reason: impl Into<String>) -> Error {
    Error::InvalidArgument {
        reason: reason.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_host_with_and_without_port() {
        let h: HostPort = "localhost:8443".parse().unwrap();
        assert_eq!((h.host(), h.port()), ("localhost", Some(8443)));
        assert_eq!(h.to_string(), "localhost:8443");
        let h: HostPort = "myhub.azure-devices.net".parse().unwrap();
        assert_eq!((h.host(), h.port_or(443)), ("myhub.azure-devices.net", 443));
    }

    #[test]
    fn rejects_bad_hosts_and_ports() {
        for bad in [
            "",
            "a b",
            "host:",
            "host:0",
            "host:70000",
            "host:x",
            "a/b",
            ":443",
        ] {
            assert!(bad.parse::<HostPort>().is_err(), "{bad}");
        }
    }
}
