//! Twin queries against the in-process emulator: paging across 1,000 devices and the guides'
//! two queries.
//!
//! The pager and stream are also unit-tested with scripted pages in
//! `core/src/service/tests/query.rs`.

use std::collections::HashSet;

use futures::{StreamExt as _, TryStreamExt as _, stream};
use iothub_twin::service::{Authentication, Device, QueryItemType, QueryOptions};
use iothub_twin_e2e::{Hub, unique_id};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_across_1000_devices_yields_each_exactly_once() {
    let hub = Hub::start().await;
    let ids: Vec<String> = (0..1000).map(|i| format!("page-{i:04}")).collect();
    stream::iter(ids.iter().cloned())
        .map(|id| {
            let client = hub.client.clone();
            async move {
                client
                    .create_device(&Device::new(id, Authentication::sas()))
                    .await
            }
        })
        .buffer_unordered(16)
        .try_collect::<Vec<_>>()
        .await
        .unwrap();

    // Page by page: at most 100 per page, continuation until the last page.
    let mut pager = hub.client.query(
        "SELECT * FROM devices",
        QueryOptions {
            page_size: Some(100),
            continuation: None,
        },
    );
    let mut seen = HashSet::new();
    let mut pages = 0;
    while let Some(page) = pager.next_page().await.unwrap() {
        pages += 1;
        assert!(
            page.items.len() <= 100,
            "page {pages}: {}",
            page.items.len()
        );
        assert_eq!(page.item_type, Some(QueryItemType::Twin));
        for item in page.items {
            let id = item.into_twin().unwrap().device_id.unwrap();
            assert!(seen.insert(id.clone()), "{id} came twice");
        }
        assert!(pages <= 11, "the pager must end");
    }
    assert!(pages >= 10, "{pages} pages");
    assert_eq!(seen, ids.iter().cloned().collect::<HashSet<_>>());

    // The same as a stream of twins.
    let streamed: Vec<String> = hub
        .client
        .query_twins("SELECT * FROM devices", Some(100))
        .map_ok(|twin| twin.device_id.unwrap())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(streamed.len(), 1000);
    assert_eq!(streamed.iter().collect::<HashSet<_>>().len(), 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guides_two_queries() {
    let hub = Hub::start().await;
    let (cellular, wifi, elsewhere) = (
        unique_id("q-cell"),
        unique_id("q-wifi"),
        unique_id("q-else"),
    );
    for (id, plant) in [
        (&cellular, "Redmond43"),
        (&wifi, "Redmond43"),
        (&elsewhere, "Other"),
    ] {
        hub.client
            .create_device(&Device::new(id, Authentication::sas()))
            .await
            .unwrap();
        hub.client
            .update_twin(
                id,
                &json!({"tags": {"location": {"region": "US", "plant": plant}}}),
                None,
            )
            .await
            .unwrap();
    }
    // What the device app of the guides reports (set in the store: the device client is not
    // part of this test).
    for (id, kind) in [(&cellular, "cellular"), (&wifi, "wifi")] {
        let id = id.clone();
        hub.emulator
            .store()
            .write(move |registry, changes| {
                let (_, twin) = registry.twin_of_mut(&id, None).unwrap();
                twin.reported_patch(
                    &json!({"connectivity": {"type": kind}}),
                    None,
                    "2026-11-27T00:00:00Z",
                )?;
                changes.touch(&id, None);
                Ok(())
            })
            .await
            .unwrap();
    }

    let ids = |sql: &'static str| {
        let client = hub.client.clone();
        async move {
            let mut ids: Vec<String> = client
                .query_twins(sql, Some(100))
                .map_ok(|t| t.device_id.unwrap())
                .try_collect()
                .await
                .unwrap();
            ids.sort();
            ids
        }
    };
    let mut redmond = vec![cellular.clone(), wifi.clone()];
    redmond.sort();
    assert_eq!(
        ids("SELECT * FROM devices WHERE tags.location.plant = 'Redmond43'").await,
        redmond
    );
    assert_eq!(
        ids("SELECT * FROM devices WHERE tags.location.plant = 'Redmond43' AND properties.reported.connectivity.type = 'cellular'").await,
        [cellular]
    );
}
