//! Durability, ordering, nothing shown before it is committed, and the
//! one-emulator-per-data-dir rule.

use serde_json::json;

use super::Store;
use crate::registry::{Device, IdentityBody};

async fn create(store: &Store, id: &str) {
    let id = id.to_owned();
    store
        .write(move |registry, changes| {
            let body = IdentityBody::parse(&json!({}), &id, None, None)?;
            registry
                .devices
                .insert(id.clone(), Device::create(&id, body, "t0"));
            changes.touch(&id, None);
            Ok(())
        })
        .await
        .unwrap();
}

async fn patch_desired(store: &Store, id: &str, n: u64) {
    let id = id.to_owned();
    store
        .write(move |registry, changes| {
            let (_, twin) = registry.twin_of_mut(&id, None).unwrap();
            let patch = json!({"n": n}).as_object().unwrap().clone();
            if let Some(change) = twin.service_patch(None, Some(&patch), "t1")? {
                changes.touch(&id, None);
                changes.twin_changed(
                    &crate::registry::IdentityKey::device(&id),
                    super::TwinChange {
                        op: super::TwinOp::Update,
                        version: twin.version,
                        timestamp: "t1".to_owned(),
                        desired: Some(change),
                        body: serde_json::Value::Null,
                    },
                );
            }
            Ok(())
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn everything_acknowledged_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (store, policies) = Store::open(Some(dir.path())).unwrap();
    create(&store, "d1").await;
    // Many concurrent writers: each acknowledged write must be on disk.
    let writers: Vec<_> = (0..64)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move { create(&store, &format!("c{i:02}")).await })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    patch_desired(&store, "d1", 42).await;
    let keys_before = store.read(|r| {
        r.device("d1")
            .unwrap()
            .identity
            .authentication
            .primary_key
            .clone()
    });
    store.close().await;

    let (reopened, policies_again) = Store::open(Some(dir.path())).unwrap();
    reopened.read(|registry| {
        assert_eq!(registry.devices.len(), 65);
        let d1 = registry.device("d1").unwrap();
        assert_eq!(d1.twin.desired["n"], 42);
        assert_eq!(d1.twin.desired_version, 2);
        assert_eq!(d1.identity.authentication.primary_key, keys_before);
    });
    assert_eq!(
        policies.owner().primary_key.expose_base64(),
        policies_again.owner().primary_key.expose_base64(),
        "policy keys are generated once and kept"
    );
    reopened.close().await;
}

#[tokio::test]
async fn notifications_follow_commit_order() {
    let (store, _) = Store::open(None).unwrap();
    create(&store, "d1").await;
    let mut notifications = store.subscribe();
    let writers: Vec<_> = (0..50)
        .map(|n| {
            let store = store.clone();
            tokio::spawn(async move { patch_desired(&store, "d1", n).await })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    let versions: Vec<u64> = (0..50)
        .map(|_| notifications.try_recv().unwrap().desired().unwrap().version)
        .collect();
    assert_eq!(versions, (2..52).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_data_dir_serves_one_emulator_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::open(Some(dir.path())).unwrap();
    create(&store, "d1").await;
    let second = Store::open(Some(dir.path()));
    let message = format!("{:#}", second.unwrap_err());
    assert!(message.contains("another emulator"), "{message}");
    store.close().await;
    // Once the first is closed the dir can be opened again.
    let (again, _) = Store::open(Some(dir.path())).unwrap();
    again.close().await;
}

#[tokio::test]
async fn writes_after_close_are_refused() {
    let (store, _) = Store::open(None).unwrap();
    store.close().await;
    let err = store
        .write(|_, changes| {
            changes.delete_device("x", "t1", serde_json::Value::Null);
            Ok(())
        })
        .await
        .unwrap_err();
    assert_eq!(err.code, iothub_twin::ErrorCode::ServiceUnavailable);
}

/// Keeps `store`'s commits back (a thread holds the writer's gate) until the returned
/// function is called.
fn hold_commits(store: &Store) -> impl FnOnce() {
    let gate = store.commit_gate();
    let (held, is_held) = std::sync::mpsc::channel();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        let _held = gate.lock().unwrap();
        held.send(()).unwrap();
        let _ = released.recv();
    });
    is_held.recv().unwrap();
    move || {
        release.send(()).unwrap();
        holder.join().unwrap();
    }
}

// Regression (tests/reliability crash_safety): reads answered from memory showed `$version`s
// of writes not yet committed, which a `kill -9` then took back.
#[tokio::test]
async fn nothing_uncommitted_is_shown() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::open(Some(dir.path())).unwrap();
    create(&store, "d1").await;
    let release = hold_commits(&store);
    let writer = tokio::spawn({
        let store = store.clone();
        async move { patch_desired(&store, "d1", 7).await }
    });
    // The write reaches memory but cannot commit.
    let version =
        |registry: &crate::registry::Registry| registry.device("d1").unwrap().twin.desired_version;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while store.read(version) != 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the write never reached memory"
        );
        tokio::task::yield_now().await;
    }
    // Neither a read for an answer nor a write that changes nothing (an MQTT twin GET) may
    // show it yet.
    let mut read = std::pin::pin!(store.read_committed(version));
    let mut get = std::pin::pin!(store.write(|registry, _| Ok(version(registry))));
    assert!(futures::poll!(read.as_mut()).is_pending());
    assert!(futures::poll!(get.as_mut()).is_pending());
    release();
    assert_eq!(read.await, 2);
    assert_eq!(get.await.unwrap(), 2);
    writer.await.unwrap();
    store.close().await;
}
