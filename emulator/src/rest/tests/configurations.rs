//! Automatic device configurations through the router: CRUD with etags and IoT Hub's update
//! rules, query checks, applying with priorities, the twins' `configurations` field, metrics,
//! and the registry statistics.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::harness::{Hub, Reply};

const V: &str = "api-version=2021-04-12";

fn plant_wide(priority: u64) -> Value {
    json!({
        "id": "plant-wide",
        "content": {"deviceContent": {"properties.desired.telemetry": {"interval": 60, "unit": "s"}}},
        "targetCondition": "tags.plant = 'north'",
        "priority": priority,
        "labels": {"team": "ops"},
        "metrics": {"queries": {"reporting": "SELECT deviceId FROM devices WHERE properties.reported.telemetry.interval = 60"}},
    })
}

fn test_group(priority: u64) -> Value {
    json!({
        "content": {"deviceContent": {"properties.desired.telemetry.interval": 5}},
        "targetCondition": "tags.plant = 'north' AND tags.ring = 'test'",
        "priority": priority,
    })
}

/// Content over the desired section's 32 KB.
fn big_content() -> Value {
    let entries = (0..12).map(|n| {
        (
            format!("properties.desired.big{n}"),
            json!("x".repeat(3000)),
        )
    });
    Value::Object(entries.collect())
}

async fn put(hub: &Hub, id: &str, body: &Value, if_match: Option<&str>) -> Reply {
    let owner = hub.token("iothubowner");
    let mut headers = vec![("authorization", owner.as_str())];
    headers.extend(if_match.map(|m| ("if-match", m)));
    hub.call_with(
        Method::PUT,
        &format!("/configurations/{id}?{V}"),
        Some(body),
        &headers,
    )
    .await
}

async fn tag(hub: &Hub, device: &str, tags: Value) {
    let reply = hub
        .call(
            Method::PATCH,
            &format!("/twins/{device}?{V}"),
            Some(&json!({"tags": tags})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

async fn apply(hub: &Hub) -> u64 {
    let reply = hub
        .call(Method::POST, "/emulator/configurations/apply", None)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body["twinsChanged"].as_u64().unwrap()
}

async fn twin(hub: &Hub, device: &str) -> Value {
    hub.call(Method::GET, &format!("/twins/{device}?{V}"), None)
        .await
        .body
}

/// Three devices of the north plant (dev2 in the test group) and one elsewhere.
async fn fleet() -> Hub {
    let hub = Hub::new();
    for (id, tags) in [
        ("dev1", json!({"plant": "north"})),
        ("dev2", json!({"plant": "north", "ring": "test"})),
        ("dev3", json!({"plant": "north"})),
        ("dev4", json!({"plant": "south"})),
    ] {
        hub.create_device(id).await;
        tag(&hub, id, tags).await;
    }
    hub
}

#[tokio::test]
async fn create_get_list_and_the_wire_shape() {
    let hub = fleet().await;
    let created = put(&hub, "plant-wide", &plant_wide(1), None).await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let c = &created.body;
    assert_eq!(c["id"], "plant-wide");
    assert_eq!(c["schemaVersion"], "1.0");
    assert_eq!(c["etag"], "MQ==");
    assert_eq!(created.headers["etag"], "\"MQ==\"");
    assert_eq!(c["priority"], 1);
    assert_eq!(c["labels"], json!({"team": "ops"}));
    assert!(c["createdTimeUtc"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        c["systemMetrics"]["results"],
        json!({"targetedCount": 0, "appliedCount": 0})
    );
    assert_eq!(c["metrics"]["results"], json!({"reporting": 0}));
    let again = put(&hub, "plant-wide", &plant_wide(1), None).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.error_code(), "ConfigurationAlreadyExists");
    let got = hub
        .call(
            Method::GET,
            &format!("/configurations/plant-wide?{V}"),
            None,
        )
        .await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body["content"], c["content"]);
    let second = put(&hub, "test-group", &test_group(10), None).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    let list = hub
        .call(Method::GET, &format!("/configurations?top=1&{V}"), None)
        .await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    let list = hub
        .call(Method::GET, &format!("/configurations?{V}"), None)
        .await;
    let ids: Vec<&str> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["plant-wide", "test-group"]);
    let missing = hub
        .call(Method::GET, &format!("/configurations/nope?{V}"), None)
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.error_code(), "ConfigurationNotFound");
}

#[tokio::test]
async fn the_higher_priority_wins_overlapping_paths_and_metrics_count_the_twins() {
    let hub = fleet().await;
    put(&hub, "plant-wide", &plant_wide(1), None).await;
    put(&hub, "test-group", &test_group(10), None).await;
    assert_eq!(apply(&hub).await, 3);
    let dev1 = twin(&hub, "dev1").await;
    assert_eq!(
        dev1["properties"]["desired"]["telemetry"],
        json!({"interval": 60, "unit": "s"})
    );
    assert_eq!(
        dev1["configurations"],
        json!({"plant-wide": {"status": "Applied"}})
    );
    let dev2 = twin(&hub, "dev2").await;
    assert_eq!(
        dev2["properties"]["desired"]["telemetry"],
        json!({"interval": 5, "unit": "s"})
    );
    assert_eq!(
        dev2["configurations"],
        json!({"plant-wide": {"status": "Applied"}, "test-group": {"status": "Applied"}})
    );
    assert!(twin(&hub, "dev4").await.get("configurations").is_none());
    // Queries see the field, as IoT Hub's system metric queries do.
    let applied = hub
        .call(
            Method::POST,
            &format!("/devices/query?{V}"),
            Some(&json!({"query": "SELECT deviceId FROM devices WHERE configurations.[[test-group]].status = 'Applied'"})),
        )
        .await;
    assert_eq!(applied.body, json!([{"deviceId": "dev2"}]));
    let metrics = hub
        .call(
            Method::GET,
            &format!("/configurations/plant-wide?{V}"),
            None,
        )
        .await;
    assert_eq!(
        metrics.body["systemMetrics"]["results"],
        json!({"targetedCount": 3, "appliedCount": 3})
    );
    // Nothing changes on a second run, and a device's own value stands.
    assert_eq!(apply(&hub).await, 0);
    let version = twin(&hub, "dev1").await["properties"]["desired"]["$version"].clone();
    assert_eq!(version, 2);
}

#[tokio::test]
async fn equal_priorities_go_to_the_most_recently_created() {
    let hub = fleet().await;
    put(&hub, "plant-wide", &plant_wide(3), None).await;
    put(&hub, "test-group", &test_group(3), None).await;
    apply(&hub).await;
    assert_eq!(
        twin(&hub, "dev2").await["properties"]["desired"]["telemetry"]["interval"],
        5
    );
}

#[tokio::test]
async fn a_lower_priority_configuration_that_wins_nothing_is_only_targeted() {
    let hub = fleet().await;
    let mut low = test_group(0);
    low["content"] = json!({"deviceContent": {"properties.desired.telemetry": {"interval": 1}}});
    put(&hub, "test-group", &low, None).await;
    put(&hub, "plant-wide", &plant_wide(5), None).await;
    apply(&hub).await;
    let dev2 = twin(&hub, "dev2").await;
    assert_eq!(
        dev2["configurations"]["test-group"],
        json!({"status": "Targeted"})
    );
    assert_eq!(dev2["properties"]["desired"]["telemetry"]["interval"], 60);
    let metrics = hub
        .call(
            Method::GET,
            &format!("/configurations/test-group?{V}"),
            None,
        )
        .await;
    assert_eq!(
        metrics.body["systemMetrics"]["results"],
        json!({"targetedCount": 1, "appliedCount": 0})
    );
}

#[tokio::test]
async fn a_twin_leaving_the_target_loses_its_status_and_keeps_the_values() {
    let hub = fleet().await;
    put(&hub, "plant-wide", &plant_wide(1), None).await;
    apply(&hub).await;
    let mut notifications = hub.state.store().subscribe();
    tag(&hub, "dev1", json!({"plant": "south"})).await;
    assert_eq!(apply(&hub).await, 1);
    let dev1 = twin(&hub, "dev1").await;
    assert!(dev1.get("configurations").is_none(), "{dev1}");
    assert_eq!(dev1["properties"]["desired"]["telemetry"]["interval"], 60);
    let desired_changes = |notifications: &mut tokio::sync::broadcast::Receiver<_>| {
        let mut found = Vec::new();
        while let Ok(event) = notifications.try_recv() {
            let event: crate::store::StoreEvent = event;
            if let Some(change) = event.desired() {
                found.push((event.key().device_id.clone(), change.patch.clone()));
            }
        }
        found
    };
    assert_eq!(
        desired_changes(&mut notifications),
        [],
        "leaving writes no desired change"
    );
    // A device coming into scope gets the content, with a notification.
    tag(&hub, "dev4", json!({"plant": "north"})).await;
    assert_eq!(apply(&hub).await, 1);
    let changes = desired_changes(&mut notifications);
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].0, "dev4");
    assert_eq!(changes[0].1["telemetry"]["interval"], 60);
}

#[tokio::test]
async fn updates_change_labels_metrics_and_priority_only_under_a_matching_etag() {
    let hub = fleet().await;
    put(&hub, "plant-wide", &plant_wide(1), None).await;
    let stale = put(&hub, "plant-wide", &plant_wide(2), Some("\"Mg==\"")).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(stale.error_code(), "PreconditionFailed");
    let updated = put(&hub, "plant-wide", &plant_wide(2), Some("\"MQ==\"")).await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
    assert_eq!(updated.body["priority"], 2);
    assert_eq!(updated.body["etag"], "Mg==");
    for (field, value) in [
        ("targetCondition", json!("tags.plant = 'south'")),
        (
            "content",
            json!({"deviceContent": {"properties.desired.x": 1}}),
        ),
    ] {
        let mut body = plant_wide(2);
        body[field] = value;
        let refused = put(&hub, "plant-wide", &body, Some("*")).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{field}");
        assert_eq!(refused.error_code(), "ArgumentInvalid");
        assert!(refused.body["Message"].as_str().unwrap().contains(field));
    }
    let missing = put(
        &hub,
        "other",
        &json!({"content": {"deviceContent": {"properties.desired.x": 1}}}),
        Some("*"),
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn invalid_bodies_and_queries_are_refused_with_iot_hubs_codes() {
    let hub = fleet().await;
    let cases = [
        ("Upper", plant_wide(1), "ArgumentInvalid"),
        (
            "plant-wide",
            json!({"targetCondition": "tags.plant = ", "content": plant_wide(1)["content"]}),
            "ArgumentInvalid",
        ),
        (
            "plant-wide",
            json!({"metrics": {"queries": {"bad": "SELECT FROM"}}, "content": plant_wide(1)["content"]}),
            "ArgumentInvalid",
        ),
        (
            "plant-wide",
            json!({"priority": -1, "content": plant_wide(1)["content"]}),
            "ArgumentInvalid",
        ),
        (
            "plant-wide",
            json!({"content": {"deviceContent": {"tags.x": 1}}}),
            "ArgumentInvalid",
        ),
        (
            "plant-wide",
            json!({"content": {"modulesContent": {"$edgeAgent": {}}}}),
            "ArgumentInvalid",
        ),
        (
            "plant-wide",
            json!({"content": {"deviceContent": big_content()}}),
            "DeviceModelMaxPropertiesExceeded",
        ),
    ];
    for (id, body, code) in cases {
        let reply = put(&hub, id, &body, None).await;
        assert_eq!(reply.error_code(), code, "{body}: {}", reply.body);
    }
    let list = hub
        .call(Method::GET, &format!("/configurations?{V}"), None)
        .await;
    assert_eq!(list.body, json!([]), "nothing was created");
    let tested = hub
        .call(
            Method::POST,
            &format!("/configurations/testQueries?{V}"),
            Some(&json!({"targetCondition": "tags.plant = ", "customMetricQueries": {"good": "SELECT deviceId FROM devices", "bad": "SELECT FROM"}})),
        )
        .await;
    assert_eq!(tested.status, StatusCode::OK);
    assert!(
        tested.body["targetConditionError"]
            .as_str()
            .unwrap()
            .contains("syntax error")
    );
    let errors = tested.body["customMetricQueryErrors"].as_object().unwrap();
    assert_eq!(errors.keys().collect::<Vec<_>>(), ["bad"]);
    let valid = hub
        .call(
            Method::POST,
            &format!("/configurations/testQueries?{V}"),
            Some(&json!({"targetCondition": "tags.plant = 'north'"})),
        )
        .await;
    assert_eq!(
        valid.body,
        json!({"targetConditionError": "", "customMetricQueryErrors": {}})
    );
}

#[tokio::test]
async fn the_count_limit_is_iot_hubs() {
    let hub = Hub::new();
    for n in 0..crate::hub::configurations_limit() {
        let reply = put(&hub, &format!("c{n}"), &test_group(0), None).await;
        assert_eq!(reply.status, StatusCode::OK);
    }
    let over = put(&hub, "one-more", &test_group(0), None).await;
    assert_eq!(over.status.as_u16(), 413);
    assert_eq!(over.error_code(), "ConfigurationCountLimitExceeded");
}

#[tokio::test]
async fn deletion_checks_the_etag_and_statuses_go_on_the_next_run() {
    let hub = fleet().await;
    put(&hub, "plant-wide", &plant_wide(1), None).await;
    apply(&hub).await;
    let called = &hub;
    let delete = |if_match: Option<&'static str>| async move {
        let owner = called.token("iothubowner");
        let mut headers = vec![("authorization", owner.as_str())];
        headers.extend(if_match.map(|m| ("if-match", m)));
        called
            .call_with(
                Method::DELETE,
                &format!("/configurations/plant-wide?{V}"),
                None,
                &headers,
            )
            .await
    };
    assert_eq!(
        delete(Some("\"Mg==\"")).await.status,
        StatusCode::PRECONDITION_FAILED
    );
    assert_eq!(
        delete(Some("\"MQ==\"")).await.status,
        StatusCode::NO_CONTENT
    );
    let gone = delete(None).await;
    assert_eq!(gone.error_code(), "ConfigurationNotFound");
    assert_eq!(apply(&hub).await, 3);
    let dev1 = twin(&hub, "dev1").await;
    assert!(dev1.get("configurations").is_none());
    assert_eq!(dev1["properties"]["desired"]["telemetry"]["interval"], 60);
}

#[tokio::test]
async fn statistics_count_exactly_and_edge_content_is_not_supported() {
    let hub = fleet().await;
    let owner = hub.token("iothubowner");
    let disabled = hub
        .call_with(
            Method::PUT,
            &format!("/devices/dev4?{V}"),
            Some(&json!({"deviceId": "dev4", "status": "disabled"})),
            &[("authorization", &owner), ("if-match", "*")],
        )
        .await;
    assert_eq!(disabled.status, StatusCode::OK, "{}", disabled.body);
    let devices = hub
        .call(Method::GET, &format!("/statistics/devices?{V}"), None)
        .await;
    assert_eq!(
        devices.body,
        json!({"totalDeviceCount": 4, "enabledDeviceCount": 3, "disabledDeviceCount": 1})
    );
    let service = hub
        .call(Method::GET, &format!("/statistics/service?{V}"), None)
        .await;
    assert_eq!(service.body, json!({"connectedDeviceCount": 0}));
    let edge = hub
        .call(
            Method::POST,
            &format!("/devices/dev1/applyConfigurationContent?{V}"),
            Some(&json!({"modulesContent": {}})),
        )
        .await;
    assert_eq!(edge.status, StatusCode::BAD_REQUEST);
    assert!(
        edge.body["Message"]
            .as_str()
            .unwrap()
            .contains("not supported by this emulator")
    );
}

#[tokio::test]
async fn configurations_and_statuses_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (store, policies) = crate::store::Store::open(Some(dir.path())).unwrap();
        let hub = Hub::with(store, policies);
        hub.create_device("dev1").await;
        tag(&hub, "dev1", json!({"plant": "north"})).await;
        put(&hub, "plant-wide", &plant_wide(1), None).await;
        apply(&hub).await;
        hub.state.store().close().await;
    }
    let (store, policies) = crate::store::Store::open(Some(dir.path())).unwrap();
    let hub = Hub::with(store, policies);
    let got = hub
        .call(
            Method::GET,
            &format!("/configurations/plant-wide?{V}"),
            None,
        )
        .await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body["systemMetrics"]["results"]["appliedCount"], 1);
    assert_eq!(
        twin(&hub, "dev1").await["configurations"]["plant-wide"]["status"],
        "Applied"
    );
}

#[tokio::test]
async fn a_wider_lower_priority_configuration_arriving_later_keeps_the_nested_winner() {
    let hub = fleet().await;
    put(&hub, "test-group", &test_group(10), None).await;
    apply(&hub).await;
    assert_eq!(
        twin(&hub, "dev2").await["properties"]["desired"]["telemetry"],
        json!({"interval": 5})
    );
    put(&hub, "plant-wide", &plant_wide(1), None).await;
    apply(&hub).await;
    let dev2 = twin(&hub, "dev2").await;
    assert_eq!(
        dev2["properties"]["desired"]["telemetry"],
        json!({"interval": 5, "unit": "s"})
    );
    assert_eq!(
        twin(&hub, "dev1").await["properties"]["desired"]["telemetry"]["interval"],
        60
    );
}
