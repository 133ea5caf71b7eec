//! Twin writes made by a job or a bulk call reach the store's event stream as the twin change
//! feed needs them: one `TwinChanged` per patched twin with IoT Hub's notification body, and
//! `IdentityCreated` / `IdentityDeleted` with their timestamp and twin.

use axum::http::{Method, StatusCode};
use serde_json::json;
use time::OffsetDateTime;
use tokio::sync::broadcast::error::TryRecvError;

use super::harness::Hub;
use crate::hub::JobStep;
use crate::job_state::format_time;
use crate::store::StoreEvent;

const V: &str = "api-version=2021-04-12";

#[tokio::test]
async fn a_bulk_create_and_delete_are_announced_with_their_twins() {
    let hub = Hub::new();
    let mut events = hub.state.store().subscribe();
    let items = json!([{"id": "bulk1", "importMode": "create", "tags": {"plant": "Redmond43"}}]);
    let reply = hub
        .call(Method::POST, &format!("/devices?{V}"), Some(&items))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    match events.try_recv().unwrap() {
        StoreEvent::IdentityCreated {
            key,
            timestamp,
            twin,
        } => {
            assert_eq!(key.device_id, "bulk1");
            assert!(timestamp.ends_with('Z'), "{timestamp}");
            assert_eq!(twin["deviceId"], "bulk1");
            assert_eq!(twin["tags"], json!({"plant": "Redmond43"}));
        }
        other => panic!("expected IdentityCreated, got {other:?}"),
    }
    assert_eq!(events.try_recv().unwrap_err(), TryRecvError::Empty);

    let items = json!([{"id": "bulk1", "importMode": "delete"}]);
    let reply = hub
        .call(Method::POST, &format!("/devices?{V}"), Some(&items))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    match events.try_recv().unwrap() {
        StoreEvent::IdentityDeleted { key, twin, .. } => {
            assert_eq!(key.device_id, "bulk1");
            assert_eq!(twin["tags"], json!({"plant": "Redmond43"}));
        }
        other => panic!("expected IdentityDeleted, got {other:?}"),
    }
}

#[tokio::test]
async fn a_bulk_update_twin_and_a_jobs_patch_announce_one_twin_change_each() {
    let hub = Hub::new();
    hub.create_device("dev1").await;
    let mut events = hub.state.store().subscribe();

    let items = json!([{"id": "dev1", "importMode": "updateTwin", "tags": {"plant": "Redmond43"}}]);
    let reply = hub
        .call(Method::POST, &format!("/devices?{V}"), Some(&items))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    match events.try_recv().unwrap() {
        StoreEvent::TwinChanged { key, change } => {
            assert_eq!(key.device_id, "dev1");
            assert_eq!(change.body["tags"], json!({"plant": "Redmond43"}));
            assert!(change.desired.is_none(), "only tags changed");
        }
        other => panic!("expected TwinChanged, got {other:?}"),
    }
    assert_eq!(events.try_recv().unwrap_err(), TryRecvError::Empty);

    let now = OffsetDateTime::now_utc();
    let job = json!({
        "type": "scheduleUpdateTwin",
        "queryCondition": "tags.plant = 'Redmond43'",
        "updateTwin": {"properties": {"desired": {"firmware": {"version": "2.0"}}}},
        "startTime": format_time(now),
        "maxExecutionTimeInSeconds": 600,
    });
    let reply = hub
        .call(Method::PUT, &format!("/jobs/v2/fw2?{V}"), Some(&job))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    while hub.state.step_jobs(now, 10).await.unwrap() == JobStep::Worked {}
    match events.try_recv().unwrap() {
        StoreEvent::TwinChanged { key, change } => {
            assert_eq!(key.device_id, "dev1");
            assert_eq!(
                change.body["properties"]["desired"]["firmware"],
                json!({"version": "2.0"})
            );
            assert_eq!(
                change.desired.unwrap().payload(),
                json!({"firmware": {"version": "2.0"}, "$version": 2})
            );
        }
        other => panic!("expected TwinChanged, got {other:?}"),
    }
    assert_eq!(events.try_recv().unwrap_err(), TryRecvError::Empty);
}
