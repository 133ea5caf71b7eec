//! `/twins/{id}[/modules/{mid}]`: versions, etags, metadata, body tolerance, limits and the
//! desired notifications each write produces.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::broadcast::error::TryRecvError;

use super::harness::Hub;

const V: &str = "api-version=2021-04-12";

async fn patch(
    hub: &Hub,
    path: &str,
    body: Value,
    if_match: Option<&str>,
) -> super::harness::Reply {
    let owner = hub.token("iothubowner");
    let mut headers = vec![("authorization", owner.as_str())];
    headers.extend(if_match.map(|m| ("if-match", m)));
    hub.call_with(Method::PATCH, &format!("{path}?{V}"), Some(&body), &headers)
        .await
}

#[tokio::test]
async fn a_fresh_twin_looks_like_the_hubs() {
    let hub = Hub::new();
    hub.create_device("dev1").await;
    let twin = hub
        .call(Method::GET, &format!("/twins/dev1?{V}"), None)
        .await;
    assert_eq!(twin.status, StatusCode::OK);
    assert_eq!(twin.headers["etag"], "\"AAAAAAAAAAE=\"");
    let t = &twin.body;
    assert_eq!(t["deviceId"], "dev1");
    assert_eq!(t["etag"], "AAAAAAAAAAE=");
    assert_eq!(t["deviceEtag"], "MQ==");
    assert_eq!(t["version"], 2);
    assert_eq!(t["modelId"], "");
    assert_eq!(t["authenticationType"], "sas");
    assert!(t.get("tags").is_none(), "empty tags are omitted");
    assert_eq!(t["properties"]["desired"]["$version"], 1);
    assert_eq!(t["properties"]["reported"]["$version"], 1);
    let meta = t["properties"]["desired"]["$metadata"].as_object().unwrap();
    assert_eq!(meta.len(), 1, "only $lastUpdated: {meta:?}");
    assert!(meta["$lastUpdated"].as_str().unwrap().ends_with('Z'));
    // It deserializes as the core's Twin model.
    let model: iothub_twin::twin::Twin = serde_json::from_value(t.clone()).unwrap();
    assert_eq!(model.version, Some(2));
}

#[tokio::test]
async fn the_guides_update_with_etag_then_a_stale_etag() {
    let hub = Hub::new();
    hub.create_device("dev1").await;
    let mut notifications = hub.state.store().subscribe();
    let body = json!({"tags": {"location": {"region": "US", "plant": "Redmond43"}}, "properties": {"desired": {"power_level": 1}}});
    let updated = patch(&hub, "/twins/dev1", body.clone(), Some("\"AAAAAAAAAAE=\"")).await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
    let t = &updated.body;
    assert_eq!(t["etag"], "AAAAAAAAAAI=");
    assert_eq!(t["version"], 3);
    assert_eq!(
        t["tags"],
        json!({"location": {"region": "US", "plant": "Redmond43"}})
    );
    assert_eq!(t["properties"]["desired"]["power_level"], 1);
    assert_eq!(t["properties"]["desired"]["$version"], 2);
    assert_eq!(
        t["properties"]["desired"]["$metadata"]["power_level"]["$lastUpdatedVersion"],
        2
    );
    assert_eq!(
        t["properties"]["desired"]["$metadata"]["$lastUpdatedVersion"],
        2
    );
    assert_eq!(t["properties"]["reported"]["$version"], 1);

    let note = notifications.try_recv().unwrap();
    assert_eq!(
        (note.key().device_id.as_str(), note.key().module()),
        ("dev1", None)
    );
    assert_eq!(
        note.desired().unwrap().payload(),
        json!({"power_level": 1, "$version": 2})
    );

    let stale = patch(&hub, "/twins/dev1", body, Some("\"AAAAAAAAAAE=\"")).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(stale.error_code(), "PreconditionFailed");
    assert_eq!(notifications.try_recv().unwrap_err(), TryRecvError::Empty);
    let twin = hub
        .call(Method::GET, &format!("/twins/dev1?{V}"), None)
        .await;
    assert_eq!(twin.body["version"], 3, "a refused write changes nothing");
}

#[tokio::test]
async fn if_match_accepts_every_spelling() {
    let hub = Hub::new();
    hub.create_device("dev1").await;
    let mut etag = "AAAAAAAAAAE=".to_owned();
    for (n, style) in ["quoted", "unquoted", "star", "quoted star", "absent"]
        .into_iter()
        .enumerate()
    {
        let header = match style {
            "quoted" => Some(format!("\"{etag}\"")),
            "unquoted" => Some(etag.clone()),
            "star" => Some("*".to_owned()),
            "quoted star" => Some("\"*\"".to_owned()),
            _ => None,
        };
        let reply = patch(
            &hub,
            "/twins/dev1",
            json!({"tags": {"n": n}}),
            header.as_deref(),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{style}: {}", reply.body);
        etag = reply.body["etag"].as_str().unwrap().to_owned();
    }
    assert_eq!(etag, "AAAAAAAAAAY=");
}

#[tokio::test]
async fn which_counters_move_on_which_write() {
    let hub = Hub::new();
    hub.create_device("dev1").await;
    let mut notifications = hub.state.store().subscribe();

    // Tags only: etag and version move, desired $version does not, no notification.
    let t = patch(&hub, "/twins/dev1", json!({"tags": {"a": 1}}), None)
        .await
        .body;
    assert_eq!(
        (t["etag"].as_str().unwrap(), t["version"].as_u64().unwrap()),
        ("AAAAAAAAAAI=", 3)
    );
    assert_eq!(t["properties"]["desired"]["$version"], 1);
    let tags_only = notifications.try_recv().unwrap();
    assert_eq!(tags_only.desired(), None, "the device is told nothing");
    assert_eq!(notifications.try_recv().unwrap_err(), TryRecvError::Empty);

    // A patch that changes nothing moves nothing and notifies nobody.
    let t = patch(
        &hub,
        "/twins/dev1",
        json!({"tags": {"gone": null}, "properties": {"desired": {"absent": null}}}),
        None,
    )
    .await
    .body;
    assert_eq!(
        (t["etag"].as_str().unwrap(), t["version"].as_u64().unwrap()),
        ("AAAAAAAAAAI=", 3)
    );
    assert_eq!(notifications.try_recv().unwrap_err(), TryRecvError::Empty);

    // Desired: notification is the effective patch; re-sent values are notified again.
    patch(
        &hub,
        "/twins/dev1",
        json!({"properties": {"desired": {"a": 1, "b": {"c": 2}}}}),
        None,
    )
    .await;
    let t = patch(
        &hub,
        "/twins/dev1",
        json!({"properties": {"desired": {"a": 1, "b": {"c": null}, "x": null}}}),
        None,
    )
    .await
    .body;
    assert_eq!(t["properties"]["desired"]["$version"], 3);
    assert_eq!(t["version"], 5);
    assert_eq!(t["properties"]["desired"]["b"], json!({}));
    assert!(
        t["properties"]["desired"]["$metadata"]["b"]
            .get("c")
            .is_none(),
        "metadata of deleted keys goes"
    );
    let first = notifications.try_recv().unwrap();
    assert_eq!(
        first.desired().unwrap().payload(),
        json!({"a": 1, "b": {"c": 2}, "$version": 2})
    );
    let second = notifications.try_recv().unwrap();
    assert_eq!(
        second.desired().unwrap().payload(),
        json!({"a": 1, "b": {"c": null}, "$version": 3})
    );
}

#[tokio::test]
async fn bodies_are_read_tolerantly() {
    let hub = Hub::new();
    hub.create_device("d1").await;
    // C# v1 sends a whole Twin with nulls and reported; users send back GET output.
    let csharp = json!({"deviceId":"d1","etag":null,"version":null,"properties":{"desired":{"x":1,"$metadata":{"$lastUpdated":"2020-01-01T00:00:00Z"},"$version":7},"reported":{"r":1}},"status":"disabled","tags":null});
    let reply = patch(&hub, "/twins/d1", csharp, None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["properties"]["desired"]["x"], 1);
    assert_eq!(reply.body["properties"]["desired"]["$version"], 2);
    assert!(
        reply.body["properties"]["reported"].get("r").is_none(),
        "the service cannot write reported"
    );
    assert_eq!(
        reply.body["status"], "enabled",
        "identity fields are read-only here"
    );

    for (body, why) in [
        (json!({"tags": [1]}), "tags not an object"),
        (json!({"properties": 5}), "properties not an object"),
        (
            json!({"properties": {"desired": "x"}}),
            "desired not an object",
        ),
        (json!("twin"), "body not an object"),
    ] {
        let reply = patch(&hub, "/twins/d1", body, None).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{why}");
        assert_eq!(reply.error_code(), "ArgumentInvalid", "{why}");
    }
}

#[tokio::test]
async fn replace_swaps_tags_and_desired_and_notifies_removals() {
    let hub = Hub::new();
    hub.create_device("d1").await;
    patch(
        &hub,
        "/twins/d1",
        json!({"tags": {"old": 1}, "properties": {"desired": {"a": 1, "b": 2}}}),
        None,
    )
    .await;
    let mut notifications = hub.state.store().subscribe();
    let body = json!({"tags": {"replaced": true}, "properties": {"desired": {"a": 1, "c": 100}}});
    let reply = hub
        .call(Method::PUT, &format!("/twins/d1?{V}"), Some(&body))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["tags"], json!({"replaced": true}));
    let desired = &reply.body["properties"]["desired"];
    assert_eq!(
        (desired["a"].clone(), desired["c"].clone(), desired.get("b")),
        (json!(1), json!(100), None)
    );
    assert_eq!(desired["$version"], 3);
    assert_eq!(reply.body["etag"], "AAAAAAAAAAM=");
    let note = notifications.try_recv().unwrap();
    assert_eq!(
        note.desired().unwrap().payload(),
        json!({"a": 1, "c": 100, "b": null, "$version": 3})
    );

    // Omitted tags are cleared.
    let reply = hub
        .call(
            Method::PUT,
            &format!("/twins/d1?{V}"),
            Some(&json!({"properties": {"desired": {"a": 1, "c": 100}}})),
        )
        .await;
    assert!(reply.body.get("tags").is_none());
}

#[tokio::test]
async fn module_twins_work_like_device_twins() {
    let hub = Hub::new();
    hub.create_device("d1").await;
    hub.call(
        Method::PUT,
        &format!("/devices/d1/modules/m1?{V}"),
        Some(&json!({})),
    )
    .await;
    let mut notifications = hub.state.store().subscribe();
    let twin = hub
        .call(Method::GET, &format!("/twins/d1/modules/m1?{V}"), None)
        .await;
    assert_eq!(
        (twin.body["deviceId"].clone(), twin.body["moduleId"].clone()),
        (json!("d1"), json!("m1"))
    );
    let reply = patch(
        &hub,
        "/twins/d1/modules/m1",
        json!({"properties": {"desired": {"mode": "fast"}}}),
        Some("\"AAAAAAAAAAE=\""),
    )
    .await;
    assert_eq!(reply.body["properties"]["desired"]["mode"], "fast");
    let note = notifications.try_recv().unwrap();
    assert_eq!(
        (note.key().device_id.as_str(), note.key().module()),
        ("d1", Some("m1"))
    );
    let replaced = hub
        .call(
            Method::PUT,
            &format!("/twins/d1/modules/m1?{V}"),
            Some(&json!({"properties": {"desired": {}}})),
        )
        .await;
    assert_eq!(replaced.body["properties"]["desired"]["$version"], 3);
    // The device twin is untouched.
    let device_twin = hub.call(Method::GET, &format!("/twins/d1?{V}"), None).await;
    assert_eq!(device_twin.body["properties"]["desired"]["$version"], 1);

    let missing = hub
        .call(Method::GET, &format!("/twins/d1/modules/m9?{V}"), None)
        .await;
    assert_eq!(missing.error_code(), "ModuleNotFound");
    let missing = hub.call(Method::GET, &format!("/twins/d9?{V}"), None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.error_code(), "DeviceNotFound");
}

#[tokio::test]
async fn limits_are_enforced_and_refused_writes_change_nothing() {
    let hub = Hub::new();
    hub.create_device("d1").await;
    let big = "x".repeat(4000);
    // 7 * (3 + 4000) = 28021 bytes: fits; a second such patch would make 56042 > 32768.
    let half: serde_json::Map<String, Value> =
        (0..7).map(|i| (format!("a{i:02}"), json!(big))).collect();
    let ok = patch(
        &hub,
        "/twins/d1",
        json!({"properties": {"desired": half}}),
        None,
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK);
    let cases = [
        (
            json!({"properties": {"desired": {"a.b": 1}}}),
            "properties.desired.a.b",
        ),
        (json!({"tags": {"l": [1, null]}}), "tags.l[1]"),
        (json!({"tags": {"s": "y".repeat(4097)}}), "tags.s"),
        (json!({"tags": {"n": 4_503_599_627_370_496_u64}}), "tags.n"),
        (
            json!({"properties": {"desired": {"$special": 1}}}),
            "properties.desired.$special",
        ),
    ];
    for (body, path) in cases {
        let reply = patch(&hub, "/twins/d1", body, None).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(reply.error_code(), "ArgumentInvalid", "{path}");
        assert!(
            reply.body["Message"].as_str().unwrap().contains(path),
            "{}",
            reply.body
        );
    }
    let twin = hub.call(Method::GET, &format!("/twins/d1?{V}"), None).await;
    assert_eq!(twin.body["version"], 3);
    assert_eq!(twin.body["properties"]["desired"]["$version"], 2);
}
