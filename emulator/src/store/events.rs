//! What the store announces after each commit: one [`StoreEvent`] per committed change, in
//! commit order. The MQTT endpoint follows it (desired pushes, disconnects); a twin change feed
//! (IoT Hub's twin change and device lifecycle notifications) can be built from it too: every
//! event names its identity, and a twin change carries its operation and each changed section
//! with its `$version`.

use iothub_twin::twin::JsonObject;

use crate::registry::IdentityKey;
use crate::twin_state::DesiredChange;

/// A committed change.
#[derive(Clone, Debug, PartialEq)]
pub enum StoreEvent {
    /// The identity was created (with a fresh twin).
    IdentityCreated {
        /// The identity.
        key: IdentityKey,
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
    },
}

/// How a twin was written, as IoT Hub's twin change notifications name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TwinOp {
    /// A merge (service PATCH, or a device's reported patch): `updateTwin`.
    Update,
    /// A service PUT: `replaceTwin`.
    Replace,
}

/// One committed twin write: the sections it changed.
#[derive(Clone, Debug, PartialEq)]
pub struct TwinChange {
    /// The operation.
    pub op: TwinOp,
    /// The twin `version` after the write.
    pub version: u64,
    /// The tags after the write, when it changed them.
    pub tags: Option<JsonObject>,
    /// The desired change (new `$version`, effective patch), pushed to the connected device.
    pub desired: Option<DesiredChange>,
    /// The reported change (new `$version`, the patch as the device sent it).
    pub reported: Option<ReportedChange>,
}

/// A device's reported patch, as committed.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportedChange {
    /// The new reported `$version`.
    pub version: u64,
    /// The patch (`null` members deleted keys).
    pub patch: JsonObject,
}

impl StoreEvent {
    /// The identity the event is about.
    pub fn key(&self) -> &IdentityKey {
        match self {
            StoreEvent::IdentityCreated { key }
            | StoreEvent::TwinChanged { key, .. }
            | StoreEvent::IdentityDisabled { key }
            | StoreEvent::IdentityDeleted { key } => key,
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
