//! What it takes to open an MQTT connection to the hub (spec/protocol.md §3.1–§3.2): client id,
//! username, SAS password (made fresh from a key for every connection), TLS or WebSockets.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rumqttc::{
    MqttOptions, Proxy, ProxyAuth, ProxyType, TlsConfiguration, Transport as MqttTransport,
};

use super::credential::Secret;
use super::options::{DeviceClientOptions, Transport};
use crate::auth::{HostPort, SasToken, check_identity_id, encode_uri_component};
use crate::proxy::ProxyOptions;
use crate::{Error, Result};

/// The `api-version` the client speaks.
pub(crate) const API_VERSION: &str = "2021-04-12";

/// The identity a client connects as.
#[derive(Clone, Debug)]
pub struct DeviceIdentity {
    /// `HostName` of the hub (used in the username and SAS `sr`).
    pub host_name: HostPort,
    /// The device id.
    pub device_id: String,
    /// The module id, for module identities.
    pub module_id: Option<String>,
    /// Where to connect when not `HostName` (`GatewayHostName`).
    pub gateway_host_name: Option<HostPort>,
}

impl DeviceIdentity {
    pub(crate) fn client_id(&self) -> String {
        match &self.module_id {
            Some(module) => format!("{}/{module}", self.device_id),
            None => self.device_id.clone(),
        }
    }

    /// The identity a device or module SAS token was made for: its `sr` is
    /// `{HostName}/devices/{deviceId}` or `{HostName}/devices/{deviceId}/modules/{moduleId}`
    /// (how `create_from_sastoken` finds the hub and device in the official SDKs).
    pub fn from_sas_token(token: &SasToken) -> Result<Self> {
        let invalid = |reason: &str| Error::InvalidArgument {
            reason: format!("the SAS token's resource (sr) {reason}"),
        };
        let resource = token.resource();
        let parts: Vec<&str> = resource.split('/').collect();
        let (host, device_id, module_id) = match parts.as_slice() {
            [host, "devices", device] => (*host, *device, None),
            [host, "devices", device, "modules", module] => (*host, *device, Some(*module)),
            _ => {
                return Err(invalid(
                    "must be {HostName}/devices/{deviceId}[/modules/{moduleId}]",
                ));
            }
        };
        for (kind, id) in [("deviceId", Some(device_id)), ("moduleId", module_id)] {
            if let Some(id) = id {
                check_identity_id(kind, id).map_err(|reason| invalid(&reason))?;
            }
        }
        Ok(Self {
            host_name: host.parse()?,
            device_id: device_id.to_owned(),
            module_id: module_id.map(str::to_owned),
            gateway_host_name: None,
        })
    }

    fn sas_resource(&self) -> String {
        let host = self.host_name.to_string();
        match &self.module_id {
            Some(module) => crate::auth::module_resource(&host, &self.device_id, module),
            None => crate::auth::device_resource(&host, &self.device_id),
        }
    }
}

/// Everything needed to (re)connect.
#[derive(Debug)]
pub(crate) struct Link {
    pub identity: DeviceIdentity,
    pub secret: Secret,
    pub options: DeviceClientOptions,
}

/// A password and when it should be replaced (`None`: never, or no password).
pub(crate) struct Password {
    pub text: String,
    pub renew_after: Option<Duration>,
}

impl Link {
    /// `{HostName}/{clientId}/?api-version=…&DeviceClientType=…[&model-id=…]`.
    pub(crate) fn username(&self) -> String {
        let mut product = format!("iothub-twin/{}", env!("CARGO_PKG_VERSION"));
        if let Some(info) = &self.options.product_info {
            product.push(' ');
            product.push_str(info);
        }
        let mut username = format!(
            "{}/{}/?api-version={API_VERSION}&DeviceClientType={}",
            self.identity.host_name,
            self.identity.client_id(),
            encode_uri_component(&product)
        );
        if let Some(model) = &self.options.model_id {
            username.push_str("&model-id=");
            username.push_str(&encode_uri_component(model));
        }
        username
    }

    /// The password for the next connection. Tokens made from a key are renewed at 80 % of
    /// their lifetime, well before the hub drops the connection at expiry.
    pub(crate) fn password(&self) -> Password {
        match &self.secret {
            Secret::Key { key, key_name } => {
                let ttl = self.options.sas_token_ttl;
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default();
                let (expiry, lifetime) = token_expiry(now, ttl);
                let token = SasToken::generate(
                    &self.identity.sas_resource(),
                    key,
                    key_name.as_deref(),
                    expiry,
                );
                Password {
                    text: token.expose_secret().to_owned(),
                    renew_after: Some(lifetime.mul_f64(0.8)),
                }
            }
            Secret::Token(token) => Password {
                text: token.expose_secret().to_owned(),
                renew_after: None,
            },
            Secret::X509 => Password {
                text: String::new(),
                renew_after: None,
            },
        }
    }

    /// rumqttc options for a connection with `password`.
    pub(crate) fn mqtt_options(&self, password: &str) -> Result<MqttOptions> {
        let target = self
            .options
            .endpoint
            .as_ref()
            .or(self.identity.gateway_host_name.as_ref())
            .unwrap_or(&self.identity.host_name);
        let certificate = match (&self.secret, &self.options.client_certificate) {
            (Secret::X509, None) => {
                return Err(Error::InvalidArgument {
                    reason: "x509=true needs a client certificate in DeviceClientOptions::client_certificate".into(),
                });
            }
            (Secret::X509, Some(certificate)) => Some(certificate),
            _ => None,
        };
        let tls = crate::tls_cache::shared_client_config(&self.options.trust, &[], certificate)?;
        let mut options = match self.options.transport {
            Transport::Mqtt => {
                let mut options = MqttOptions::new(
                    self.identity.client_id(),
                    target.host(),
                    target.port_or(8883),
                );
                options.set_transport(MqttTransport::Tls(TlsConfiguration::Rustls(tls)));
                options
            }
            Transport::MqttWebSockets => {
                let port = target.port_or(443);
                let url = format!("wss://{}:{port}/$iothub/websocket", target.host());
                let mut options = MqttOptions::new(self.identity.client_id(), url, port);
                options.set_transport(MqttTransport::Wss(TlsConfiguration::Rustls(tls)));
                options
            }
        };
        let proxy = match &self.options.proxy {
            Some(proxy) => Some(proxy.clone()),
            None => ProxyOptions::from_env_for(target.host())?,
        };
        if let Some(proxy) = proxy {
            let auth = match proxy.basic_auth() {
                Some((username, password)) => ProxyAuth::Basic {
                    username: username.to_owned(),
                    password: password.to_owned(),
                },
                None => ProxyAuth::None,
            };
            options.set_proxy(Proxy {
                ty: ProxyType::Http,
                auth,
                addr: proxy.host,
                port: proxy.port,
            });
        }
        options
            .set_keep_alive(self.options.keep_alive)
            .set_clean_session(false)
            // QoS 1 publishes in flight: the core publishes at QoS 0 only, and rumqttc keeps a
            // slot per possible one (~65 B each, 100 by default) in every connection.
            .set_inflight(8)
            .set_max_packet_size(256 * 1024 + 1024, 256 * 1024 + 1024)
            .set_credentials(self.username(), password);
        Ok(options)
    }
}

/// The `se` (Unix seconds) of a token made at `now` (since the epoch) to live at least `ttl`,
/// and how long it really lives. `se` is whole seconds, so it is rounded up: rounded down, a
/// 3 s token made at x.9 s would expire 2.1 s later, before its renewal at 80 % of 3 s.
fn token_expiry(now: Duration, ttl: Duration) -> (u64, Duration) {
    let expiry = (now + ttl).as_secs_f64().ceil() as u64;
    (expiry, Duration::from_secs(expiry).saturating_sub(now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{SharedAccessKey, unix_time_now};

    fn token(resource: &str) -> SasToken {
        let key = SharedAccessKey::from_bytes(b"0123456789abcdef");
        SasToken::generate(resource, &key, None, unix_time_now() + 60)
    }

    #[test]
    fn a_token_lives_at_least_its_ttl_and_renewal_comes_before_its_expiry() {
        let ttl = Duration::from_secs(3);
        for millis in [
            100_000_000,
            100_000_001,
            100_000_500,
            100_000_900,
            100_000_999,
        ] {
            let now = Duration::from_millis(millis);
            let (expiry, lifetime) = token_expiry(now, ttl);
            assert_eq!(Duration::from_secs(expiry), now + lifetime, "{millis}");
            assert!(
                lifetime >= ttl && lifetime < ttl + Duration::from_secs(1),
                "{millis}"
            );
            // Renewal (80 % of the real lifetime) comes at least 0.6 s before expiry.
            assert!(lifetime - lifetime.mul_f64(0.8) >= Duration::from_millis(600));
        }
    }

    #[test]
    fn identity_from_device_and_module_tokens() {
        let device =
            DeviceIdentity::from_sas_token(&token("localhost:8443/devices/dev-1")).unwrap();
        assert_eq!(device.host_name.to_string(), "localhost:8443");
        assert_eq!(
            (device.device_id.as_str(), device.module_id),
            ("dev-1", None)
        );
        let module =
            DeviceIdentity::from_sas_token(&token("hub.example.net/devices/d/modules/m")).unwrap();
        assert_eq!(module.client_id(), "d/m");
        for bad in [
            "hub.example.net",
            "hub.example.net/twins/d",
            "hub/devices/d/modules",
        ] {
            let err = DeviceIdentity::from_sas_token(&token(bad)).unwrap_err();
            assert!(matches!(err, Error::InvalidArgument { .. }), "{bad}: {err}");
        }
    }
}
