//! The hub's operations and the events they commit, in order, without an adapter.

use serde_json::json;
use tokio::sync::broadcast::error::TryRecvError;

use super::hub_for_tests;
use crate::registry::IdentityKey;
use crate::store::{StoreEvent, TwinOp};

#[tokio::test]
async fn every_committed_change_is_one_event_in_commit_order() {
    let (hub, _dir) = hub_for_tests("localhost");
    let mut events = hub.subscribe();
    let device = IdentityKey::device("d1");
    let module = IdentityKey::new("d1", Some("m1"));

    hub.put_identity(&device, &json!({}), None).await.unwrap();
    hub.put_identity(&module, &json!({}), None).await.unwrap();
    hub.patch_twin(
        &device,
        &json!({"tags": {"t": 1}, "properties": {"desired": {"d": 1}}}),
        None,
    )
    .await
    .unwrap();
    hub.replace_twin(&module, &json!({"properties": {"desired": {"m": 2}}}), None)
        .await
        .unwrap();
    hub.device_patch_reported(&device, br#"{"r": true}"#, None)
        .await
        .unwrap();
    // A write that changes nothing announces nothing.
    hub.patch_twin(&device, &json!({"tags": {"gone": null}}), None)
        .await
        .unwrap();
    hub.put_identity(&device, &json!({"status": "disabled"}), Some("*"))
        .await
        .unwrap();
    hub.delete_identity(&device, None).await.unwrap();

    let mut next = || events.try_recv().unwrap();
    let StoreEvent::IdentityCreated { key, twin, .. } = next() else {
        panic!("expected the device's creation");
    };
    assert_eq!(
        (key, &twin["deviceId"], twin.get("moduleId")),
        (device.clone(), &json!("d1"), None)
    );
    let StoreEvent::IdentityCreated { key, twin, .. } = next() else {
        panic!("expected the module's creation");
    };
    assert_eq!((key, &twin["moduleId"]), (module.clone(), &json!("m1")));
    let StoreEvent::TwinChanged { key, change } = next() else {
        panic!("expected the device's twin change");
    };
    assert_eq!(key, device);
    assert_eq!(change.op, TwinOp::Update);
    assert_eq!(change.version, 3);
    assert_eq!(change.body["tags"], json!({"t": 1}));
    assert_eq!(change.body["properties"]["desired"]["d"], json!(1));
    assert_eq!(change.body["properties"]["desired"]["$version"], json!(2));
    assert_eq!(change.body["version"], json!(3));
    let desired = change.desired.unwrap();
    assert_eq!(desired.payload(), json!({"d": 1, "$version": 2}));
    assert!(change.body["properties"].get("reported").is_none());
    let StoreEvent::TwinChanged { key, change } = next() else {
        panic!("expected the module's twin change");
    };
    assert_eq!((key, change.op), (module, TwinOp::Replace));
    // A replacement names both whole sections, as IoT Hub's replaceTwin notification does.
    assert_eq!(change.body["tags"], json!({}));
    assert_eq!(change.body["properties"]["desired"]["m"], json!(2));
    assert_eq!(
        change.desired.unwrap().payload(),
        json!({"m": 2, "$version": 2})
    );
    let StoreEvent::TwinChanged { change, .. } = next() else {
        panic!("expected the reported change");
    };
    let reported = &change.body["properties"]["reported"];
    assert_eq!(
        (&reported["r"], &reported["$version"]),
        (&json!(true), &json!(2))
    );
    assert!(change.body.get("tags").is_none());
    assert!(change.body["properties"].get("desired").is_none());
    assert_eq!(change.desired, None);
    assert_eq!(
        next(),
        StoreEvent::IdentityDisabled {
            key: device.clone()
        }
    );
    let StoreEvent::IdentityDeleted { key, twin, .. } = next() else {
        panic!("expected the device's deletion");
    };
    assert_eq!((key, &twin["status"]), (device, &json!("disabled")));
    assert_eq!(events.try_recv().unwrap_err(), TryRecvError::Empty);
}
