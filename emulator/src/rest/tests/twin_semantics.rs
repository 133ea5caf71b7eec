//! IoT Hub's answers to `null` sections and members and to oversized sections, for device and
//! module twins: what changes, what the device is told, and what is refused.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::broadcast::error::TryRecvError;

use super::harness::{Hub, Reply};
use crate::store::StoreEvent;

const V: &str = "api-version=2021-04-12";

/// The twin paths of a device `d1` and its module `m1`, both created.
async fn device_and_module(hub: &Hub) -> [&'static str; 2] {
    hub.create_device("d1").await;
    let module = hub
        .call(
            Method::PUT,
            &format!("/devices/d1/modules/m1?{V}"),
            Some(&json!({"moduleId": "m1"})),
        )
        .await;
    assert_eq!(module.status, StatusCode::OK, "{}", module.body);
    ["/twins/d1", "/twins/d1/modules/m1"]
}

async fn send(hub: &Hub, method: Method, path: &str, body: Value) -> Reply {
    hub.call(method, &format!("{path}?{V}"), Some(&body)).await
}

async fn twin(hub: &Hub, path: &str) -> Value {
    let reply = hub.call(Method::GET, &format!("{path}?{V}"), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body
}

#[tokio::test]
async fn patching_desired_to_null_removes_every_desired_property() {
    let hub = Hub::new();
    for path in device_and_module(&hub).await {
        let set = send(
            &hub,
            Method::PATCH,
            path,
            json!({"properties": {"desired": {"a": 1, "b": {"c": "x"}}}}),
        )
        .await;
        assert_eq!(set.status, StatusCode::OK, "{}", set.body);
        let before = set.body["properties"]["desired"]["$version"]
            .as_u64()
            .unwrap();
        let mut events = hub.state.store().subscribe();

        let cleared = send(
            &hub,
            Method::PATCH,
            path,
            json!({"properties": {"desired": null}}),
        )
        .await;
        assert_eq!(cleared.status, StatusCode::OK, "{path}: {}", cleared.body);
        let desired = &cleared.body["properties"]["desired"];
        assert_eq!(desired["$version"], before + 1, "{path}: {desired}");
        let keys: Vec<&str> = desired
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["$metadata", "$version"], "{path}: {desired}");
        let metadata = desired["$metadata"].as_object().unwrap();
        assert_eq!(
            metadata.keys().collect::<Vec<_>>(),
            ["$lastUpdated", "$lastUpdatedVersion"],
            "removed keys lose their metadata; the root records the write: {path}"
        );
        assert_eq!(metadata["$lastUpdatedVersion"], before + 1, "{path}");

        // One notification for the device, nulling every removed key, with the new $version.
        let event = events.try_recv().unwrap();
        assert_eq!(
            (event.key().device_id.as_str(), event.key().module()),
            ("d1", path.strip_prefix("/twins/d1/modules/")),
        );
        assert_eq!(
            event.desired().unwrap().payload(),
            json!({"a": null, "b": null, "$version": before + 1}),
            "{path}"
        );
        assert_eq!(events.try_recv().unwrap_err(), TryRecvError::Empty);
        assert_eq!(twin(&hub, path).await["properties"]["desired"], *desired);

        // Clearing an empty section changes nothing.
        let again = send(
            &hub,
            Method::PATCH,
            path,
            json!({"properties": {"desired": null}}),
        )
        .await;
        assert_eq!(again.body["properties"]["desired"]["$version"], before + 1);
        assert_eq!(events.try_recv().unwrap_err(), TryRecvError::Empty);
    }
}

#[tokio::test]
async fn patching_tags_to_null_clears_them_without_telling_the_device() {
    let hub = Hub::new();
    for path in device_and_module(&hub).await {
        let set = send(
            &hub,
            Method::PATCH,
            path,
            json!({"tags": {"site": "a", "rack": {"row": 1}}}),
        )
        .await;
        assert_eq!(set.body["tags"], json!({"site": "a", "rack": {"row": 1}}));
        let mut events = hub.state.store().subscribe();
        let cleared = send(&hub, Method::PATCH, path, json!({"tags": null})).await;
        assert_eq!(cleared.status, StatusCode::OK, "{}", cleared.body);
        assert!(cleared.body.get("tags").is_none(), "{}", cleared.body);
        assert_ne!(cleared.body["etag"], set.body["etag"]);
        assert_eq!(
            cleared.body["properties"]["desired"]["$version"],
            set.body["properties"]["desired"]["$version"]
        );
        // The change is announced (tags now empty), the device is told nothing.
        let StoreEvent::TwinChanged { change, .. } = events.try_recv().unwrap() else {
            panic!("expected the twin change");
        };
        assert_eq!(change.body["tags"], json!({"site": null, "rack": null}));
        assert_eq!(change.desired, None);
        assert_eq!(events.try_recv().unwrap_err(), TryRecvError::Empty);
        assert!(twin(&hub, path).await.get("tags").is_none());
    }
}

#[tokio::test]
async fn replacing_with_a_null_anywhere_is_refused_and_changes_nothing() {
    let hub = Hub::new();
    for path in device_and_module(&hub).await {
        let set = send(
            &hub,
            Method::PATCH,
            path,
            json!({"tags": {"t": 1}, "properties": {"desired": {"d": 1}}}),
        )
        .await;
        assert_eq!(set.status, StatusCode::OK);
        let before = twin(&hub, path).await;
        let cases = [
            (json!({"tags": {"t": null}}), "t"),
            (
                json!({"properties": {"desired": {"d": 2, "nested": {"deep": null}}}}),
                "nested.deep",
            ),
        ];
        for (body, name) in cases {
            let refused = send(&hub, Method::PUT, path, body).await;
            assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
            assert_eq!(refused.error_code(), "ArgumentInvalid");
            assert_eq!(
                refused.body["Message"],
                format!(
                    "ErrorCode:ArgumentInvalid,Value of Property or Tag cannot be null. \
                     Error in Property/Tag {name}"
                )
                .replacen(',', ";", 1)
            );
            assert_eq!(twin(&hub, path).await, before, "{path}: nothing changed");
        }
        // A patch's null still deletes.
        let deleted = send(&hub, Method::PATCH, path, json!({"tags": {"t": null}})).await;
        assert_eq!(deleted.status, StatusCode::OK);
        assert!(deleted.body.get("tags").is_none(), "{}", deleted.body);
    }
}

#[tokio::test]
async fn a_section_over_its_size_limit_is_403_device_model_max_properties_exceeded() {
    let hub = Hub::new();
    let big = "x".repeat(4000);
    // 9 * (3 + 4000) = 36027 bytes as IoT Hub measures them: over the limit of every section.
    let oversized: serde_json::Map<String, Value> =
        (0..9).map(|i| (format!("k{i:02}"), json!(big))).collect();
    // 5 * 4003 fits; another 5 makes the merged section too large.
    let half: serde_json::Map<String, Value> =
        (0..5).map(|i| (format!("a{i:02}"), json!(big))).collect();
    let other_half: serde_json::Map<String, Value> =
        (0..5).map(|i| (format!("b{i:02}"), json!(big))).collect();
    for path in device_and_module(&hub).await {
        let ok = send(
            &hub,
            Method::PATCH,
            path,
            json!({"properties": {"desired": half}}),
        )
        .await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
        let before = twin(&hub, path).await;
        let cases = [
            (Method::PATCH, json!({"tags": oversized}), "tags"),
            (
                Method::PATCH,
                json!({"properties": {"desired": other_half}}),
                "properties.desired",
            ),
            (
                Method::PUT,
                json!({"properties": {"desired": oversized}}),
                "properties.desired",
            ),
        ];
        for (method, body, section) in cases {
            let refused = send(&hub, method.clone(), path, body).await;
            assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
            assert_eq!(refused.error_code(), "DeviceModelMaxPropertiesExceeded");
            let message = refused.body["Message"].as_str().unwrap();
            assert!(
                message.contains(section) && message.contains("the maximum is"),
                "{method} {section}: {message}"
            );
            assert_eq!(twin(&hub, path).await, before, "{method} {section}");
        }
    }
}
