//! Reading the device/module JSON of `PUT /devices/{id}[/modules/{mid}]` (spec §4.5).
//!
//! Tolerant the way the SDKs need: C# sends `null` keys, Node sends `""` keys and adds `type`,
//! Python omits `type` on some paths. Null or empty keys mean "generate"; a missing `type` is
//! inferred from which credential is filled in; unknown members are ignored.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use super::{AuthKind, Authentication, Identity, never};
use crate::error::HubError;
use crate::policies::random_key;

/// A validated create or update body.
#[derive(Clone, Debug)]
pub struct IdentityBody {
    enabled: bool,
    status_reason: Option<String>,
    authentication: Authentication,
    iot_edge: bool,
    managed_by: Option<String>,
}

impl IdentityBody {
    /// Validates `body` for the identity at `device_id` / `module_id`. `existing` is the
    /// identity being updated (its keys are kept when the body leaves them empty).
    pub fn parse(
        body: &Value,
        device_id: &str,
        module_id: Option<&str>,
        existing: Option<&Identity>,
    ) -> Result<Self, HubError> {
        let Value::Object(fields) = body else {
            return Err(HubError::invalid("the body must be a JSON object"));
        };
        same_id(fields.get("deviceId"), "deviceId", device_id)?;
        if let Some(module_id) = module_id {
            same_id(fields.get("moduleId"), "moduleId", module_id)?;
        }
        let enabled = match fields.get("status") {
            None | Some(Value::Null) => existing.is_none_or(|e| e.enabled),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("enabled") => true,
            Some(Value::String(s)) if s.eq_ignore_ascii_case("disabled") => false,
            Some(_) => {
                return Err(HubError::invalid(
                    "status must be \"enabled\" or \"disabled\"",
                ));
            }
        };
        let iot_edge = match fields.get("capabilities").and_then(|c| c.get("iotEdge")) {
            None | Some(Value::Null) => existing.is_some_and(|e| e.iot_edge),
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(HubError::invalid("capabilities.iotEdge must be a boolean")),
        };
        Ok(Self {
            enabled,
            status_reason: optional_string(fields.get("statusReason"), "statusReason")?,
            authentication: authentication(fields.get("authentication"), existing)?,
            iot_edge,
            managed_by: optional_string(fields.get("managedBy"), "managedBy")?,
        })
    }

    /// A new identity (create). Its status time stays "never" until the status changes.
    pub fn into_identity(self, device_id: &str, module_id: Option<&str>) -> Identity {
        Identity {
            device_id: device_id.to_owned(),
            module_id: module_id.map(str::to_owned),
            managed_by: self.managed_by,
            generation_id: crate::clock::generation_id(),
            etag: 1,
            enabled: self.enabled,
            status_reason: self.status_reason,
            status_updated_time: never(),
            authentication: self.authentication,
            iot_edge: self.iot_edge,
            connected: false,
            connection_state_updated_time: never(),
            last_activity_time: never(),
        }
    }

    /// Applies an update to `identity`: new etag, status time refreshed when the status changes.
    pub fn apply_to(self, identity: &mut Identity, now: &str) {
        if identity.enabled != self.enabled {
            identity.status_updated_time = now.to_owned();
        }
        identity.enabled = self.enabled;
        identity.status_reason = self.status_reason;
        identity.authentication = self.authentication;
        identity.iot_edge = self.iot_edge;
        identity.managed_by = self.managed_by;
        identity.etag += 1;
    }
}

fn same_id(value: Option<&Value>, name: &str, expected: &str) -> Result<(), HubError> {
    match value {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(s)) if s == expected => Ok(()),
        Some(_) => Err(HubError::invalid(format!(
            "{name} in the body does not match {name} in the path ({expected})"
        ))),
    }
}

fn optional_string(value: Option<&Value>, name: &str) -> Result<Option<String>, HubError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(HubError::invalid(format!("{name} must be a string"))),
    }
}

/// A non-empty string member, `None` for absent, `null` or `""`.
fn filled<'a>(object: Option<&'a Value>, key: &str) -> Result<Option<&'a str>, HubError> {
    match object.and_then(|o| o.get(key)) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(HubError::invalid(format!("{key} must be a string"))),
    }
}

fn authentication(
    value: Option<&Value>,
    existing: Option<&Identity>,
) -> Result<Authentication, HubError> {
    let value = value.filter(|v| !v.is_null());
    if let Some(v) = value
        && !v.is_object()
    {
        return Err(HubError::invalid("authentication must be an object"));
    }
    let symmetric = value
        .and_then(|a| a.get("symmetricKey"))
        .filter(|v| !v.is_null());
    let thumbprints = value
        .and_then(|a| a.get("x509Thumbprint"))
        .filter(|v| !v.is_null());
    let (primary_key, secondary_key) = (
        filled(symmetric, "primaryKey")?,
        filled(symmetric, "secondaryKey")?,
    );
    let (primary_thumb, secondary_thumb) = (
        filled(thumbprints, "primaryThumbprint")?,
        filled(thumbprints, "secondaryThumbprint")?,
    );
    let kind = match value.and_then(|a| a.get("type")) {
        None | Some(Value::Null) => {
            // C# and Node infer the type from the credential that is filled in.
            if primary_thumb.is_some() && primary_key.is_none() {
                AuthKind::SelfSigned
            } else {
                AuthKind::Sas
            }
        }
        Some(Value::String(t)) => match t.to_ascii_lowercase().as_str() {
            "sas" => AuthKind::Sas,
            "selfsigned" => AuthKind::SelfSigned,
            "certificateauthority" => AuthKind::CertificateAuthority,
            "none" => AuthKind::None,
            _ => {
                return Err(HubError::invalid(
                    "authentication.type must be sas, selfSigned, certificateAuthority or none",
                ));
            }
        },
        Some(_) => return Err(HubError::invalid("authentication.type must be a string")),
    };
    let mut auth = Authentication {
        kind,
        primary_key: None,
        secondary_key: None,
        primary_thumbprint: None,
        secondary_thumbprint: None,
    };
    match kind {
        AuthKind::Sas => {
            let kept = existing
                .map(|e| &e.authentication)
                .filter(|a| a.kind == AuthKind::Sas);
            auth.primary_key = Some(key_or_generate(
                primary_key,
                kept.and_then(|a| a.primary_key.as_deref()),
                "primaryKey",
            )?);
            auth.secondary_key = Some(key_or_generate(
                secondary_key,
                kept.and_then(|a| a.secondary_key.as_deref()),
                "secondaryKey",
            )?);
        }
        AuthKind::SelfSigned => {
            let primary = primary_thumb.ok_or_else(|| {
                HubError::invalid("a selfSigned identity needs x509Thumbprint.primaryThumbprint")
            })?;
            auth.primary_thumbprint = Some(thumbprint(primary, "primaryThumbprint")?);
            auth.secondary_thumbprint = secondary_thumb
                .map(|t| thumbprint(t, "secondaryThumbprint"))
                .transpose()?;
        }
        AuthKind::CertificateAuthority | AuthKind::None => {}
    }
    Ok(auth)
}

/// IoT Hub accepts symmetric keys of 16 to 64 bytes, base64-encoded.
fn key_or_generate(
    given: Option<&str>,
    kept: Option<&str>,
    name: &str,
) -> Result<String, HubError> {
    match given.or(kept) {
        Some(key) => match STANDARD.decode(key) {
            Ok(bytes) if (16..=64).contains(&bytes.len()) => Ok(key.to_owned()),
            _ => Err(HubError::invalid(format!(
                "{name} must be a base64 key of 16 to 64 bytes"
            ))),
        },
        None => Ok(random_key().expose_base64().to_owned()),
    }
}

/// A hex SHA-1 (40 digits) or SHA-256 (64 digits) thumbprint, stored upper-case.
fn thumbprint(text: &str, name: &str) -> Result<String, HubError> {
    if matches!(text.len(), 40 | 64) && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(text.to_ascii_uppercase())
    } else {
        Err(HubError::invalid(format!(
            "{name} must be a SHA-1 (40 hex digits) or SHA-256 (64 hex digits) thumbprint"
        )))
    }
}
