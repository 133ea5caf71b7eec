//! The core's merge-patch (apply, diff, replacement patch) and twin limits, and the emulator's
//! twin write rules built on them, on arbitrary JSON.
//!
//! Input: the first byte picks the section (tags, desired, reported); the rest is up to three
//! JSON values separated by whitespace: a base document `a`, a target document `b` and a patch
//! `p` (missing ones are `{}`). Any value is first checked with `validate` (which must never
//! panic); objects are turned into twin documents by merging them into `{}` (which drops `null`
//! members, as writing `null` deletes).
//!
//! Invariants:
//! * `apply(A, diff(A, B)) == B` and `apply(A, replacement_patch(A, B)) == B`; `diff(B, B)` is
//!   empty;
//! * merge is idempotent (`apply(apply(A, p), p)` changes nothing more) and its effective patch
//!   alone takes `A` to the same result;
//! * merging a valid patch into a valid section can break only the size limit: `validate` of
//!   the result agrees with `check_section_size`, whose figure is `measured_size`;
//! * the emulator's `TwinState` accepts a write exactly when those checks pass, changes nothing
//!   when it refuses, and moves its versions by one when it accepts.

#![no_main]

use iothub_twin::twin::{
    JsonObject, Section, ValidationError, Violation, apply_patch, check_section_size, diff,
    measured_size, replacement_patch, validate,
};
use iothub_twin_emulator::TwinState;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const NOW: &str = "2026-11-27T10:00:00.0000000Z";

/// `value` as a twin document: its object members with `null`s dropped, or `{}`.
fn document(value: &Value) -> JsonObject {
    let mut document = JsonObject::new();
    if let Value::Object(members) = value {
        apply_patch(&mut document, members);
    }
    document
}

fn is_valid(section: Section, document: &JsonObject) -> bool {
    validate(section, &Value::Object(document.clone())).is_ok()
}

fn check_merge_algebra(a: &JsonObject, b: &JsonObject, patch: &JsonObject) {
    let mut via_diff = a.clone();
    apply_patch(&mut via_diff, &diff(a, b));
    assert_eq!(&via_diff, b, "apply(A, diff(A, B)) == B");
    let mut via_replacement = a.clone();
    apply_patch(&mut via_replacement, &replacement_patch(a, b));
    assert_eq!(
        &via_replacement, b,
        "apply(A, replacement_patch(A, B)) == B"
    );
    assert!(diff(b, b).is_empty(), "diff(B, B) is empty");

    let mut merged = a.clone();
    let effective = apply_patch(&mut merged, patch);
    let mut again = merged.clone();
    apply_patch(&mut again, patch);
    assert_eq!(again, merged, "merge-patch is idempotent");
    let mut via_effective = a.clone();
    apply_patch(&mut via_effective, &effective);
    assert_eq!(
        via_effective, merged,
        "the effective patch alone gives the same result"
    );
}

fn check_limits(section: Section, a: &JsonObject, patch: &Value) {
    let size = measured_size(a);
    match validate(section, &Value::Object(a.clone())) {
        Err(ValidationError {
            violation: Violation::TooLarge { size: seen, max },
            ..
        }) => {
            assert_eq!((seen, max), (size, section.max_size()));
            assert!(check_section_size(section, a).is_err());
        }
        Err(_) => {}
        Ok(()) => assert!(size <= section.max_size() && check_section_size(section, a).is_ok()),
    }
    let Value::Object(patch) = patch else { return };
    if !is_valid(section, a) || validate(section, &Value::Object(patch.clone())).is_err() {
        return;
    }
    let mut merged = a.clone();
    apply_patch(&mut merged, patch);
    assert_eq!(
        is_valid(section, &merged),
        check_section_size(section, &merged).is_ok(),
        "a valid patch merged into a valid section can break only the size limit"
    );
}

fn check_twin_state(section: Section, a: &JsonObject, patch: &Value) {
    let mut twin = TwinState::new(NOW);
    // Start from `a` when the twin takes it, else from an empty section.
    let _ = match section {
        Section::Reported => twin
            .reported_patch(&Value::Object(a.clone()), None, NOW)
            .map(drop),
        Section::Tags => twin.service_patch(Some(a), None, NOW).map(drop),
        Section::Desired => twin.service_patch(None, Some(a), NOW).map(drop),
    };
    let before = twin.clone();
    let current = match section {
        Section::Tags => &before.tags,
        Section::Desired => &before.desired,
        Section::Reported => &before.reported,
    };
    let expected = match patch {
        Value::Object(members) if validate(section, patch).is_ok() => {
            let mut merged = current.clone();
            apply_patch(&mut merged, members);
            check_section_size(section, &merged)
                .is_ok()
                .then_some(merged)
        }
        _ => None,
    };
    let (accepted, after) = match section {
        Section::Reported => (
            twin.reported_patch(patch, None, NOW).is_ok(),
            &twin.reported,
        ),
        Section::Tags | Section::Desired => {
            let Value::Object(members) = patch else {
                return;
            };
            let result = if section == Section::Tags {
                twin.service_patch(Some(members), None, NOW)
            } else {
                twin.service_patch(None, Some(members), NOW)
            };
            (
                result.is_ok(),
                if section == Section::Tags {
                    &twin.tags
                } else {
                    &twin.desired
                },
            )
        }
    };
    assert_eq!(
        accepted,
        expected.is_some(),
        "the twin enforces exactly the core's limits"
    );
    match expected {
        Some(merged) => {
            assert_eq!(after, &merged);
            if section == Section::Reported {
                assert_eq!(twin.reported_version, before.reported_version + 1);
                assert_eq!(twin.version, before.version + 1);
            }
        }
        None => {
            assert_eq!(after, current, "a refused write changes nothing");
            assert_eq!(
                (
                    twin.version,
                    twin.etag,
                    twin.desired_version,
                    twin.reported_version
                ),
                (
                    before.version,
                    before.etag,
                    before.desired_version,
                    before.reported_version
                )
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, text)) = data.split_first() else {
        return;
    };
    let section = [Section::Tags, Section::Desired, Section::Reported][usize::from(selector % 3)];
    let mut values: Vec<Value> = serde_json::Deserializer::from_slice(text)
        .into_iter::<Value>()
        .take(3)
        .map_while(Result::ok)
        .collect();
    for value in &values {
        for section in [Section::Tags, Section::Desired, Section::Reported] {
            let _ = validate(section, value);
        }
    }
    values.resize(3, Value::Object(JsonObject::new()));
    let (a, b) = (document(&values[0]), document(&values[1]));
    let patch = &values[2];
    if let Value::Object(members) = patch {
        check_merge_algebra(&a, &b, members);
    }
    check_limits(section, &a, patch);
    check_twin_state(section, &a, patch);
});
