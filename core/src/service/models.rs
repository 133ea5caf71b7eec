//! Identity registry documents (spec §4.5): devices and modules with their authentication,
//! serde names exactly as on the wire.
//!
//! Read-only fields (`generationId`, `etag`, connection state, times) are `Option`s that
//! creating leaves out; fields this crate does not model are kept in `other`, so a device read
//! with GET can be changed and sent back with PUT without losing anything.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::twin::{
    AuthenticationType, ConnectionState, DeviceCapabilities, DeviceStatus, JsonObject,
    X509Thumbprint,
};

/// A device identity, as `GET /devices/{id}` returns it and `PUT /devices/{id}` takes it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    /// The device id (case-sensitive, ≤ 128 characters).
    pub device_id: String,
    /// New on every (re-)creation of the id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation_id: Option<String>,
    /// The identity's etag (not the twin's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// `Connected` or `Disconnected`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_state: Option<ConnectionState>,
    /// `enabled` or `disabled`; the hub assumes `enabled` when a create leaves it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<DeviceStatus>,
    /// Why the status was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// When the connection state last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_state_updated_time: Option<String>,
    /// When the status last changed (note: `statusUpdatedTime`, unlike the twin's
    /// `statusUpdateTime`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_updated_time: Option<String>,
    /// Last time the device connected, sent or received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_activity_time: Option<String>,
    /// Cloud-to-device messages queued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_to_device_message_count: Option<u64>,
    /// How the device authenticates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication: Option<Authentication>,
    /// `capabilities.iotEdge`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<DeviceCapabilities>,
    /// Edge device scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_scope: Option<String>,
    /// Edge parent scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_scopes: Option<Vec<String>>,
    /// Fields this type does not model, kept as received.
    #[serde(flatten)]
    pub other: JsonObject,
}

impl Device {
    /// A device to create, with `authentication` (see the [`Authentication`] constructors).
    pub fn new(device_id: impl Into<String>, authentication: Authentication) -> Self {
        Self {
            device_id: device_id.into(),
            authentication: Some(authentication),
            ..Self::default()
        }
    }
}

/// A module identity, as `GET /devices/{id}/modules/{mid}` returns it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Module {
    /// The module id.
    pub module_id: String,
    /// Who manages the module (e.g. `IotEdge`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_by: Option<String>,
    /// The device the module belongs to.
    pub device_id: String,
    /// New on every (re-)creation of the id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation_id: Option<String>,
    /// The identity's etag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// `Connected` or `Disconnected`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_state: Option<ConnectionState>,
    /// When the connection state last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_state_updated_time: Option<String>,
    /// Last time the module connected, sent or received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_activity_time: Option<String>,
    /// Cloud-to-device messages queued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_to_device_message_count: Option<u64>,
    /// How the module authenticates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication: Option<Authentication>,
    /// Fields this type does not model, kept as received.
    #[serde(flatten)]
    pub other: JsonObject,
}

impl Module {
    /// A module to create on device `device_id`.
    pub fn new(
        device_id: impl Into<String>,
        module_id: impl Into<String>,
        authentication: Authentication,
    ) -> Self {
        Self {
            module_id: module_id.into(),
            device_id: device_id.into(),
            authentication: Some(authentication),
            ..Self::default()
        }
    }
}

/// `authentication` of a device or module.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Authentication {
    /// `sas`, `selfSigned`, `certificateAuthority` or `none`. IoT Hub takes a missing `type` as
    /// `sas` (the official SDKs' own examples leave it out), so reading does too.
    #[serde(rename = "type", default = "sas_type")]
    pub kind: AuthenticationType,
    /// The symmetric keys, for `sas`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symmetric_key: Option<SymmetricKey>,
    /// The certificate thumbprints, for `selfSigned`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x509_thumbprint: Option<X509Thumbprint>,
}

fn sas_type() -> AuthenticationType {
    AuthenticationType::Sas
}

impl Authentication {
    /// Symmetric keys generated by the hub (sent as `null`, which the hub fills in).
    pub fn sas() -> Self {
        Self::sas_with_keys(None, None)
    }

    /// Symmetric keys: the given ones (base64, 16 to 64 bytes), the hub generating any left out.
    pub fn sas_with_keys(primary_key: Option<String>, secondary_key: Option<String>) -> Self {
        Self {
            kind: AuthenticationType::Sas,
            symmetric_key: Some(SymmetricKey {
                primary_key,
                secondary_key,
            }),
            x509_thumbprint: None,
        }
    }

    /// A self-signed X.509 certificate, by hex SHA-1 or SHA-256 thumbprint.
    pub fn self_signed(primary_thumbprint: String, secondary_thumbprint: Option<String>) -> Self {
        Self {
            kind: AuthenticationType::SelfSigned,
            symmetric_key: None,
            x509_thumbprint: Some(X509Thumbprint {
                primary_thumbprint: Some(primary_thumbprint),
                secondary_thumbprint,
            }),
        }
    }

    /// An X.509 certificate signed by a CA registered with the hub (no secret material).
    pub fn certificate_authority() -> Self {
        Self {
            kind: AuthenticationType::CertificateAuthority,
            symmetric_key: None,
            x509_thumbprint: None,
        }
    }
}

/// A device's or module's symmetric keys (base64). `Debug` redacts them.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SymmetricKey {
    /// Primary key; `None` asks the hub to generate one.
    pub primary_key: Option<String>,
    /// Secondary key; `None` asks the hub to generate one.
    pub secondary_key: Option<String>,
}

impl fmt::Debug for SymmetricKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |key: &Option<String>| key.as_ref().map(|_| crate::auth::REDACTED);
        f.debug_struct("SymmetricKey")
            .field("primary_key", &shown(&self.primary_key))
            .field("secondary_key", &shown(&self.secondary_key))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn device_json_round_trips_as_the_hub_sends_it() {
        let text = json!({
            "deviceId": "dev1", "generationId": "638000000000000000", "etag": "OTMzMzg1ODE2",
            "connectionState": "Disconnected", "status": "enabled", "statusReason": null,
            "connectionStateUpdatedTime": "0001-01-01T00:00:00Z",
            "statusUpdatedTime": "0001-01-01T00:00:00Z", "lastActivityTime": "0001-01-01T00:00:00Z",
            "cloudToDeviceMessageCount": 0,
            "authentication": {"symmetricKey": {"primaryKey": "cHJpbWFyeS1rZXktcHJpbWFyeQ==", "secondaryKey": "c2Vjb25kYXJ5LWtleS1zZWNvbmQ="},
                "x509Thumbprint": {"primaryThumbprint": null, "secondaryThumbprint": null}, "type": "sas"},
            "capabilities": {"iotEdge": false}, "deviceScope": null, "parentScopes": []
        });
        let device: Device = serde_json::from_value(text).unwrap();
        assert_eq!(device.status, Some(DeviceStatus::Enabled));
        let auth = device.authentication.as_ref().unwrap();
        assert_eq!(auth.kind, AuthenticationType::Sas);
        let debug = format!("{device:?}");
        assert!(!debug.contains("cHJpbWFyeS1rZXk"), "{debug}");
        let back = serde_json::to_value(&device).unwrap();
        assert_eq!(back["authentication"]["type"], "sas");
        assert_eq!(back["connectionStateUpdatedTime"], "0001-01-01T00:00:00Z");
    }

    #[test]
    fn an_authentication_without_type_is_sas_as_on_the_hub() {
        let device: Device = serde_json::from_value(json!({
            "deviceId": "d", "status": "enabled", "unknownField": 1,
            "authentication": {"symmetricKey": {"primaryKey": null, "secondaryKey": null}}
        }))
        .unwrap();
        assert_eq!(device.authentication.unwrap().kind, AuthenticationType::Sas);
    }

    #[test]
    fn create_bodies_match_the_wire() {
        let sas = serde_json::to_value(Device::new("d", Authentication::sas())).unwrap();
        assert_eq!(
            sas,
            json!({"deviceId": "d", "authentication": {"type": "sas", "symmetricKey": {"primaryKey": null, "secondaryKey": null}}})
        );
        let x509 = serde_json::to_value(Device::new(
            "d",
            Authentication::self_signed("AB".repeat(20), None),
        ))
        .unwrap();
        assert_eq!(x509["authentication"]["type"], "selfSigned");
        assert_eq!(
            x509["authentication"]["x509Thumbprint"]["primaryThumbprint"],
            "AB".repeat(20)
        );
        let ca = serde_json::to_value(Module::new(
            "d",
            "m",
            Authentication::certificate_authority(),
        ))
        .unwrap();
        assert_eq!(
            ca,
            json!({"moduleId": "m", "deviceId": "d", "authentication": {"type": "certificateAuthority"}})
        );
    }
}
