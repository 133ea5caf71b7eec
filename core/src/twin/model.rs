//! Serde types for the twin document as IoT Hub sends it (spec §5.1).
//!
//! Every field is optional because real payloads vary (C# sends `"etag": null`, fresh twins have
//! no `tags`, module twins add `moduleId`), and fields we do not model are kept in `other` so a
//! twin survives a read-modify-write round trip unchanged.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::JsonObject;

/// A device or module twin, as returned by `GET /twins/{id}` and twin queries.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Twin {
    /// The device id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    /// The module id (module twins only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module_id: Option<String>,
    /// Twin etag: base64 of a 64-bit big-endian counter; changes on service writes only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// The device identity's etag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_etag: Option<String>,
    /// `enabled` or `disabled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<DeviceStatus>,
    /// Why the status was set, when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// When the status last changed (note: `statusUpdateTime`, unlike the identity's
    /// `statusUpdatedTime`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_update_time: Option<String>,
    /// `Connected` or `Disconnected`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_state: Option<ConnectionState>,
    /// Last time the device connected, sent or received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_activity_time: Option<String>,
    /// Cloud-to-device messages queued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_to_device_message_count: Option<u64>,
    /// How the identity authenticates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication_type: Option<AuthenticationType>,
    /// X.509 thumbprints for `selfSigned` identities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x509_thumbprint: Option<X509Thumbprint>,
    /// IoT Plug and Play model id; `""` when none was announced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_id: Option<String>,
    /// Twin version: +1 on every write of any kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    /// Tags (service-only); omitted by the hub when empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<JsonObject>,
    /// Desired and reported properties.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<TwinProperties>,
    /// Device capabilities.
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

/// `properties` of a twin. Over MQTT a twin GET returns exactly this object.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TwinProperties {
    /// Desired properties (service writes, device reads).
    #[serde(default)]
    pub desired: TwinCollection,
    /// Reported properties (device writes, service reads).
    #[serde(default)]
    pub reported: TwinCollection,
}

/// A properties section: user properties plus `$version` and (over REST) `$metadata`.
///
/// Kept as the JSON object it is on the wire; the accessors read the `$` members.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TwinCollection(pub JsonObject);

impl TwinCollection {
    /// `$version`, when present.
    pub fn version(&self) -> Option<u64> {
        self.0.get("$version").and_then(Value::as_u64)
    }

    /// `$metadata`, when present.
    pub fn metadata(&self) -> Option<&JsonObject> {
        self.0.get("$metadata").and_then(Value::as_object)
    }

    /// A user property by name.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// The user properties: every member except `$version` and `$metadata`.
    pub fn properties(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.0.iter().filter(|(k, _)| !is_bookkeeping(k))
    }

    /// The user properties as an object of their own.
    pub fn to_properties(&self) -> JsonObject {
        self.properties()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

impl From<JsonObject> for TwinCollection {
    fn from(map: JsonObject) -> Self {
        Self(map)
    }
}

pub(crate) fn is_bookkeeping(key: &str) -> bool {
    key == "$version" || key == "$metadata"
}

/// Identity status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceStatus {
    /// May connect.
    Enabled,
    /// Refused at connect.
    Disabled,
}

/// Connection state as IoT Hub capitalises it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConnectionState {
    /// Connected.
    #[serde(alias = "connected")]
    Connected,
    /// Disconnected.
    #[serde(alias = "disconnected")]
    Disconnected,
}

/// How an identity authenticates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AuthenticationType {
    /// Symmetric keys.
    Sas,
    /// X.509 self-signed certificate, by thumbprint.
    SelfSigned,
    /// X.509 certificate signed by a registered CA.
    CertificateAuthority,
    /// No authentication.
    None,
}

/// X.509 thumbprints (hex SHA-1 or SHA-256).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct X509Thumbprint {
    /// Primary thumbprint.
    pub primary_thumbprint: Option<String>,
    /// Secondary thumbprint.
    pub secondary_thumbprint: Option<String>,
}

/// Device capabilities.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceCapabilities {
    /// Whether the device is an IoT Edge device.
    #[serde(default)]
    pub iot_edge: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The twin of spec §5.1 (modelled on a real one) deserializes and serializes back unchanged.
    #[test]
    fn spec_twin_round_trips_exactly() {
        let text = r#"{"deviceId":"dev1","moduleId":"mod1","etag":"AAAAAAAAAAQ=","deviceEtag":"NjU4ODE3NDIy","status":"enabled","statusReason":"provisioned","statusUpdateTime":"0001-01-01T00:00:00Z","connectionState":"Connected","lastActivityTime":"2021-09-06T08:49:54.8803577Z","cloudToDeviceMessageCount":0,"authenticationType":"sas","x509Thumbprint":{"primaryThumbprint":null,"secondaryThumbprint":null},"modelId":"","version":11,"tags":{"site":{"building":"43"}},"properties":{"desired":{"device_count":100,"$metadata":{"$lastUpdated":"2021-09-06T08:52:44.9300429Z","$lastUpdatedVersion":4,"device_count":{"$lastUpdated":"2021-09-06T08:52:44.9300429Z","$lastUpdatedVersion":4}},"$version":4},"reported":{"device_count":100,"$metadata":{"$lastUpdated":"2021-09-06T08:52:44.9962991Z","device_count":{"$lastUpdated":"2021-09-06T08:52:44.9962991Z"}},"$version":7}},"capabilities":{"iotEdge":false},"deviceScope":"ms-azure-iot-edge://edge1-637093398936580016","parentScopes":[]}"#;
        let twin: Twin = serde_json::from_str(text).unwrap();
        assert_eq!(twin.version, Some(11));
        let props = twin.properties.as_ref().unwrap();
        assert_eq!(props.desired.version(), Some(4));
        assert_eq!(props.reported.version(), Some(7));
        assert_eq!(
            props.desired.to_properties(),
            serde_json::json!({"device_count": 100})
                .as_object()
                .unwrap()
                .clone()
        );
        assert_eq!(serde_json::to_string(&twin).unwrap(), text);
    }

    #[test]
    fn tolerates_csharp_nulls_and_keeps_unknown_fields() {
        let twin: Twin = serde_json::from_str(
            r#"{"deviceId":"d1","etag":null,"version":null,"properties":{"desired":{"a":1},"reported":{}},"futureField":{"x":1}}"#,
        )
        .unwrap();
        assert_eq!(twin.etag, None);
        assert_eq!(twin.other["futureField"]["x"], 1);
        let back = serde_json::to_value(&twin).unwrap();
        assert_eq!(back["futureField"]["x"], 1);
    }

    #[test]
    fn mqtt_get_body_is_twin_properties() {
        let props: TwinProperties = serde_json::from_str(
            r#"{"desired":{"$version":1},"reported":{"device_count":0,"$version":2}}"#,
        )
        .unwrap();
        assert_eq!(props.desired.version(), Some(1));
        assert_eq!(props.reported.get("device_count"), Some(&Value::from(0)));
        assert_eq!(props.reported.properties().count(), 1);
    }
}
