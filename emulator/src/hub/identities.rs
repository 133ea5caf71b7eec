//! Identity registry operations (spec §4.5): list, get, create or update, delete.
//!
//! A put without `If-Match` creates (409 if it exists); with `If-Match` (an etag or `*`) it
//! updates (404 if missing, 412 on a stale etag). A delete's `If-Match` is optional.

use iothub_twin::ErrorCode;
use serde_json::{Value, json};

use super::{Hub, Tagged};
use crate::clock;
use crate::error::HubError;
use crate::policies::random_key;
use crate::registry::{Device, Identity, IdentityBody, IdentityKey, Module, Registry};

impl Hub {
    /// The first `top` devices by id, as the registry API shows them.
    pub async fn list_devices(&self, top: usize) -> Vec<Value> {
        self.store
            .read_committed(|registry| {
                registry
                    .devices
                    .values()
                    .take(top)
                    .map(|d| d.identity.to_json())
                    .collect()
            })
            .await
    }

    /// The modules of a device.
    pub async fn list_modules(&self, device_id: &str) -> Result<Vec<Value>, HubError> {
        self.store
            .read_committed(|registry| {
                let device = registry
                    .device(device_id)
                    .ok_or_else(|| HubError::device_not_found(device_id))?;
                Ok(device
                    .modules
                    .values()
                    .map(|m| m.identity.to_json())
                    .collect())
            })
            .await
    }

    /// A device or module identity.
    pub async fn get_identity(&self, key: &IdentityKey) -> Result<Tagged, HubError> {
        self.store
            .read_committed(|registry| registry.find(key).map(|(identity, _)| tagged(identity)))
            .await
    }

    /// Creates (`if_match` None) or updates the identity from a registry API body.
    pub async fn put_identity(
        &self,
        key: &IdentityKey,
        body: &Value,
        if_match: Option<&str>,
    ) -> Result<Tagged, HubError> {
        let now = clock::now_iso();
        self.store
            .write(|registry, changes| {
                let (identity, was_enabled) = match if_match {
                    None => (create(registry, key, body, &now)?, false),
                    Some(condition) => {
                        let (identity, _) = registry.find_mut(key)?;
                        if !identity.etag_matches(Some(condition)) {
                            return Err(stale_etag(kind(key), &identity.etag_text()));
                        }
                        let was_enabled = identity.enabled;
                        let parsed = IdentityBody::parse(
                            body,
                            &key.device_id,
                            key.module(),
                            Some(identity),
                        )?;
                        parsed.apply_to(identity, &now);
                        (&*identity, was_enabled)
                    }
                };
                let answer = tagged(identity);
                if if_match.is_none() {
                    let (identity, twin) = registry.find(key)?;
                    changes.created(key, &now, identity.twin_json(twin));
                }
                let (identity, _) = registry.find(key)?;
                if was_enabled && !identity.enabled {
                    // A disabled identity may not stay connected.
                    changes.disabled(key);
                }
                changes.touch(&key.device_id, key.module());
                Ok(answer)
            })
            .await
    }

    /// Deletes the identity (a device with all its modules).
    pub async fn delete_identity(
        &self,
        key: &IdentityKey,
        if_match: Option<&str>,
    ) -> Result<(), HubError> {
        let now = clock::now_iso();
        self.store
            .write(|registry, changes| {
                let (identity, twin) = registry.find(key)?;
                if !identity.etag_matches(if_match) {
                    return Err(stale_etag(kind(key), &identity.etag_text()));
                }
                let twin = identity.twin_json(twin);
                match key.module() {
                    None => {
                        registry.devices.remove(&key.device_id);
                        changes.delete_device(&key.device_id, &now, twin);
                    }
                    Some(module_id) => {
                        if let Some(device) = registry.devices.get_mut(&key.device_id) {
                            device.modules.remove(module_id);
                        }
                        changes.delete_module(&key.device_id, module_id, &now, twin);
                    }
                }
                Ok(())
            })
            .await
    }

    /// `--device ID`: creates the missing ones as SAS devices with generated keys and keeps
    /// existing ones; one write (one commit) for all of them.
    pub async fn ensure_sas_devices(&self, ids: &[String]) -> Result<(), HubError> {
        let now = clock::now_iso();
        self.store
            .write(|registry, changes| {
                for id in ids {
                    if registry.devices.contains_key(id) {
                        continue;
                    }
                    let body = json!({"authentication": {"type": "sas", "symmetricKey": {
                        "primaryKey": random_key().expose_base64(),
                        "secondaryKey": random_key().expose_base64()}}});
                    let parsed = IdentityBody::parse(&body, id, None, None)?;
                    let device = Device::create(id, parsed, &now);
                    let twin = device.identity.twin_json(&device.twin);
                    registry.devices.insert(id.clone(), device);
                    changes.touch(id, None);
                    changes.created(&IdentityKey::device(id), &now, twin);
                }
                Ok(())
            })
            .await
    }
}

/// Creates the identity `key` names; 409 when it exists, 404 for a module of a missing device.
pub(super) fn create<'r>(
    registry: &'r mut Registry,
    key: &IdentityKey,
    body: &Value,
    now: &str,
) -> Result<&'r Identity, HubError> {
    let device_id = key.device_id.as_str();
    match key.module() {
        None => {
            if registry.devices.contains_key(device_id) {
                return Err(HubError::new(
                    ErrorCode::DeviceAlreadyExists,
                    format!("a device with id {device_id} already exists"),
                ));
            }
            let parsed = IdentityBody::parse(body, device_id, None, None)?;
            let device = Device::create(device_id, parsed, now);
            Ok(&registry
                .devices
                .entry(device_id.to_owned())
                .or_insert(device)
                .identity)
        }
        Some(module_id) => {
            let device = registry
                .devices
                .get_mut(device_id)
                .ok_or_else(|| HubError::device_not_found(device_id))?;
            if device.modules.contains_key(module_id) {
                return Err(HubError::new(
                    ErrorCode::ModuleAlreadyExistsOnDevice,
                    format!("module {module_id} already exists on device {device_id}"),
                ));
            }
            let parsed = IdentityBody::parse(body, device_id, Some(module_id), None)?;
            let module = Module::create(device_id, module_id, parsed, now);
            Ok(&device
                .modules
                .entry(module_id.to_owned())
                .or_insert(module)
                .identity)
        }
    }
}

fn tagged(identity: &Identity) -> Tagged {
    Tagged {
        json: identity.to_json(),
        etag: identity.etag_text(),
    }
}

fn kind(key: &IdentityKey) -> &'static str {
    if key.module_id.is_some() {
        "module"
    } else {
        "device"
    }
}

/// The hub's wording (spec §4.2): `Precondition failed: Device version did not match`.
pub(super) fn stale_etag(what: &str, current: &str) -> HubError {
    HubError::precondition_failed(format!(
        "Precondition failed: {what} etag did not match, current etag is \"{current}\""
    ))
}
