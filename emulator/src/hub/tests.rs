//! The hub's operations and the events they commit, in order, without an adapter.

use serde_json::{Value, json};
use tokio::sync::broadcast::error::TryRecvError;

use super::hub_for_tests;
use crate::registry::IdentityKey;
use crate::store::{StoreEvent, TwinOp};

fn object(value: Value) -> iothub_twin::twin::JsonObject {
    value.as_object().unwrap().clone()
}

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
    assert_eq!(
        next(),
        StoreEvent::IdentityCreated {
            key: device.clone()
        }
    );
    assert_eq!(
        next(),
        StoreEvent::IdentityCreated {
            key: module.clone()
        }
    );
    let StoreEvent::TwinChanged { key, change } = next() else {
        panic!("expected the device's twin change");
    };
    assert_eq!(key, device);
    assert_eq!(change.op, TwinOp::Update);
    assert_eq!(change.version, 3);
    assert_eq!(change.tags, Some(object(json!({"t": 1}))));
    let desired = change.desired.unwrap();
    assert_eq!(desired.payload(), json!({"d": 1, "$version": 2}));
    assert_eq!(change.reported, None);
    let StoreEvent::TwinChanged { key, change } = next() else {
        panic!("expected the module's twin change");
    };
    assert_eq!(
        (key, change.op, change.tags),
        (module, TwinOp::Replace, None)
    );
    assert_eq!(
        change.desired.unwrap().payload(),
        json!({"m": 2, "$version": 2})
    );
    let StoreEvent::TwinChanged { change, .. } = next() else {
        panic!("expected the reported change");
    };
    let reported = change.reported.unwrap();
    assert_eq!(
        (reported.version, reported.patch),
        (2, object(json!({"r": true})))
    );
    assert_eq!((change.tags, change.desired), (None, None));
    assert_eq!(
        next(),
        StoreEvent::IdentityDisabled {
            key: device.clone()
        }
    );
    assert_eq!(next(), StoreEvent::IdentityDeleted { key: device });
    assert_eq!(events.try_recv().unwrap_err(), TryRecvError::Empty);
}
