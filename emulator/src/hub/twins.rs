//! Twin operations of the service API (spec §4.3): get, patch (merge) and replace.
//!
//! Bodies are read tolerantly, as the SDKs need: C# sends whole `Twin` objects with identity
//! fields, `"etag": null` and `properties.reported`; users send back twins read with GET, with
//! `$metadata`/`$version` in desired. Identity and read-only fields are ignored,
//! `properties.reported` is ignored (the service cannot write it), and `$metadata`/`$version`
//! at the root of desired are dropped.
//!
//! In a patch a `null` section clears it (`{"properties":{"desired":null}}` removes every
//! desired property, as IoT Hub does); in a replacement a `null` section is an empty one, and a
//! `null` member anywhere is refused, as IoT Hub refuses it.

use iothub_twin::twin::{JsonObject, strip_metadata};
use serde_json::Value;

use super::identities::stale_etag;
use super::{Hub, Tagged};
use crate::clock;
use crate::error::HubError;
use crate::registry::IdentityKey;
use crate::store::{Changes, TwinChange};
use crate::twin_state::{
    DesiredChange, TwinBefore, TwinOp, TwinState, notification_body, removal_patch,
};

impl Hub {
    /// A device or module twin, as the service API shows it.
    pub async fn get_twin(&self, key: &IdentityKey) -> Result<Tagged, HubError> {
        self.store
            .read_committed(|registry| {
                let (identity, twin) = registry.find(key)?;
                Ok(Tagged {
                    json: identity.twin_json(twin),
                    etag: twin.etag_text(),
                })
            })
            .await
    }

    /// Merges the body's `tags` and `properties.desired` into the twin.
    pub async fn patch_twin(
        &self,
        key: &IdentityKey,
        body: &Value,
        if_match: Option<&str>,
    ) -> Result<Tagged, HubError> {
        let (tags, desired) = sections(body)?;
        self.write_twin(key, if_match, TwinOp::Update, |twin, now| {
            let tags = patch_of(tags, &twin.tags);
            let desired = patch_of(desired, &twin.desired);
            twin.service_patch(tags.as_ref(), desired.as_ref(), now)
        })
        .await
    }

    /// Replaces tags and desired properties with the body's (an omitted section becomes empty).
    pub async fn replace_twin(
        &self,
        key: &IdentityKey,
        body: &Value,
        if_match: Option<&str>,
    ) -> Result<Tagged, HubError> {
        let (tags, desired) = sections(body)?;
        let (tags, desired) = (replacement_of(tags)?, replacement_of(desired)?);
        self.write_twin(key, if_match, TwinOp::Replace, move |twin, now| {
            twin.service_replace(tags, desired, now)
        })
        .await
    }

    async fn write_twin(
        &self,
        key: &IdentityKey,
        if_match: Option<&str>,
        op: TwinOp,
        change: impl FnOnce(&mut TwinState, &str) -> Result<Option<DesiredChange>, HubError>,
    ) -> Result<Tagged, HubError> {
        let now = clock::now_iso();
        self.store
            .write(|registry, changes| {
                let (identity, twin) = registry.find_mut(key)?;
                if !twin.etag_matches(if_match) {
                    return Err(stale_etag("twin", &twin.etag_text()));
                }
                let (version_before, before) = (twin.version, TwinBefore::service(twin));
                let desired = change(twin, &now)?;
                let answer = Tagged {
                    json: identity.twin_json(twin),
                    etag: twin.etag_text(),
                };
                if twin.version != version_before {
                    changes.touch(&key.device_id, key.module());
                    let change = TwinChange {
                        op,
                        version: twin.version,
                        timestamp: now.clone(),
                        desired,
                        body: notification_body(&before, twin, op),
                    };
                    changes.twin_changed(key, change);
                }
                Ok(answer)
            })
            .await
    }
}

/// A section of a twin-shaped body: absent, `null`, or an object.
pub(super) enum Section {
    Absent,
    Null,
    Object(JsonObject),
}

/// `tags` and `properties.desired` of a twin-shaped body.
pub(super) fn sections(body: &Value) -> Result<(Section, Section), HubError> {
    let Value::Object(fields) = body else {
        return Err(HubError::invalid("the twin must be a JSON object"));
    };
    let tags = section(fields.get("tags"), "tags")?;
    let properties = match fields.get("properties") {
        None | Some(Value::Null) => None,
        Some(Value::Object(p)) => Some(p),
        Some(_) => return Err(HubError::invalid("properties must be an object")),
    };
    let mut desired = section(
        properties.and_then(|p| p.get("desired")),
        "properties.desired",
    )?;
    if let Section::Object(desired) = &mut desired {
        strip_metadata(desired);
    }
    Ok((tags, desired))
}

fn section(value: Option<&Value>, name: &str) -> Result<Section, HubError> {
    match value {
        None => Ok(Section::Absent),
        Some(Value::Null) => Ok(Section::Null),
        Some(Value::Object(object)) => Ok(Section::Object(object.clone())),
        Some(_) => Err(HubError::invalid(format!("{name} must be a JSON object"))),
    }
}

/// The merge patch a section of a PATCH body means for the twin's `current` section.
pub(super) fn patch_of(section: Section, current: &JsonObject) -> Option<JsonObject> {
    match section {
        Section::Absent => None,
        Section::Null => Some(removal_patch(current)),
        Section::Object(object) => Some(object),
    }
}

/// A replacement section: no `null` member anywhere (IoT Hub's 400 and wording).
fn replacement_of(section: Section) -> Result<JsonObject, HubError> {
    let object = match section {
        Section::Absent | Section::Null => return Ok(JsonObject::new()),
        Section::Object(object) => object,
    };
    if let Some(path) = first_null(&object, "") {
        return Err(HubError::invalid(format!(
            "Value of Property or Tag cannot be null. Error in Property/Tag {path}"
        )));
    }
    Ok(object)
}

/// The dotted path of the first `null` member, searching nested objects too.
fn first_null(object: &JsonObject, prefix: &str) -> Option<String> {
    object.iter().find_map(|(key, value)| {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            Value::Null => Some(path),
            Value::Object(children) => first_null(children, &path),
            _ => None,
        }
    })
}

/// Announces a service-side twin write (a job's patch, a bulk `updateTwin`) as one
/// [`crate::store::StoreEvent::TwinChanged`], as [`Hub`]'s own twin writes do; nothing when the
/// write left the twin's version as it was.
pub(super) fn announce_service_write(
    changes: &mut Changes,
    key: &IdentityKey,
    before: (u64, &TwinBefore),
    twin: &TwinState,
    desired: Option<DesiredChange>,
    now: &str,
) {
    let (version_before, before) = before;
    if twin.version == version_before {
        return;
    }
    let op = TwinOp::Update;
    changes.twin_changed(
        key,
        TwinChange {
            op,
            version: twin.version,
            timestamp: now.to_owned(),
            desired,
            body: notification_body(before, twin, op),
        },
    );
}
