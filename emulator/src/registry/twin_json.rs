//! The twin document of `GET /twins/...` and of query results (spec §5.1), one top-level field
//! at a time, so that the query engine reads the very values GET renders without building the
//! whole document for every twin it filters.

use serde_json::{Value, json};

use super::Identity;
use crate::twin_state::TwinState;

/// A top-level field of the twin document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TwinField {
    /// `deviceId`.
    DeviceId,
    /// `moduleId` (module twins only).
    ModuleId,
    /// `etag` (the twin's).
    Etag,
    /// `deviceEtag` (the identity's).
    DeviceEtag,
    /// `status`.
    Status,
    /// `statusReason` (only when set).
    StatusReason,
    /// `statusUpdateTime`.
    StatusUpdateTime,
    /// `connectionState`.
    ConnectionState,
    /// `lastActivityTime`.
    LastActivityTime,
    /// `cloudToDeviceMessageCount`.
    CloudToDeviceMessageCount,
    /// `authenticationType`.
    AuthenticationType,
    /// `x509Thumbprint`.
    X509Thumbprint,
    /// `modelId`.
    ModelId,
    /// `version`.
    Version,
    /// `tags` (only when not empty).
    Tags,
    /// `properties`.
    Properties,
    /// `configurations` (only when an automatic configuration targets the twin).
    Configurations,
    /// `capabilities` (device twins only).
    Capabilities,
}

impl TwinField {
    /// Every field, in the order the hub renders them.
    pub const ALL: [TwinField; 18] = [
        TwinField::DeviceId,
        TwinField::ModuleId,
        TwinField::Etag,
        TwinField::DeviceEtag,
        TwinField::Status,
        TwinField::StatusReason,
        TwinField::StatusUpdateTime,
        TwinField::ConnectionState,
        TwinField::LastActivityTime,
        TwinField::CloudToDeviceMessageCount,
        TwinField::AuthenticationType,
        TwinField::X509Thumbprint,
        TwinField::ModelId,
        TwinField::Version,
        TwinField::Tags,
        TwinField::Properties,
        TwinField::Configurations,
        TwinField::Capabilities,
    ];

    /// The member name, e.g. `lastActivityTime`.
    pub const fn name(self) -> &'static str {
        match self {
            TwinField::DeviceId => "deviceId",
            TwinField::ModuleId => "moduleId",
            TwinField::Etag => "etag",
            TwinField::DeviceEtag => "deviceEtag",
            TwinField::Status => "status",
            TwinField::StatusReason => "statusReason",
            TwinField::StatusUpdateTime => "statusUpdateTime",
            TwinField::ConnectionState => "connectionState",
            TwinField::LastActivityTime => "lastActivityTime",
            TwinField::CloudToDeviceMessageCount => "cloudToDeviceMessageCount",
            TwinField::AuthenticationType => "authenticationType",
            TwinField::X509Thumbprint => "x509Thumbprint",
            TwinField::ModelId => "modelId",
            TwinField::Version => "version",
            TwinField::Tags => "tags",
            TwinField::Properties => "properties",
            TwinField::Configurations => "configurations",
            TwinField::Capabilities => "capabilities",
        }
    }

    /// The field whose name equals `name` ignoring ASCII case (queries resolve root fields
    /// that way: `SELECT DeviceId` reads `deviceId`).
    pub fn find_ignoring_case(name: &str) -> Option<TwinField> {
        Self::ALL
            .into_iter()
            .find(|field| field.name().eq_ignore_ascii_case(name))
    }
}

impl Identity {
    /// One top-level field of this identity's twin document; `None` when the document has no
    /// such member (`moduleId` of a device, `tags` when empty, ...).
    pub fn twin_field(&self, twin: &TwinState, field: TwinField) -> Option<Value> {
        let auth = &self.authentication;
        Some(match field {
            TwinField::DeviceId => json!(self.device_id),
            TwinField::ModuleId => json!(self.module_id.as_ref()?),
            TwinField::Etag => json!(twin.etag_text()),
            TwinField::DeviceEtag => json!(self.etag_text()),
            TwinField::Status => json!(self.status()),
            TwinField::StatusReason => json!(self.status_reason.as_ref()?),
            TwinField::StatusUpdateTime => json!(self.status_updated_time),
            TwinField::ConnectionState => json!(self.connection_state()),
            TwinField::LastActivityTime => json!(self.last_activity_time),
            TwinField::CloudToDeviceMessageCount => json!(0),
            TwinField::AuthenticationType => json!(auth.kind.as_str()),
            TwinField::X509Thumbprint => json!({
                "primaryThumbprint": auth.primary_thumbprint,
                "secondaryThumbprint": auth.secondary_thumbprint,
            }),
            TwinField::ModelId => json!(twin.model_id),
            TwinField::Version => json!(twin.version),
            TwinField::Tags if twin.tags.is_empty() => return None,
            TwinField::Tags => Value::Object(twin.tags.clone()),
            TwinField::Properties => twin.properties_json(),
            TwinField::Configurations if twin.configurations.is_empty() => return None,
            TwinField::Configurations => Value::Object(
                twin.configurations
                    .iter()
                    .map(|(id, status)| (id.clone(), json!({"status": status})))
                    .collect(),
            ),
            TwinField::Capabilities if self.module_id.is_some() => return None,
            TwinField::Capabilities => json!({"iotEdge": self.iot_edge}),
        })
    }

    /// The twin JSON of `GET /twins/...` and queries (spec §5.1): identity fields, then the twin.
    pub fn twin_json(&self, twin: &TwinState) -> Value {
        let fields = TwinField::ALL
            .into_iter()
            .filter_map(|field| Some((field.name().to_owned(), self.twin_field(twin, field)?)));
        Value::Object(fields.collect())
    }
}
