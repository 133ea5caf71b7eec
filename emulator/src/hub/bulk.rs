//! The bulk registry operation (`POST /devices`): up to [`MAX_BULK_ITEMS`] `ExportImportDevice`
//! items, each creating, updating or deleting a device or module identity, or patching its twin.
//!
//! The whole call is one store write (one commit). Each item is checked before anything of it is
//! changed, so an item either applies whole or not at all, and one item's failure does not undo
//! the others: it is reported in IoT Hub's `BulkRegistryOperationResult` (`isSuccessful`, and one
//! `errors` entry per failed item), which the REST adapter answers with 200 when every item
//! applied and 400 otherwise (azure-iot-hub's generated client accepts exactly those two).
//!
//! `updateTwin` merges `tags` and `properties.desired` into the twin as a service PATCH does
//! (C#'s `UpdateTwins2Async` sends twin patches this way); `properties.reported` is ignored, as
//! the service cannot write it.

use std::collections::HashSet;

use iothub_twin::ErrorCode;
use serde_json::{Value, json};

use super::Hub;
use super::identities::{create, stale_etag};
use super::twins::{announce_service_write, patch_of, sections};
use crate::clock;
use crate::error::HubError;
use crate::registry::{IdentityBody, IdentityKey, Registry};
use crate::store::Changes;
use crate::twin_state::{DesiredChange, TwinBefore, TwinState};

/// The most items one call may carry (IoT Hub's limit).
pub const MAX_BULK_ITEMS: usize = 100;

/// What one item does (`importMode`, matched ignoring case: Node sends `Update`, Python `update`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Create,
    Update { if_match: bool },
    Delete { if_match: bool },
    UpdateTwin { if_match: bool },
}

impl Mode {
    fn parse(text: &str) -> Option<Mode> {
        Some(match text.to_ascii_lowercase().as_str() {
            "create" => Mode::Create,
            "update" => Mode::Update { if_match: false },
            "updateifmatchetag" => Mode::Update { if_match: true },
            "delete" => Mode::Delete { if_match: false },
            "deleteifmatchetag" => Mode::Delete { if_match: true },
            "updatetwin" => Mode::UpdateTwin { if_match: false },
            "updatetwinifmatchetag" => Mode::UpdateTwin { if_match: true },
            _ => return None,
        })
    }
}

impl Hub {
    /// `POST /devices`: applies every item that can be applied; the result tells which failed.
    pub async fn bulk_registry_operation(&self, body: &Value) -> Result<Value, HubError> {
        let Value::Array(items) = body else {
            return Err(HubError::invalid(
                "the body must be a JSON array of ExportImportDevice objects",
            ));
        };
        if items.is_empty() || items.len() > MAX_BULK_ITEMS {
            return Err(HubError::invalid(format!(
                "a bulk registry operation takes 1 to {MAX_BULK_ITEMS} items; this one has {}",
                items.len()
            )));
        }
        let keys = items.iter().map(key_of).collect::<Result<Vec<_>, _>>()?;
        let mut seen = HashSet::new();
        if let Some(twice) = keys.iter().find(|key| !seen.insert(*key)) {
            return Err(HubError::new(
                ErrorCode::DeviceDefinedMultipleTimes,
                format!("{} is named more than once in the request", describe(twice)),
            ));
        }
        let now = clock::now_iso();
        self.store
            .write(|registry, changes| {
                let errors: Vec<Value> = items
                    .iter()
                    .zip(&keys)
                    .filter_map(|(item, key)| {
                        let error = apply(registry, changes, key, item, &now).err()?;
                        let mut entry = json!({
                            "deviceId": key.device_id,
                            "errorCode": error.code.name(),
                            "errorStatus": error.message,
                        });
                        if let Some(module_id) = &key.module_id {
                            entry["moduleId"] = json!(module_id);
                        }
                        Some(entry)
                    })
                    .collect();
                Ok(json!({
                    "isSuccessful": errors.is_empty(),
                    "errors": errors,
                    "warnings": [],
                }))
            })
            .await
    }
}

/// The identity an item names (`id`, and `moduleId` for modules), checked.
fn key_of(item: &Value) -> Result<IdentityKey, HubError> {
    let id = item
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| HubError::invalid("every item needs an id (the device id)"))?;
    iothub_twin::auth::check_identity_id("the device id", id).map_err(HubError::invalid)?;
    let module_id = match item.get("moduleId") {
        None | Some(Value::Null) => None,
        Some(Value::String(module)) => {
            iothub_twin::auth::check_identity_id("the module id", module)
                .map_err(HubError::invalid)?;
            Some(module.as_str())
        }
        Some(_) => return Err(HubError::invalid("moduleId must be a string")),
    };
    Ok(IdentityKey::new(id, module_id))
}

fn describe(key: &IdentityKey) -> String {
    match &key.module_id {
        Some(module_id) => format!("module {module_id} of device {}", key.device_id),
        None => format!("device {}", key.device_id),
    }
}

/// Applies one item whole, or changes nothing and says why.
fn apply(
    registry: &mut Registry,
    changes: &mut Changes,
    key: &IdentityKey,
    item: &Value,
    now: &str,
) -> Result<(), HubError> {
    let mode = item
        .get("importMode")
        .and_then(Value::as_str)
        .and_then(Mode::parse)
        .ok_or_else(|| {
            HubError::invalid(
                "importMode must be one of create, update, updateIfMatchETag, delete, \
                 deleteIfMatchETag, updateTwin, updateTwinIfMatchETag",
            )
        })?;
    let etag = |name: &str| item.get(name).and_then(Value::as_str);
    match mode {
        Mode::Create => {
            // The twin part is checked on an empty twin first, so a refused patch creates nothing.
            patched(&TwinState::new(now), item, now)?;
            let body = identity_body(item, key);
            create(registry, key, &body, now)?;
            let (_, twin) = registry.find_mut(key)?;
            let (twin_after, _) = patched(twin, item, now)?;
            *twin = twin_after;
            changes.touch(&key.device_id, key.module());
            // A created identity is announced once, with its twin as the item left it.
            let (identity, twin) = registry.find(key)?;
            changes.created(key, now, identity.twin_json(twin));
        }
        Mode::Update { if_match } => {
            let (identity, twin) = registry.find_mut(key)?;
            let condition = if if_match { etag("eTag") } else { None };
            if if_match && !identity.etag_matches(condition.or(Some(""))) {
                return Err(stale_etag("device", &identity.etag_text()));
            }
            let (twin_after, notification) = patched(twin, item, now)?;
            let parsed = IdentityBody::parse(
                &identity_body(item, key),
                &key.device_id,
                key.module(),
                Some(identity),
            )?;
            let was_enabled = identity.enabled;
            parsed.apply_to(identity, now);
            let before = (twin.version, TwinBefore::service(twin));
            *twin = twin_after;
            if was_enabled && !identity.enabled {
                changes.disabled(key);
            }
            changes.touch(&key.device_id, key.module());
            announce_service_write(changes, key, (before.0, &before.1), twin, notification, now);
        }
        Mode::Delete { if_match } => {
            let (identity, twin) = registry.find(key)?;
            if if_match && !identity.etag_matches(etag("eTag").or(Some(""))) {
                return Err(stale_etag("device", &identity.etag_text()));
            }
            let twin = identity.twin_json(twin);
            match key.module() {
                None => {
                    registry.devices.remove(&key.device_id);
                    changes.delete_device(&key.device_id, now, twin);
                }
                Some(module_id) => {
                    if let Some(device) = registry.devices.get_mut(&key.device_id) {
                        device.modules.remove(module_id);
                    }
                    changes.delete_module(&key.device_id, module_id, now, twin);
                }
            }
        }
        Mode::UpdateTwin { if_match } => {
            let (_, twin) = registry.find_mut(key)?;
            if if_match && !twin.etag_matches(etag("twinETag").or(Some(""))) {
                return Err(stale_etag("twin", &twin.etag_text()));
            }
            let before = (twin.version, TwinBefore::service(twin));
            let (twin_after, notification) = patched(twin, item, now)?;
            *twin = twin_after;
            if twin.version != before.0 {
                changes.touch(&key.device_id, key.module());
            }
            announce_service_write(changes, key, (before.0, &before.1), twin, notification, now);
        }
    }
    Ok(())
}

/// The item as a registry API identity body (`id` becomes `deviceId`).
fn identity_body(item: &Value, key: &IdentityKey) -> Value {
    let mut body = item.clone();
    body["deviceId"] = json!(key.device_id);
    if let Some(module_id) = &key.module_id {
        body["moduleId"] = json!(module_id);
    }
    body
}

/// `twin` with the item's `tags` and `properties.desired` merged in, leaving `twin` as it is.
fn patched(
    twin: &TwinState,
    item: &Value,
    now: &str,
) -> Result<(TwinState, Option<DesiredChange>), HubError> {
    let mut copy = twin.clone();
    let twin_part = json!({
        "tags": item.get("tags").cloned().unwrap_or(Value::Null),
        "properties": {"desired": item.pointer("/properties/desired").cloned().unwrap_or(Value::Null)},
    });
    let (tags, desired) = sections(&twin_part)?;
    // Absent and `null` sections are left alone (SDK models send unset fields as `null`).
    let given = |value: Option<&Value>| value.is_some_and(|v| !v.is_null());
    let tags = given(item.get("tags"))
        .then(|| patch_of(tags, &copy.tags))
        .flatten();
    let desired = given(item.pointer("/properties/desired"))
        .then(|| patch_of(desired, &copy.desired))
        .flatten();
    if tags.is_none() && desired.is_none() {
        return Ok((copy, None));
    }
    let notification = copy.service_patch(tags.as_ref(), desired.as_ref(), now)?;
    Ok((copy, notification))
}
