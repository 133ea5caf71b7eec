//! What a committed twin write changed, as IoT Hub's twin change notification body shows it
//! (routing source `TwinChangeEvents`): `{"version": N, "tags": {…}, "properties": {"desired":
//! {…changed…, "$metadata": {…}, "$version": N}}}`, with only the sections the write changed.
//! An update names the changed members (`null` for removed ones); a replacement always carries
//! the whole new tags and desired sections (it is committed, and moves the etag, even when
//! nothing in them changed). The store's twin change event carries this body
//! ([`crate::store::TwinChange`]).

use iothub_twin::twin::JsonObject;
use serde_json::{Value, json};

use super::TwinState;

/// Whether the write merged (`updateTwin`) or replaced (`replaceTwin`) the twin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TwinOp {
    /// A merge patch (service PATCH, or a device's reported patch).
    Update,
    /// A service PUT of the whole twin.
    Replace,
}

impl TwinOp {
    /// IoT Hub's `opType` value.
    pub fn op_type(self) -> &'static str {
        match self {
            TwinOp::Update => "updateTwin",
            TwinOp::Replace => "replaceTwin",
        }
    }
}

/// What a notification compares against: the sections a write may change, as they were before
/// it (only those, to keep the copy made under the registry lock small).
#[derive(Clone, Debug)]
pub struct TwinBefore {
    tags: Option<JsonObject>,
    desired: Option<JsonObject>,
    reported: Option<JsonObject>,
    desired_version: u64,
    reported_version: u64,
}

impl TwinBefore {
    /// Before a service write (tags and desired).
    pub fn service(twin: &TwinState) -> Self {
        Self {
            tags: Some(twin.tags.clone()),
            desired: Some(twin.desired.clone()),
            reported: None,
            desired_version: twin.desired_version,
            reported_version: twin.reported_version,
        }
    }

    /// Before a device's reported patch.
    pub fn device(twin: &TwinState) -> Self {
        Self {
            tags: None,
            desired: None,
            reported: Some(twin.reported.clone()),
            desired_version: twin.desired_version,
            reported_version: twin.reported_version,
        }
    }
}

/// The notification body for the write from `before` to `after` (the same twin): the sections
/// it changed (sections `before` did not copy count as unchanged) and the twin `version`.
pub fn notification_body(before: &TwinBefore, after: &TwinState, op: TwinOp) -> Value {
    let mut body = JsonObject::new();
    let mut properties = JsonObject::new();
    if let Some(old) = &before.tags {
        let tags = match op {
            TwinOp::Update => diff(old, &after.tags),
            TwinOp::Replace => after.tags.clone(),
        };
        if !tags.is_empty() || op == TwinOp::Replace {
            body.insert("tags".into(), Value::Object(tags));
        }
    }
    if let Some(old) = &before.desired
        && (after.desired_version != before.desired_version || op == TwinOp::Replace)
    {
        let changed = match op {
            TwinOp::Update => diff(old, &after.desired),
            TwinOp::Replace => after.desired.clone(),
        };
        let section = section(changed, &after.desired_metadata, after.desired_version);
        properties.insert("desired".into(), section);
    }
    if let Some(old) = &before.reported
        && after.reported_version != before.reported_version
    {
        let changed = diff(old, &after.reported);
        let section = section(changed, &after.reported_metadata, after.reported_version);
        properties.insert("reported".into(), section);
    }
    if !properties.is_empty() {
        body.insert("properties".into(), Value::Object(properties));
    }
    body.insert("version".into(), json!(after.version));
    Value::Object(body)
}

/// The changed members with their metadata, the section's root `$lastUpdated` and `$version`.
fn section(changed: JsonObject, metadata: &JsonObject, version: u64) -> Value {
    let mut meta = JsonObject::new();
    for (key, value) in metadata {
        if key.starts_with('$') || changed.contains_key(key) {
            meta.insert(key.clone(), value.clone());
        }
    }
    let mut out = changed;
    out.insert("$metadata".into(), Value::Object(meta));
    out.insert("$version".into(), json!(version));
    Value::Object(out)
}

/// The smallest merge patch that turns `old` into `new`: changed and added members, nested
/// objects recursively, `null` for removed members.
pub fn diff(old: &JsonObject, new: &JsonObject) -> JsonObject {
    let mut patch = JsonObject::new();
    for (key, value) in new {
        match (old.get(key), value) {
            (Some(before), after) if before == after => {}
            (Some(Value::Object(before)), Value::Object(after)) => {
                patch.insert(key.clone(), Value::Object(diff(before, after)));
            }
            _ => {
                patch.insert(key.clone(), value.clone());
            }
        }
    }
    for key in old.keys() {
        if !new.contains_key(key) {
            patch.insert(key.clone(), Value::Null);
        }
    }
    patch
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(value: Value) -> JsonObject {
        value.as_object().expect("an object").clone()
    }

    #[test]
    fn diff_names_changed_added_and_removed_members_only() {
        let old = object(json!({"a": 1, "b": {"x": 1, "y": 2}, "c": 3}));
        let new = object(json!({"a": 1, "b": {"x": 1, "y": 5}, "d": 4}));
        assert_eq!(
            Value::Object(diff(&old, &new)),
            json!({"b": {"y": 5}, "d": 4, "c": null})
        );
    }

    #[test]
    fn a_desired_patch_notifies_the_changed_members_with_version_and_metadata() {
        let now = "2026-01-01T00:00:00Z";
        let mut after = TwinState::new(now);
        let before = TwinBefore::service(&after);
        let patch = object(json!({"fan": true}));
        after
            .service_patch(None, Some(&patch), now)
            .expect("a valid patch");
        let body = notification_body(&before, &after, TwinOp::Update);
        let desired = &body["properties"]["desired"];
        assert_eq!(desired["fan"], json!(true));
        assert_eq!(desired["$version"], json!(2));
        assert_eq!(desired["$metadata"]["fan"]["$lastUpdatedVersion"], json!(2));
        assert!(body.get("tags").is_none());
        assert_eq!(body["version"], json!(after.version));
    }

    #[test]
    fn a_replacement_carries_both_whole_sections_even_unchanged() {
        let now = "2026-01-01T00:00:00Z";
        let mut after = TwinState::new(now);
        let before = TwinBefore::service(&after);
        after
            .service_replace(JsonObject::new(), JsonObject::new(), now)
            .expect("a valid replacement");
        let body = notification_body(&before, &after, TwinOp::Replace);
        assert_eq!(body["tags"], json!({}));
        assert_eq!(body["properties"]["desired"]["$version"], json!(1));
    }

    #[test]
    fn a_reported_patch_notifies_the_changed_reported_members_only() {
        let now = "2026-01-01T00:00:00Z";
        let mut after = TwinState::new(now);
        let before = TwinBefore::device(&after);
        after
            .reported_patch(&json!({"r": true}), None, now)
            .expect("a valid patch");
        let body = notification_body(&before, &after, TwinOp::Update);
        let reported = &body["properties"]["reported"];
        assert_eq!(reported["r"], json!(true));
        assert_eq!(reported["$version"], json!(2));
        assert!(body.get("tags").is_none());
        assert!(body["properties"].get("desired").is_none());
    }
}
