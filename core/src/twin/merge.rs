//! Merge-patch (RFC 7386 with IoT Hub's rules, spec §5.4) and the patches derived from it.
//!
//! * [`apply_patch`] merges a patch and returns the *effective* patch: what the desired
//!   notification carries (spec §3.7: keys diffed by existence, not value).
//! * [`diff`] gives the smallest patch that turns one document into another (value diff, `null`
//!   for removed keys): what a client delivers after a resync.
//! * [`replacement_patch`] is the notification for a replace (PUT): every key of the new
//!   document plus `null` for each removed key.

use serde_json::Value;

use super::JsonObject;
use super::model::is_bookkeeping;

/// Merges `patch` into `target` and returns the effective patch.
///
/// Rules: `null` deletes (deleting an absent key changes nothing and is left out of the result);
/// an object merges recursively into an object, and into anything else as a fresh object with its
/// `null`s dropped (`{"p1":{"p2":null}}` on absent `p1` gives `"p1":{}`); any other value
/// (scalar, array) replaces and is always part of the result, even when equal to the old value,
/// as IoT Hub notifies re-sent values again. An object patch that changes nothing (`{"a":{}}` on
/// an existing object `a`) is left out.
pub fn apply_patch(target: &mut JsonObject, patch: &JsonObject) -> JsonObject {
    let mut effective = JsonObject::new();
    for (key, value) in patch {
        match value {
            Value::Null => {
                if target.remove(key).is_some() {
                    effective.insert(key.clone(), Value::Null);
                }
            }
            Value::Object(sub_patch) => match target.get_mut(key) {
                Some(Value::Object(existing)) => {
                    let sub = apply_patch(existing, sub_patch);
                    if !sub.is_empty() {
                        effective.insert(key.clone(), Value::Object(sub));
                    }
                }
                _ => {
                    let mut fresh = JsonObject::new();
                    apply_patch(&mut fresh, sub_patch);
                    target.insert(key.clone(), Value::Object(fresh.clone()));
                    effective.insert(key.clone(), Value::Object(fresh));
                }
            },
            other => {
                target.insert(key.clone(), other.clone());
                effective.insert(key.clone(), other.clone());
            }
        }
    }
    effective
}

/// The smallest merge patch that turns `old` into `new`: changed or added keys with their new
/// value, `null` for removed keys, recursing into objects present on both sides.
///
/// `apply_patch(old, diff(old, new))` yields `new` for any `new` that holds no `null` members
/// (twin documents never do: writing `null` deletes).
pub fn diff(old: &JsonObject, new: &JsonObject) -> JsonObject {
    let mut patch = JsonObject::new();
    for key in old.keys() {
        if !new.contains_key(key) {
            patch.insert(key.clone(), Value::Null);
        }
    }
    for (key, new_value) in new {
        match (old.get(key), new_value) {
            (Some(Value::Object(old_sub)), Value::Object(new_sub)) => {
                let sub = diff(old_sub, new_sub);
                if !sub.is_empty() {
                    patch.insert(key.clone(), Value::Object(sub));
                }
            }
            (Some(old_value), new_value) if old_value == new_value => {}
            (_, new_value) => {
                patch.insert(key.clone(), new_value.clone());
            }
        }
    }
    patch
}

/// The desired notification for replacing `old` with `new` (spec §3.7): every key of `new`
/// (recursing into objects present on both sides, so the device's merge removes nested keys
/// too) plus `null` for each key of `old` that `new` lacks.
pub fn replacement_patch(old: &JsonObject, new: &JsonObject) -> JsonObject {
    let mut patch = JsonObject::new();
    for (key, new_value) in new {
        let value = match (old.get(key), new_value) {
            (Some(Value::Object(old_sub)), Value::Object(new_sub)) => {
                Value::Object(replacement_patch(old_sub, new_sub))
            }
            (_, new_value) => new_value.clone(),
        };
        patch.insert(key.clone(), value);
    }
    for key in old.keys() {
        if !new.contains_key(key) {
            patch.insert(key.clone(), Value::Null);
        }
    }
    patch
}

/// Removes the bookkeeping members `$version` and `$metadata` from a properties section, e.g.
/// before sending a twin read from GET back as a patch.
pub fn strip_metadata(section: &mut JsonObject) {
    section.retain(|key, _| !is_bookkeeping(key));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(value: Value) -> JsonObject {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn apply_reports_the_effective_patch() {
        let mut doc = obj(json!({"a": 1, "b": {"c": 2}, "keep": {}}));
        let effective = apply_patch(
            &mut doc,
            &obj(
                json!({"a": 1, "b": {"c": null, "d": 3}, "gone": null, "keep": {}, "n": {"x": null}}),
            ),
        );
        assert_eq!(
            Value::Object(doc),
            json!({"a": 1, "b": {"d": 3}, "keep": {}, "n": {}})
        );
        assert_eq!(
            Value::Object(effective),
            json!({"a": 1, "b": {"c": null, "d": 3}, "n": {}})
        );
    }

    #[test]
    fn diff_then_apply_gives_the_new_document() {
        let old = obj(json!({"a": 1, "b": {"x": 1, "y": 2}, "c": [1, 2], "d": "s"}));
        let new = obj(json!({"a": 1, "b": {"x": 1}, "c": [1, 3], "e": {"f": {}}}));
        let patch = diff(&old, &new);
        assert_eq!(
            Value::Object(patch.clone()),
            json!({"d": null, "b": {"y": null}, "c": [1, 3], "e": {"f": {}}})
        );
        let mut applied = old.clone();
        apply_patch(&mut applied, &patch);
        assert_eq!(applied, new);
        assert!(diff(&new, &new).is_empty());
    }

    #[test]
    fn replacement_names_every_new_key_and_nulls_removed_ones() {
        let old = obj(json!({"a": 1, "b": 2}));
        let new = obj(json!({"a": 1, "c": 100}));
        assert_eq!(
            Value::Object(replacement_patch(&old, &new)),
            json!({"a": 1, "c": 100, "b": null})
        );
    }

    #[test]
    fn strip_metadata_keeps_user_properties() {
        let mut section = obj(json!({"$version": 3, "$metadata": {}, "x": 1}));
        strip_metadata(&mut section);
        assert_eq!(Value::Object(section), json!({"x": 1}));
    }
}
