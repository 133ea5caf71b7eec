//! What the store announces after each commit: one [`StoreEvent`] per committed change, in
//! commit order. The MQTT endpoint follows it (desired pushes, disconnects) and so does the twin
//! change feed (`rest/twin_events.rs`: IoT Hub's twin change and device lifecycle
//! notifications): every event names its identity, a twin change carries the desired change
//! pushed to the device and the notification body, creation and deletion carry the twin.

use serde_json::Value;

use crate::registry::IdentityKey;
use crate::twin_state::DesiredChange;
pub use crate::twin_state::TwinOp;

/// A committed change.
#[derive(Clone, Debug, PartialEq)]
pub enum StoreEvent {
    /// The identity was created (with a fresh twin).
    IdentityCreated {
        /// The identity.
        key: IdentityKey,
        /// When (ISO 8601).
        timestamp: String,
        /// Its twin as created, as the service API shows it.
        twin: Value,
    },
    /// A write changed the twin's tags, desired or reported properties.
    TwinChanged {
        /// The device or module.
        key: IdentityKey,
        /// What changed (boxed: it is much larger than the other events).
        change: Box<TwinChange>,
    },
    /// The identity was disabled (a device key: the device and its modules).
    IdentityDisabled {
        /// The identity.
        key: IdentityKey,
    },
    /// The identity was deleted (a device key: the device and all its modules).
    IdentityDeleted {
        /// The identity.
        key: IdentityKey,
        /// When (ISO 8601).
        timestamp: String,
        /// Its twin as it was when deleted.
        twin: Value,
    },
}

/// One committed twin write.
#[derive(Clone, Debug, PartialEq)]
pub struct TwinChange {
    /// The operation.
    pub op: TwinOp,
    /// The twin `version` after the write.
    pub version: u64,
    /// When the write happened (ISO 8601).
    pub timestamp: String,
    /// The desired change (new `$version`, effective patch), pushed to the connected device.
    pub desired: Option<DesiredChange>,
    /// IoT Hub's twin change notification body: the changed sections with their `$metadata`
    /// and `$version` (see [`crate::twin_state::notification_body`]).
    pub body: Value,
}

impl StoreEvent {
    /// The identity the event is about.
    pub fn key(&self) -> &IdentityKey {
        match self {
            StoreEvent::IdentityCreated { key, .. }
            | StoreEvent::TwinChanged { key, .. }
            | StoreEvent::IdentityDisabled { key }
            | StoreEvent::IdentityDeleted { key, .. } => key,
        }
    }

    /// The desired change, when the event is a twin change that has one.
    pub fn desired(&self) -> Option<&DesiredChange> {
        match self {
            StoreEvent::TwinChanged { change, .. } => change.desired.as_ref(),
            _ => None,
        }
    }
}
