//! Reported patches and the device's view (the REST side is covered through the router).

use serde_json::json;

use super::TwinState;
use crate::error::HubError;

const NOW: &str = "2026-01-01T00:00:00.0000000Z";

#[test]
fn reported_patches_bump_reported_version_and_never_the_etag() {
    let mut twin = TwinState::new(NOW);
    assert_eq!(
        twin.reported_patch(&json!({"connectivity": {"type": "cellular"}}), None, NOW),
        Ok(2)
    );
    // Re-sending the same values is still a write.
    assert_eq!(
        twin.reported_patch(&json!({"connectivity": {"type": "cellular"}}), None, NOW),
        Ok(3)
    );
    assert_eq!((twin.etag, twin.version, twin.desired_version), (1, 4, 1));
    let meta = &twin.reported_metadata["connectivity"]["type"];
    assert_eq!(
        meta,
        &json!({"$lastUpdated": NOW}),
        "reported metadata has no $lastUpdatedVersion"
    );
    assert_eq!(
        twin.device_view(),
        json!({"desired": {"$version": 1}, "reported": {"connectivity": {"type": "cellular"}, "$version": 3}})
    );
}

#[test]
fn a_bad_reported_patch_is_refused_whole() {
    let mut twin = TwinState::new(NOW);
    let err = twin
        .reported_patch(&json!({"good": "x", "$bad": 123}), None, NOW)
        .unwrap_err();
    assert_eq!(err.code, iothub_twin::ErrorCode::ArgumentInvalid);
    assert!(
        twin.reported.is_empty(),
        "nothing of a refused patch is written"
    );
    assert_eq!(twin.reported_version, 1);
    assert!(twin.reported_patch(&json!([1]), None, NOW).is_err());
    assert!(
        twin.reported_patch(&json!({"l": [null]}), None, NOW)
            .is_err()
    );
}

#[test]
fn conditional_reported_patch_checks_the_version() {
    let mut twin = TwinState::new(NOW);
    let stale: Result<u64, HubError> = twin.reported_patch(&json!({"a": 1}), Some(7), NOW);
    assert_eq!(
        stale.unwrap_err().code,
        iothub_twin::ErrorCode::PreconditionFailed
    );
    assert_eq!(twin.reported_patch(&json!({"a": 1}), Some(1), NOW), Ok(2));
}

#[test]
fn null_inside_a_new_object_creates_the_parent() {
    let mut twin = TwinState::new(NOW);
    twin.reported_patch(&json!({"p1": {"p2": null}, "q": null}), None, NOW)
        .unwrap();
    assert_eq!(
        serde_json::Value::Object(twin.reported.clone()),
        json!({"p1": {}})
    );
}
