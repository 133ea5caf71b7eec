//! `$metadata` bookkeeping (spec §5.2): every node of desired carries `$lastUpdated` and, once
//! written, `$lastUpdatedVersion`; reported nodes carry only `$lastUpdated`. A write refreshes
//! the written nodes and all their ancestors; a deleted key loses its metadata.

use iothub_twin::twin::JsonObject;
use serde_json::Value;

/// Metadata of a fresh section: only the root's `$lastUpdated`.
pub(super) fn root(now: &str) -> JsonObject {
    let mut meta = JsonObject::new();
    meta.insert("$lastUpdated".into(), Value::from(now));
    meta
}

/// Records the effective `patch` written at `now` (with desired `version`, if any).
pub(super) fn touch(meta: &mut JsonObject, patch: &JsonObject, now: &str, version: Option<u64>) {
    stamp(meta, now, version);
    for (key, value) in patch {
        match value {
            Value::Null => {
                meta.remove(key);
            }
            Value::Object(children) => {
                let entry = meta
                    .entry(key.clone())
                    .or_insert_with(|| Value::Object(JsonObject::new()));
                if !entry.is_object() {
                    *entry = Value::Object(JsonObject::new());
                }
                if let Value::Object(node) = entry {
                    touch(node, children, now, version);
                }
            }
            _ => {
                let mut leaf = JsonObject::new();
                stamp(&mut leaf, now, version);
                meta.insert(key.clone(), Value::Object(leaf));
            }
        }
    }
}

fn stamp(node: &mut JsonObject, now: &str, version: Option<u64>) {
    node.insert("$lastUpdated".into(), Value::from(now));
    if let Some(version) = version {
        node.insert("$lastUpdatedVersion".into(), Value::from(version));
    }
}
