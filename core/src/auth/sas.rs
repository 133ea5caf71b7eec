//! SAS tokens: build and verify, exactly per spec/protocol.md §2.
//!
//! `SharedAccessSignature sr=<enc(resource)>&sig=<enc(b64 HMAC)>&se=<expiry>[&skn=<policy>]`,
//! signed over `sr` *as transmitted* + `"\n"` + `se`. Verification therefore works on the raw
//! field texts: it never re-encodes or lowercases `sr` (SDKs differ in escape casing, and C#
//! double-encodes device ids), and it accepts the fields in any order.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use secrecy::{ExposeSecret, SecretString};

use super::{REDACTED, SharedAccessKey};

const PREFIX: &str = "SharedAccessSignature ";

/// JavaScript's `encodeURIComponent`: everything but `A-Z a-z 0-9 - _ . ! ~ * ' ( )` is escaped,
/// with upper-case hex. Plain `NON_ALPHANUMERIC` would also escape `-` and `.`, which changes the
/// string to sign (toolchain.md gotcha 14).
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// Percent-encodes like JavaScript's `encodeURIComponent` (upper-case escapes).
pub fn encode_uri_component(text: &str) -> String {
    utf8_percent_encode(text, URI_COMPONENT).to_string()
}

/// The resource URI a device key signs: `{host}/devices/{deviceId}` (not yet encoded).
pub fn device_resource(host: &str, device_id: &str) -> String {
    format!("{host}/devices/{device_id}")
}

/// The resource URI a module key signs: `{host}/devices/{deviceId}/modules/{moduleId}`.
pub fn module_resource(host: &str, device_id: &str, module_id: &str) -> String {
    format!("{host}/devices/{device_id}/modules/{module_id}")
}

/// Seconds since the Unix epoch, the unit of `se`.
pub fn unix_time_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Why a SAS token was refused. Messages never contain the token or its signature.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SasError {
    /// The text is not a SAS token.
    #[error("malformed SAS token: {0}")]
    Malformed(&'static str),
    /// `se` is in the past.
    #[error("SAS token expired at {expiry} (now {now})")]
    Expired {
        /// The token's `se`.
        expiry: u64,
        /// The time it was checked at.
        now: u64,
    },
    /// No key produced the token's signature.
    #[error("SAS token signature does not match")]
    InvalidSignature,
    /// `sr` does not name the hub or identity being accessed.
    #[error("SAS token resource does not cover {resource}")]
    ResourceMismatch {
        /// The resource that was asked for.
        resource: String,
    },
}

/// A parsed SAS token. `Display` and `Debug` redact the signature; [`SasToken::expose_secret`]
/// gives the whole token for an `Authorization` header or MQTT password.
#[derive(Clone)]
pub struct SasToken {
    token: SecretString,
    resource_raw: String,
    signature: SecretString,
    expiry: u64,
    key_name: Option<String>,
}

impl SasToken {
    /// Builds a token for `resource` (unencoded, e.g. `myhub.azure-devices.net/devices/dev1`),
    /// signed with `key`, expiring at `expiry` (Unix seconds). `key_name` is the policy name for
    /// policy keys (`skn`), `None` for device and module keys. Field order `sr, sig, se, skn` as
    /// the Python, C# and C SDKs emit it.
    pub fn generate(
        resource: &str,
        key: &SharedAccessKey,
        key_name: Option<&str>,
        expiry: u64,
    ) -> Self {
        let resource_raw = encode_uri_component(resource);
        let signature = key.sign_base64(format!("{resource_raw}\n{expiry}").as_bytes());
        let mut token = format!(
            "{PREFIX}sr={resource_raw}&sig={}&se={expiry}",
            encode_uri_component(&signature)
        );
        if let Some(name) = key_name {
            token.push_str("&skn=");
            token.push_str(&encode_uri_component(name));
        }
        Self {
            token: SecretString::from(token),
            resource_raw,
            signature: SecretString::from(signature),
            expiry,
            key_name: key_name.map(str::to_owned),
        }
    }

    /// Parses a token; fields may come in any order (Node puts `skn` before `se`).
    pub fn parse(text: &str) -> Result<Self, SasError> {
        let fields = text.strip_prefix(PREFIX).ok_or(SasError::Malformed(
            "it must start with 'SharedAccessSignature '",
        ))?;
        let (mut sr, mut sig, mut se, mut skn) = (None, None, None, None);
        for field in fields.split('&') {
            let (name, value) = field
                .split_once('=')
                .ok_or(SasError::Malformed("a field has no '='"))?;
            let slot = match name {
                "sr" => &mut sr,
                "sig" => &mut sig,
                "se" => &mut se,
                "skn" => &mut skn,
                _ => {
                    return Err(SasError::Malformed(
                        "unknown field (expected sr, sig, se, skn)",
                    ));
                }
            };
            if slot.replace(value).is_some() {
                return Err(SasError::Malformed("a field appears twice"));
            }
        }
        let resource_raw = sr.ok_or(SasError::Malformed("missing sr"))?;
        let sig = sig.ok_or(SasError::Malformed("missing sig"))?;
        let se = se.ok_or(SasError::Malformed("missing se"))?;
        if resource_raw.is_empty() {
            return Err(SasError::Malformed("sr is empty"));
        }
        let expiry = se
            .parse::<u64>()
            .map_err(|_| SasError::Malformed("se must be whole seconds since 1970"))?;
        // Plain percent-decoding: '+' stays '+', and a raw '/' (Python's service SDK) is fine.
        let signature = percent_decode_str(sig)
            .decode_utf8()
            .map_err(|_| SasError::Malformed("sig is not valid UTF-8 once decoded"))?;
        if STANDARD.decode(signature.as_bytes()).is_err() {
            return Err(SasError::Malformed("sig is not base64"));
        }
        let key_name = match skn {
            Some("") => return Err(SasError::Malformed("skn is empty")),
            Some(name) => Some(
                percent_decode_str(name)
                    .decode_utf8()
                    .map_err(|_| SasError::Malformed("skn is not valid UTF-8"))?
                    .into_owned(),
            ),
            None => None,
        };
        Ok(Self {
            token: SecretString::from(text),
            resource_raw: resource_raw.to_owned(),
            signature: SecretString::from(signature.into_owned()),
            expiry,
            key_name,
        })
    }

    /// The whole token, for an `Authorization` header or an MQTT password.
    pub fn expose_secret(&self) -> &str {
        self.token.expose_secret()
    }

    /// `sig`: the signature (base64, decoded from the token's percent-encoding).
    pub fn expose_signature(&self) -> &str {
        self.signature.expose_secret()
    }

    /// `se`: expiry in Unix seconds.
    pub fn expiry(&self) -> u64 {
        self.expiry
    }

    /// `skn`: the shared access policy name, for policy-key tokens.
    pub fn key_name(&self) -> Option<&str> {
        self.key_name.as_deref()
    }

    /// `sr` exactly as transmitted (still percent-encoded).
    pub fn resource_raw(&self) -> &str {
        &self.resource_raw
    }

    /// `sr` decoded once, e.g. `myhub.azure-devices.net/devices/dev1`.
    pub fn resource(&self) -> String {
        percent_decode_str(&self.resource_raw)
            .decode_utf8_lossy()
            .into_owned()
    }

    /// Checks the signature against each key in turn (primary, then secondary).
    pub fn verify_signature(&self, keys: &[&SharedAccessKey]) -> Result<(), SasError> {
        let message = format!("{}\n{}", self.resource_raw, self.expiry);
        let signature = STANDARD
            .decode(self.signature.expose_secret())
            .map_err(|_| SasError::Malformed("sig is not base64"))?;
        if keys
            .iter()
            .any(|key| key.verify(message.as_bytes(), &signature))
        {
            Ok(())
        } else {
            Err(SasError::InvalidSignature)
        }
    }

    /// Fails when the token has expired at `now` (Unix seconds): it is valid strictly before `se`.
    pub fn check_expiry(&self, now: u64) -> Result<(), SasError> {
        if now >= self.expiry {
            Err(SasError::Expired {
                expiry: self.expiry,
                now,
            })
        } else {
            Ok(())
        }
    }

    /// Whether `sr` grants access to `path` (e.g. `["devices", "dev1"]`) on hub `host`.
    ///
    /// Host names compare case-insensitively and without any `:port`; the path compares by
    /// segments as a prefix (`/devices` covers `/devices/d1`, `/devices/d1` does not cover
    /// `/devices/d10`). A segment matches after one decode, or after a second decode for the C#
    /// SDK's double-encoded ids (spec §2.2 steps 4–5).
    pub fn covers(&self, host: &str, path: &[&str]) -> bool {
        let Ok(resource) = percent_decode_str(&self.resource_raw).decode_utf8() else {
            return false;
        };
        let mut segments = resource.trim_end_matches('/').split('/');
        let token_host = segments.next().unwrap_or_default();
        if !strip_port(token_host).eq_ignore_ascii_case(strip_port(host)) {
            return false;
        }
        let mut wanted = path.iter();
        segments.all(|segment| {
            wanted.next().is_some_and(|want| {
                segment == *want
                    || percent_decode_str(segment)
                        .decode_utf8()
                        .is_ok_and(|twice| twice == *want)
            })
        })
    }

    /// Full verification as the hub does it: signature with any of `keys`, expiry at `now`, and
    /// `sr` covering `path` on `host`.
    pub fn verify(
        &self,
        keys: &[&SharedAccessKey],
        host: &str,
        path: &[&str],
        now: u64,
    ) -> Result<(), SasError> {
        self.verify_signature(keys)?;
        self.check_expiry(now)?;
        if self.covers(host, path) {
            Ok(())
        } else {
            Err(SasError::ResourceMismatch {
                resource: std::iter::once(host)
                    .chain(path.iter().copied())
                    .collect::<Vec<_>>()
                    .join("/"),
            })
        }
    }
}

fn strip_port(host: &str) -> &str {
    match host.rsplit_once(':') {
        Some((name, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

impl fmt::Display for SasToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{PREFIX}sr={}&sig={REDACTED}&se={}",
            self.resource_raw, self.expiry
        )?;
        if let Some(name) = &self.key_name {
            write!(f, "&skn={name}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for SasToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SasToken")
            .field("sr", &self.resource_raw)
            .field("sig", &REDACTED)
            .field("se", &self.expiry)
            .field("skn", &self.key_name)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SharedAccessKey {
        SharedAccessKey::from_base64("NMgJDvdKTxjLi+xBxxkDDEwDJxEvOE5u8BiT0mVgPeg=").unwrap()
    }

    #[test]
    fn encode_uri_component_matches_javascript() {
        assert_eq!(encode_uri_component("a/b:c d+e=f"), "a%2Fb%3Ac%20d%2Be%3Df");
        assert_eq!(encode_uri_component("-_.!~*'()"), "-_.!~*'()");
        assert_eq!(encode_uri_component("é"), "%C3%A9");
    }

    #[test]
    fn display_and_debug_hide_the_signature() {
        let token = SasToken::generate("hub/devices/d", &key(), None, 1_700_000_000);
        let sig = token
            .expose_secret()
            .split("sig=")
            .nth(1)
            .unwrap()
            .split('&')
            .next()
            .unwrap()
            .to_owned();
        for shown in [token.to_string(), format!("{token:?}")] {
            assert!(!shown.contains(&sig), "{shown}");
            assert!(shown.contains("<redacted>"), "{shown}");
        }
    }

    #[test]
    fn tampering_with_any_field_fails() {
        let token = SasToken::generate("hub/devices/d1", &key(), None, 1_700_000_000);
        let text = token.expose_secret();
        let tampered = [
            text.replace("sr=hub%2Fdevices%2Fd1", "sr=hub%2Fdevices%2Fd2"),
            text.replace("se=1700000000", "se=1700000001"),
        ];
        for bad in tampered {
            let parsed = SasToken::parse(&bad).unwrap();
            assert_eq!(
                parsed.verify_signature(&[&key()]),
                Err(SasError::InvalidSignature)
            );
        }
    }

    #[test]
    fn expiry_is_exclusive() {
        let token = SasToken::generate("hub", &key(), Some("iothubowner"), 100);
        assert!(token.check_expiry(99).is_ok());
        assert_eq!(
            token.check_expiry(100),
            Err(SasError::Expired {
                expiry: 100,
                now: 100
            })
        );
    }

    #[test]
    fn covers_by_segments_and_ignores_port_and_host_case() {
        let token = SasToken::generate("MyHub.example:8443/devices/d1", &key(), None, 1);
        assert!(token.covers("myhub.example", &["devices", "d1"]));
        assert!(token.covers("myhub.example:443", &["devices", "d1", "modules", "m"]));
        assert!(!token.covers("myhub.example", &["devices", "d10"]));
        assert!(!token.covers("myhub.example", &["devices"]));
        assert!(!token.covers("otherhub.example", &["devices", "d1"]));
        let hub = SasToken::generate("myhub.example", &key(), Some("service"), 1);
        assert!(hub.covers("myhub.example", &["devices", "d1"]));
        assert!(hub.covers("myhub.example", &[]));
    }

    #[test]
    fn malformed_tokens_say_why_without_echoing() {
        let cases = [
            ("sr=a&sig=b&se=1", "start with"),
            ("SharedAccessSignature sig=AAAA&se=1", "missing sr"),
            ("SharedAccessSignature sr=a&se=1", "missing sig"),
            ("SharedAccessSignature sr=a&sig=AAAA", "missing se"),
            ("SharedAccessSignature sr=a&sig=AAAA&se=soon", "se must be"),
            ("SharedAccessSignature sr=a&sig=AAAA&se=1&se=2", "twice"),
            (
                "SharedAccessSignature sr=a&sig=AAAA&se=1&foo=secretvalue",
                "unknown field",
            ),
            (
                "SharedAccessSignature sr=a&sig=AAAA&se=1&skn=",
                "skn is empty",
            ),
            ("SharedAccessSignature sr=a&sig=%%%&se=1", "sig"),
            ("SharedAccessSignature sr=a&sigAAAA&se=1", "no '='"),
        ];
        for (text, why) in cases {
            let err = SasToken::parse(text).unwrap_err().to_string();
            assert!(err.contains(why), "{text}: {err}");
            assert!(!err.contains("secretvalue"));
        }
    }
}
