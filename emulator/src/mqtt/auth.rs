//! Who is connecting (spec/protocol.md §3.2): client id, username, SAS password or X.509
//! client certificate, checked against the registry.
//!
//! The username is parsed leniently, as the official SDKs differ: `{host}/{clientId}/?{query}`,
//! parameters in any order, the `?` optional (old C SDKs), unknown keys ignored. Every refusal
//! is CONNACK 5 except a username that names another identity than the client id (2).

use iothub_twin::auth::{SasToken, unix_time_now};
use percent_encoding::percent_decode_str;
use rumqttc::mqttbytes::v4::{Connect, ConnectReturnCode};
use rustls_pki_types::CertificateDer;

use crate::hub::Hub;
use crate::policies::{Permission, Policies};
use crate::registry::{AuthKind, Identity, IdentityKey};
use crate::tls::{CertificateAuthority, ClientCertificate, thumbprint_matches};

/// The SAS resource path below the hub: `devices/{d}[/modules/{m}]`.
fn resource_path(key: &IdentityKey) -> Vec<&str> {
    let mut path = vec!["devices", key.device_id.as_str()];
    if let Some(module) = &key.module_id {
        path.extend(["modules", module.as_str()]);
    }
    path
}

/// What a successful CONNECT established.
#[derive(Clone, Debug)]
pub(crate) struct Admitted {
    pub identity: IdentityKey,
    /// When the SAS token expires (Unix seconds): the hub drops the connection then.
    pub expires_at: Option<u64>,
    /// `model-id` from the username, for the twin's `modelId`.
    pub model_id: Option<String>,
}

/// Checks a CONNECT against the registry. `peer_certificates` is the TLS client chain.
pub(crate) fn admit(
    connect: &Connect,
    hub: &Hub,
    peer_certificates: Option<&[CertificateDer<'static>]>,
) -> Result<Admitted, ConnectReturnCode> {
    let identity =
        IdentityKey::from_client_id(&connect.client_id).ok_or(ConnectReturnCode::BadClientId)?;
    let (policies, hostname) = (hub.policies(), hub.hostname());
    let login = connect.login.as_ref();
    let username = login.map_or("", |l| l.username.as_str());
    let parsed =
        Username::parse(username, &connect.client_id).ok_or(ConnectReturnCode::BadClientId)?;
    if !same_host(parsed.host, hostname) {
        return Err(ConnectReturnCode::NotAuthorized);
    }
    let (record, parent_enabled) = hub
        .connect_identity(&identity)
        .ok_or(ConnectReturnCode::NotAuthorized)?;
    let record = &record;
    if !record.enabled || !parent_enabled {
        return Err(ConnectReturnCode::NotAuthorized);
    }
    let password = login.map(|l| l.password.as_str()).filter(|p| !p.is_empty());
    let expires_at = match (password, peer_certificates.and_then(<[_]>::first)) {
        (Some(password), _) => Some(check_sas(password, record, &identity, policies, hostname)?),
        (None, Some(leaf)) => {
            let chain = peer_certificates.unwrap_or_default();
            check_certificate(
                ClientCertificate { leaf, chain },
                record,
                &identity,
                hub.ca(),
            )?;
            None
        }
        (None, None) => return Err(ConnectReturnCode::NotAuthorized),
    };
    Ok(Admitted {
        identity,
        expires_at,
        model_id: parsed.model_id,
    })
}

/// A device/module key token, or a policy token (with `skn`) whose policy grants DeviceConnect.
fn check_sas(
    password: &str,
    record: &Identity,
    identity: &IdentityKey,
    policies: &Policies,
    hostname: &str,
) -> Result<u64, ConnectReturnCode> {
    let refused = ConnectReturnCode::NotAuthorized;
    let token = SasToken::parse(password).map_err(|_| refused)?;
    let path = resource_path(identity);
    let now = unix_time_now();
    match token.key_name() {
        Some(name) => {
            let policy = policies.get(name).ok_or(refused)?;
            if !policy.rights.contains(&Permission::DeviceConnect) {
                return Err(refused);
            }
            token
                .verify(
                    &[&policy.primary_key, &policy.secondary_key],
                    hostname,
                    &path,
                    now,
                )
                .map_err(|_| refused)?;
        }
        None => {
            let auth = &record.authentication;
            if auth.kind != AuthKind::Sas {
                return Err(refused);
            }
            let keys: Vec<_> = [&auth.primary_key, &auth.secondary_key]
                .into_iter()
                .flatten()
                .filter_map(|k| iothub_twin::auth::SharedAccessKey::from_base64(k).ok())
                .collect();
            let keys: Vec<_> = keys.iter().collect();
            token
                .verify(&keys, hostname, &path, now)
                .map_err(|_| refused)?;
        }
    }
    Ok(token.expiry())
}

fn check_certificate(
    certificate: ClientCertificate<'_>,
    record: &Identity,
    identity: &IdentityKey,
    ca: &CertificateAuthority,
) -> Result<(), ConnectReturnCode> {
    let refused = ConnectReturnCode::NotAuthorized;
    let auth = &record.authentication;
    let accepted = match auth.kind {
        AuthKind::SelfSigned => [&auth.primary_thumbprint, &auth.secondary_thumbprint]
            .into_iter()
            .flatten()
            .any(|thumbprint| thumbprint_matches(certificate.leaf, thumbprint)),
        AuthKind::CertificateAuthority => ca.verifies(&certificate, &identity.device_id),
        AuthKind::Sas | AuthKind::None => false,
    };
    if accepted { Ok(()) } else { Err(refused) }
}

/// Host names compare case-insensitively and without a port (Node puts `host:port` in the
/// username when the connection string's HostName carries one).
fn same_host(a: &str, b: &str) -> bool {
    let strip = |h: &str| {
        h.rsplit_once(':').map_or(h.to_owned(), |(name, port)| {
            if port.bytes().all(|c| c.is_ascii_digit()) {
                name.to_owned()
            } else {
                h.to_owned()
            }
        })
    };
    strip(a).eq_ignore_ascii_case(&strip(b))
}

/// The parts of the MQTT username the hub cares about.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Username<'a> {
    pub host: &'a str,
    pub model_id: Option<String>,
}

impl<'a> Username<'a> {
    /// `{host}/{clientId}/?{query}` (the `?` optional); `None` when it names another client.
    pub(crate) fn parse(username: &'a str, client_id: &str) -> Option<Self> {
        let marker = format!("/{client_id}/");
        let at = username.find(&marker)?;
        let host = &username[..at];
        if host.is_empty() || host.contains('/') {
            return None;
        }
        let query = &username[at + marker.len()..];
        let query = query.strip_prefix('?').unwrap_or(query);
        let model_id = query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, _)| *key == "model-id")
            .map(|(_, value)| percent_decode_str(value).decode_utf8_lossy().into_owned());
        Some(Self { host, model_id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_of_every_sdk_parse() {
        let python = "localhost/dev1/?api-version=2019-10-01&DeviceClientType=azure-iot-device-iothub-py%2F2.14.0%283.11.7%3BLinux%20%231%20SMP%20PREEMPT_DYNAMIC%20%400%3Bx86_64%29";
        assert_eq!(
            Username::parse(python, "dev1"),
            Some(Username {
                host: "localhost",
                model_id: None
            })
        );
        let node = "localhost:18883/dev1/?api-version=2021-04-12&model-id=dtmi%3Acom%3Aexample%3BThermostat%3B1&DeviceClientType=azure-iot-device%2F1.18.4%20(node%20v20.20.2%3B%20Debian%2012%3B%20x64)";
        let parsed = Username::parse(node, "dev1").unwrap();
        assert_eq!(parsed.host, "localhost:18883");
        assert_eq!(
            parsed.model_id.as_deref(),
            Some("dtmi:com:example;Thermostat;1")
        );
        let old_c = "myhub.azure-devices.net/dev1/api-version=2016-11-14&DeviceClientType=c";
        assert_eq!(
            Username::parse(old_c, "dev1").unwrap().host,
            "myhub.azure-devices.net"
        );
        let module = "h/dev1/mod1/?api-version=2021-04-12";
        assert_eq!(Username::parse(module, "dev1/mod1").unwrap().host, "h");
        assert_eq!(Username::parse("h/dev2/?api-version=x", "dev1"), None);
        assert_eq!(Username::parse("", "dev1"), None);
        assert!(same_host("LOCALHOST:8883", "localhost"));
        assert!(!same_host("otherhost", "localhost"));
    }

    #[test]
    fn client_ids() {
        assert_eq!(IdentityKey::from_client_id("d1").unwrap().module_id, None);
        assert_eq!(
            IdentityKey::from_client_id("d1/m1")
                .unwrap()
                .module_id
                .as_deref(),
            Some("m1")
        );
        assert!(IdentityKey::from_client_id("").is_none());
        assert!(IdentityKey::from_client_id("a b").is_none());
        assert!(IdentityKey::from_client_id("d1/m1/x").is_none());
    }
}
