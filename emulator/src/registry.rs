//! The identity registry: devices, their modules, and each one's twin (spec §4.5, §5.1).

mod configuration;
mod identity_body;
mod twin_json;

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub use configuration::{Configuration, STATUS_APPLIED, STATUS_TARGETED};
pub use identity_body::IdentityBody;
pub use twin_json::TwinField;

use crate::clock;
use crate::error::HubError;
use crate::twin_state::TwinState;

/// Names one identity: a device (`module_id` None) or one of its modules.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdentityKey {
    /// The device id.
    pub device_id: String,
    /// The module id, for modules.
    pub module_id: Option<String>,
}

impl IdentityKey {
    /// A device's key.
    pub fn device(device_id: &str) -> Self {
        Self {
            device_id: device_id.to_owned(),
            module_id: None,
        }
    }

    /// A device's key (`module_id` None) or a module's.
    pub fn new(device_id: &str, module_id: Option<&str>) -> Self {
        Self {
            device_id: device_id.to_owned(),
            module_id: module_id.map(str::to_owned),
        }
    }

    /// The module id, borrowed.
    pub fn module(&self) -> Option<&str> {
        self.module_id.as_deref()
    }

    /// An MQTT client id, `deviceId` or `deviceId/moduleId`, when both ids follow IoT Hub's id
    /// rules.
    pub fn from_client_id(client_id: &str) -> Option<Self> {
        let (device_id, module_id) = match client_id.split_once('/') {
            Some((device, module)) => (device, Some(module)),
            None => (client_id, None),
        };
        iothub_twin::auth::check_identity_id("device id", device_id).ok()?;
        if let Some(module) = module_id {
            iothub_twin::auth::check_identity_id("module id", module).ok()?;
        }
        Some(Self::new(device_id, module_id))
    }

    /// IoT Hub's 404 for this identity: `DeviceNotFound` or `ModuleNotFound`.
    pub fn not_found(&self) -> HubError {
        match &self.module_id {
            Some(module_id) => HubError::module_not_found(&self.device_id, module_id),
            None => HubError::device_not_found(&self.device_id),
        }
    }

    /// Whether this key is `other` or, for a device key, one of the device's modules.
    pub fn covers(&self, other: &IdentityKey) -> bool {
        self.device_id == other.device_id
            && (self.module_id.is_none() || self.module_id == other.module_id)
    }
}

/// Every device of the hub, ordered by id (queries page in this order).
#[derive(Debug, Default)]
pub struct Registry {
    /// Devices by id.
    pub devices: BTreeMap<String, Device>,
    /// Scheduled jobs by id (persisted with the twins they patch, in the same commits).
    pub jobs: crate::job_state::Jobs,
    /// Automatic device configurations by id.
    pub configurations: BTreeMap<String, Configuration>,
}

/// A device identity with its twin and modules.
#[derive(Clone, Debug)]
pub struct Device {
    /// The identity.
    pub identity: Identity,
    /// The device twin.
    pub twin: TwinState,
    /// Modules by id.
    pub modules: BTreeMap<String, Module>,
}

/// A module identity with its twin.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Module {
    /// The identity (with `module_id` set).
    pub identity: Identity,
    /// The module twin.
    pub twin: TwinState,
}

/// What a device or module identity holds besides its twin.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Identity {
    /// Device id.
    pub device_id: String,
    /// Module id, for modules.
    pub module_id: Option<String>,
    /// `managedBy`, for modules.
    pub managed_by: Option<String>,
    /// A .NET-ticks string, new on every (re-)creation.
    pub generation_id: String,
    /// The identity etag counter (rendered as base64 of its decimal text).
    pub etag: u64,
    /// `enabled` or `disabled`.
    pub enabled: bool,
    /// Why the status was set.
    pub status_reason: Option<String>,
    /// When the status last changed.
    pub status_updated_time: String,
    /// How the identity authenticates.
    pub authentication: Authentication,
    /// `capabilities.iotEdge`.
    pub iot_edge: bool,
    /// Whether an MQTT connection is open.
    pub connected: bool,
    /// When `connected` last changed.
    pub connection_state_updated_time: String,
    /// Last time the device connected, sent or received.
    pub last_activity_time: String,
}

/// `authentication` of an identity.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Authentication {
    /// `sas`, `selfSigned`, `certificateAuthority` or `none`.
    pub kind: AuthKind,
    /// Base64 symmetric keys, for `sas`.
    pub primary_key: Option<String>,
    /// Secondary symmetric key.
    pub secondary_key: Option<String>,
    /// Hex SHA-1 or SHA-256 thumbprint, for `selfSigned`.
    pub primary_thumbprint: Option<String>,
    /// Secondary thumbprint.
    pub secondary_thumbprint: Option<String>,
}

/// `authentication.type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuthKind {
    /// Symmetric keys.
    Sas,
    /// Self-signed X.509, by thumbprint.
    SelfSigned,
    /// X.509 signed by a CA.
    CertificateAuthority,
    /// None.
    None,
}

impl AuthKind {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthKind::Sas => "sas",
            AuthKind::SelfSigned => "selfSigned",
            AuthKind::CertificateAuthority => "certificateAuthority",
            AuthKind::None => "none",
        }
    }
}

impl Identity {
    /// The etag as the wire shows it: base64 of the counter's decimal text (`MQ==` for 1).
    pub fn etag_text(&self) -> String {
        STANDARD.encode(self.etag.to_string())
    }

    /// Whether `if_match` (stripped of quotes; `*` matches anything) matches.
    pub fn etag_matches(&self, if_match: Option<&str>) -> bool {
        match if_match {
            None | Some("*") => true,
            Some(etag) => etag == self.etag_text(),
        }
    }

    /// `Connected` or `Disconnected`.
    pub fn connection_state(&self) -> &'static str {
        if self.connected {
            "Connected"
        } else {
            "Disconnected"
        }
    }

    /// `enabled` or `disabled`.
    pub fn status(&self) -> &'static str {
        if self.enabled { "enabled" } else { "disabled" }
    }

    /// The device or module JSON of the registry API, in the hub's field order.
    pub fn to_json(&self) -> Value {
        let auth = &self.authentication;
        let authentication = json!({
            "symmetricKey": {"primaryKey": auth.primary_key, "secondaryKey": auth.secondary_key},
            "x509Thumbprint": {"primaryThumbprint": auth.primary_thumbprint, "secondaryThumbprint": auth.secondary_thumbprint},
            "type": auth.kind.as_str(),
        });
        match &self.module_id {
            Some(module_id) => json!({
                "moduleId": module_id,
                "managedBy": self.managed_by,
                "deviceId": self.device_id,
                "generationId": self.generation_id,
                "etag": self.etag_text(),
                "connectionState": self.connection_state(),
                "connectionStateUpdatedTime": self.connection_state_updated_time,
                "lastActivityTime": self.last_activity_time,
                "cloudToDeviceMessageCount": 0,
                "authentication": authentication,
            }),
            None => json!({
                "deviceId": self.device_id,
                "generationId": self.generation_id,
                "etag": self.etag_text(),
                "connectionState": self.connection_state(),
                "status": self.status(),
                "statusReason": self.status_reason,
                "connectionStateUpdatedTime": self.connection_state_updated_time,
                "statusUpdatedTime": self.status_updated_time,
                "lastActivityTime": self.last_activity_time,
                "cloudToDeviceMessageCount": 0,
                "authentication": authentication,
                "capabilities": {"iotEdge": self.iot_edge},
                "deviceScope": null,
                "parentScopes": [],
            }),
        }
    }
}

impl Device {
    /// A new device from a validated create body, at `now`.
    pub fn create(device_id: &str, body: IdentityBody, now: &str) -> Self {
        Self {
            identity: body.into_identity(device_id, None),
            twin: TwinState::new(now),
            modules: BTreeMap::new(),
        }
    }
}

impl Module {
    /// A new module from a validated create body, at `now`.
    pub fn create(device_id: &str, module_id: &str, body: IdentityBody, now: &str) -> Self {
        Self {
            identity: body.into_identity(device_id, Some(module_id)),
            twin: TwinState::new(now),
        }
    }
}

impl Registry {
    /// The device `device_id`.
    pub fn device(&self, device_id: &str) -> Option<&Device> {
        self.devices.get(device_id)
    }

    /// The identity and twin `key` names, or its 404 (a module's missing device is
    /// `DeviceNotFound`).
    pub fn find(&self, key: &IdentityKey) -> Result<(&Identity, &TwinState), HubError> {
        let device = self
            .devices
            .get(&key.device_id)
            .ok_or_else(|| HubError::device_not_found(&key.device_id))?;
        match &key.module_id {
            None => Ok((&device.identity, &device.twin)),
            Some(module_id) => device
                .modules
                .get(module_id)
                .map(|m| (&m.identity, &m.twin))
                .ok_or_else(|| key.not_found()),
        }
    }

    /// [`Self::find`], for writing.
    pub fn find_mut(
        &mut self,
        key: &IdentityKey,
    ) -> Result<(&mut Identity, &mut TwinState), HubError> {
        let device = self
            .devices
            .get_mut(&key.device_id)
            .ok_or_else(|| HubError::device_not_found(&key.device_id))?;
        match &key.module_id {
            None => Ok((&mut device.identity, &mut device.twin)),
            Some(module_id) => device
                .modules
                .get_mut(module_id)
                .map(|m| (&mut m.identity, &mut m.twin))
                .ok_or_else(|| key.not_found()),
        }
    }

    /// The identity and twin of a device (`module_id` None) or module.
    pub fn twin_of(
        &self,
        device_id: &str,
        module_id: Option<&str>,
    ) -> Option<(&Identity, &TwinState)> {
        let device = self.devices.get(device_id)?;
        match module_id {
            None => Some((&device.identity, &device.twin)),
            Some(m) => device.modules.get(m).map(|m| (&m.identity, &m.twin)),
        }
    }

    /// Mutable identity and twin of a device or module.
    pub fn twin_of_mut(
        &mut self,
        device_id: &str,
        module_id: Option<&str>,
    ) -> Option<(&mut Identity, &mut TwinState)> {
        let device = self.devices.get_mut(device_id)?;
        match module_id {
            None => Some((&mut device.identity, &mut device.twin)),
            Some(m) => device
                .modules
                .get_mut(m)
                .map(|m| (&mut m.identity, &mut m.twin)),
        }
    }
}

/// A time field not yet set: the hub's "never".
pub(crate) fn never() -> String {
    clock::NEVER.to_owned()
}
