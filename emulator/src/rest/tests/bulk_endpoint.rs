//! `POST /devices`: bulk registry operations, each item applied whole or reported failed.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::harness::Hub;

const V: &str = "api-version=2021-04-12";

async fn bulk(hub: &Hub, items: Value) -> super::harness::Reply {
    hub.call(Method::POST, &format!("/devices?{V}"), Some(&items))
        .await
}

async fn get(hub: &Hub, path: &str) -> super::harness::Reply {
    hub.call(Method::GET, &format!("{path}?{V}"), None).await
}

#[tokio::test]
async fn creates_devices_and_modules_with_their_twins() {
    let hub = Hub::new();
    let reply = bulk(
        &hub,
        json!([
            {"id": "b1", "importMode": "create", "status": "enabled",
             "tags": {"plant": "Redmond43"}, "properties": {"desired": {"fw": "1.0"}}},
            {"id": "b2", "importMode": "Create", "status": "disabled"},
            {"id": "b1", "moduleId": "m1", "importMode": "create"},
        ]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(
        reply.body,
        json!({"isSuccessful": true, "errors": [], "warnings": []})
    );
    let twin = get(&hub, "/twins/b1").await.body;
    assert_eq!(twin["tags"], json!({"plant": "Redmond43"}));
    assert_eq!(twin["properties"]["desired"]["fw"], "1.0");
    assert_eq!(get(&hub, "/devices/b2").await.body["status"], "disabled");
    assert_eq!(
        get(&hub, "/devices/b1/modules/m1").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn per_item_errors_in_iot_hubs_result_shape_and_the_rest_applies() {
    let hub = Hub::new();
    hub.create_device("exists").await;
    let reply = bulk(
        &hub,
        json!([
            {"id": "exists", "importMode": "create"},
            {"id": "fresh", "importMode": "create"},
            {"id": "missing", "importMode": "update"},
            {"id": "exists", "moduleId": "m", "importMode": "updateTwin"},
            {"id": "bad-twin", "importMode": "create", "tags": {"bad key": 1}},
            {"id": "nomode"},
        ]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_eq!(reply.body["isSuccessful"], false);
    let errors: Vec<(String, String)> = reply.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["deviceId"].as_str().unwrap().to_owned(),
                e["errorCode"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [
            ("exists".into(), "DeviceAlreadyExists".into()),
            ("missing".into(), "DeviceNotFound".into()),
            ("exists".into(), "ModuleNotFound".into()),
            ("bad-twin".into(), "ArgumentInvalid".into()),
            ("nomode".into(), "ArgumentInvalid".into()),
        ]
    );
    assert!(reply.body["errors"][0]["errorStatus"].is_string());
    assert_eq!(reply.body["errors"][2]["moduleId"], "m");
    assert_eq!(get(&hub, "/devices/fresh").await.status, StatusCode::OK);
    // The refused item created nothing: its twin patch was checked first.
    assert_eq!(
        get(&hub, "/devices/bad-twin").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn etag_modes_update_delete_and_patch_twins_only_on_a_match() {
    let hub = Hub::new();
    let etag = hub.create_device("e1").await.body["etag"]
        .as_str()
        .unwrap()
        .to_owned();
    hub.create_device("e2").await;
    let twin_etag = get(&hub, "/twins/e1").await.body["etag"]
        .as_str()
        .unwrap()
        .to_owned();
    let reply = bulk(
        &hub,
        json!([
            {"id": "e1", "importMode": "updateIfMatchETag", "eTag": "stale", "status": "disabled"},
            {"id": "e2", "importMode": "deleteIfMatchETag", "eTag": "stale"},
            {"id": "e1", "moduleId": "x", "importMode": "create"},
        ]),
    )
    .await;
    let codes: Vec<&str> = reply.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["errorCode"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["PreconditionFailed", "PreconditionFailed"]);
    assert_eq!(get(&hub, "/devices/e1").await.body["status"], "enabled");

    let reply = bulk(
        &hub,
        json!([
            {"id": "e1", "importMode": "updateIfMatchETag", "eTag": etag, "status": "disabled"},
            {"id": "e2", "importMode": "delete"},
        ]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let reply = bulk(
        &hub,
        json!([{"id": "e1", "importMode": "updateTwinIfMatchETag", "twinETag": twin_etag,
                "properties": {"desired": {"fw": "2.0"}, "reported": {"ignored": true}}}]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(get(&hub, "/devices/e1").await.body["status"], "disabled");
    assert_eq!(get(&hub, "/devices/e2").await.status, StatusCode::NOT_FOUND);
    let twin = get(&hub, "/twins/e1").await.body;
    assert_eq!(twin["properties"]["desired"]["fw"], "2.0");
    assert!(twin["properties"]["reported"].get("ignored").is_none());

    let stale_twin = bulk(
        &hub,
        json!([{"id": "e1", "importMode": "updateTwinIfMatchETag", "twinETag": twin_etag,
                "properties": {"desired": {"fw": "3.0"}}}]),
    )
    .await;
    assert_eq!(
        stale_twin.body["errors"][0]["errorCode"],
        "PreconditionFailed"
    );
    assert_eq!(
        get(&hub, "/twins/e1").await.body["properties"]["desired"]["fw"],
        "2.0"
    );
}

#[tokio::test]
async fn whole_requests_that_are_malformed_are_refused_with_nothing_applied() {
    let hub = Hub::new();
    let too_many: Vec<Value> = (0..101)
        .map(|i| json!({"id": format!("d{i}"), "importMode": "create"}))
        .collect();
    let reply = bulk(&hub, Value::Array(too_many)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error_code(), "ArgumentInvalid");
    assert_eq!(get(&hub, "/devices/d0").await.status, StatusCode::NOT_FOUND);

    let twice = bulk(
        &hub,
        json!([{"id": "t", "importMode": "create"}, {"id": "t", "importMode": "delete"}]),
    )
    .await;
    assert_eq!(twice.status, StatusCode::BAD_REQUEST);
    assert_eq!(twice.error_code(), "DeviceDefinedMultipleTimes");
    assert_eq!(get(&hub, "/devices/t").await.status, StatusCode::NOT_FOUND);

    for body in [
        json!({"id": "x"}),
        json!([]),
        json!([{"importMode": "create"}]),
    ] {
        let reply = bulk(&hub, body.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(reply.error_code(), "ArgumentInvalid", "{body}");
    }
}
