//! `POST /devices/query` through the router, as the official SDKs call it: results equal GET,
//! the paging headers, 1,000 twins paged while they change, and every kind of bad request.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::harness::{Hub, Reply};
use crate::registry::{Device, IdentityBody};

const QUERY: &str = "/devices/query?api-version=2021-04-12";

async fn query(hub: &Hub, text: &str, headers: &[(&str, &str)]) -> Reply {
    let owner = hub.token("iothubowner");
    let mut all = vec![("authorization", owner.as_str())];
    all.extend_from_slice(headers);
    hub.call_with(Method::POST, QUERY, Some(&json!({ "query": text })), &all)
        .await
}

async fn patch_twin(hub: &Hub, id: &str, body: Value) {
    let reply = hub
        .call(
            Method::PATCH,
            &format!("/twins/{id}?api-version=2021-04-12"),
            Some(&body),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

/// `count` devices `dev0000`… created in one store write (tags.fleet even/odd).
async fn seed(hub: &Hub, count: usize) {
    hub.state
        .store()
        .write(|registry, changes| {
            for i in 0..count {
                let id = format!("dev{i:04}");
                let body = IdentityBody::parse(&json!({}), &id, None, None)?;
                let mut device = Device::create(&id, body, "2026-11-27T10:00:00Z");
                let tags = json!({"fleet": if i % 2 == 0 { "even" } else { "odd" }});
                device
                    .twin
                    .service_patch(tags.as_object(), None, "2026-11-27T10:00:00Z")?;
                registry.devices.insert(id.clone(), device);
                changes.touch(&id, None);
            }
            Ok(())
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn the_guides_query_returns_what_get_returns() {
    let hub = Hub::new();
    for id in ["dev1", "dev2", "dev3"] {
        hub.create_device(id).await;
    }
    patch_twin(
        &hub,
        "dev1",
        json!({"tags": {"location": {"region": "US", "plant": "Redmond43"}}}),
    )
    .await;
    patch_twin(&hub, "dev3", json!({"tags": {"location": {"region": "US", "plant": "Redmond43"}}, "properties": {"desired": {"power_level": 1}}})).await;

    let reply = query(
        &hub,
        "SELECT * FROM devices WHERE tags.location.plant = 'Redmond43'",
        &[],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.headers["x-ms-item-type"], "Twin");
    assert_eq!(
        reply.headers["content-type"],
        "application/json; charset=utf-8"
    );
    assert!(reply.headers.get("x-ms-continuation").is_none());
    let twins = reply.body.as_array().unwrap();
    assert_eq!(twins.len(), 2);
    for twin in twins {
        let id = twin["deviceId"].as_str().unwrap();
        let get = hub
            .call(
                Method::GET,
                &format!("/twins/{id}?api-version=2021-04-12"),
                None,
            )
            .await;
        assert_eq!(twin, &get.body);
    }

    let reply = query(&hub, "select DeviceId, Tags.location.region AS region from devices where properties.desired.power_level = 1", &[]).await;
    assert_eq!(reply.headers["x-ms-item-type"], "Raw");
    assert_eq!(reply.body, json!([{"deviceId": "dev3", "region": "US"}]));

    let reply = query(&hub, "SELECT COUNT() AS n FROM devices.modules", &[]).await;
    assert_eq!(
        (
            reply.headers["x-ms-item-type"].to_str().unwrap(),
            &reply.body
        ),
        ("Raw", &json!([{"n": 0}]))
    );
}

/// Pages through `text` at `page_size`, PATCHing a few twins between pages.
async fn page_through(hub: &Hub, text: &str, page_size: usize) -> Vec<String> {
    let size = page_size.to_string();
    let mut ids = Vec::new();
    let mut token: Option<String> = None;
    for page in 1.. {
        let mut headers = vec![("x-ms-max-item-count", size.as_str())];
        if let Some(token) = &token {
            headers.push(("x-ms-continuation", token.as_str()));
        }
        let reply = query(hub, text, &headers).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_eq!(reply.headers["x-ms-item-type"], "Twin");
        let items = reply.body.as_array().unwrap();
        assert!(items.len() <= page_size);
        ids.extend(
            items
                .iter()
                .map(|t| t["deviceId"].as_str().unwrap().to_owned()),
        );
        token = match reply.headers.get("x-ms-continuation") {
            None => return ids,
            Some(value) => {
                let value = value.to_str().unwrap();
                assert!(
                    !value.is_empty(),
                    "an empty continuation would loop Node forever"
                );
                Some(value.to_owned())
            }
        };
        for i in [page * 37 % 1000, (page * 11 + 500) % 1000] {
            patch_twin(
                hub,
                &format!("dev{i:04}"),
                json!({"tags": {"seen": page}, "properties": {"desired": {"page": page}}}),
            )
            .await;
        }
    }
    unreachable!()
}

#[tokio::test]
async fn a_thousand_twins_page_without_duplicates_or_gaps_while_they_change() {
    let hub = Hub::new();
    seed(&hub, 1000).await;
    for page_size in [1, 7, 100] {
        let ids = page_through(&hub, "SELECT * FROM devices", page_size).await;
        assert_eq!(ids.len(), 1000, "page size {page_size}");
        assert_eq!(
            ids.iter().collect::<BTreeSet<_>>().len(),
            1000,
            "page size {page_size}"
        );
        let odd = page_through(
            &hub,
            "SELECT * FROM devices WHERE tags.fleet = 'odd'",
            page_size,
        )
        .await;
        let expected: Vec<String> = (1..1000).step_by(2).map(|i| format!("dev{i:04}")).collect();
        assert_eq!(odd, expected, "page size {page_size}");
    }
}

#[tokio::test]
async fn page_size_defaults_to_100_and_is_capped_at_100() {
    let hub = Hub::new();
    seed(&hub, 250).await;
    for (header, expected) in [
        (None, 100),
        (Some("1000"), 100),
        (Some(" 42 "), 42),
        (Some("1"), 1),
    ] {
        let headers: Vec<(&str, &str)> = header
            .map(|h| ("x-ms-max-item-count", h))
            .into_iter()
            .collect();
        let reply = query(&hub, "SELECT deviceId FROM devices", &headers).await;
        assert_eq!(reply.body.as_array().unwrap().len(), expected, "{header:?}");
        assert!(reply.headers.contains_key("x-ms-continuation"));
    }
    let top = query(&hub, "SELECT TOP 100 deviceId FROM devices", &[]).await;
    assert_eq!(top.body.as_array().unwrap().len(), 100);
    assert!(
        !top.headers.contains_key("x-ms-continuation"),
        "TOP reached: last page"
    );
}

#[tokio::test]
async fn bad_requests_are_400_with_the_hubs_error_body() {
    let hub = Hub::new();
    seed(&hub, 3).await;
    let owner = hub.token("iothubowner");
    let auth = [("authorization", owner.as_str())];
    let post = |body: Body| hub.raw(Method::POST, QUERY, body, &auth);

    for body in [
        "",
        "{}",
        r#"{"query": null}"#,
        r#"{"query": ""}"#,
        r#"{"query": "  "}"#,
    ] {
        let reply = post(Body::from(body)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(reply.error_code(), "ArgumentNull", "{body}");
        assert_eq!(
            reply.body["Message"], "ErrorCode:ArgumentNull;BadRequest",
            "{body}"
        );
    }
    let reply = post(Body::from("{not json")).await;
    assert_eq!(reply.error_code(), "IotHubFormatError");
    let reply = post(Body::from(r#"{"query": 5}"#)).await;
    assert_eq!(reply.error_code(), "ArgumentInvalid");

    for (text, fragment) in [
        (
            "SELECT * FROM devices WHERE",
            "syntax error at line 1, column 28",
        ),
        (
            "SELECT * FROM devices ORDER BY deviceId",
            "ORDER BY is not supported",
        ),
        ("SELECT * FROM devices.jobs", "this emulator has no jobs"),
        (
            "SELECT * FROM devices WHERE x = 'a;b",
            "expected the closing quote",
        ),
    ] {
        let reply = query(&hub, text, &[]).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{text}");
        assert_eq!(reply.error_code(), "ArgumentInvalid", "{text}");
        let message = reply.body["Message"].as_str().unwrap();
        assert!(message.contains(fragment), "{text}: {message}");
    }
    for count in ["0", "-1", "ten", "1.5", ""] {
        let reply = query(
            &hub,
            "SELECT * FROM devices",
            &[("x-ms-max-item-count", count)],
        )
        .await;
        assert_eq!(reply.error_code(), "ArgumentInvalid", "{count:?}");
    }
    let first = query(
        &hub,
        "SELECT * FROM devices",
        &[("x-ms-max-item-count", "1")],
    )
    .await;
    let token = first.headers["x-ms-continuation"]
        .to_str()
        .unwrap()
        .to_owned();
    let other = query(
        &hub,
        "SELECT deviceId FROM devices",
        &[("x-ms-continuation", &token)],
    )
    .await;
    assert!(
        other.body["Message"]
            .as_str()
            .unwrap()
            .contains("belongs to another query")
    );
    let garbage = query(
        &hub,
        "SELECT * FROM devices",
        &[("x-ms-continuation", "garbage")],
    )
    .await;
    assert_eq!(garbage.error_code(), "ArgumentInvalid");
}

#[tokio::test]
async fn queries_need_service_connect() {
    let hub = Hub::new();
    let body = json!({"query": "SELECT * FROM devices"});
    let none = hub.call_with(Method::POST, QUERY, Some(&body), &[]).await;
    assert_eq!(
        (none.status, none.error_code().as_str()),
        (StatusCode::UNAUTHORIZED, "IotHubUnauthorizedAccess")
    );
    let reader = hub.token("registryRead");
    let read_only = hub
        .call_with(
            Method::POST,
            QUERY,
            Some(&body),
            &[("authorization", &reader)],
        )
        .await;
    assert_eq!(read_only.status, StatusCode::UNAUTHORIZED);
    let service = hub.token("service");
    let ok = hub
        .call_with(
            Method::POST,
            QUERY,
            Some(&body),
            &[("authorization", &service)],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let get = hub.call(Method::GET, QUERY, None).await;
    assert_eq!(get.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn malformed_queries_never_fail_the_server() {
    let hub = Hub::new();
    seed(&hub, 5).await;
    let nested = format!("SELECT * FROM devices WHERE {}1", "(".repeat(5000));
    let long = format!(
        "SELECT * FROM devices WHERE tags.x = '{}'",
        "x".repeat(9000)
    );
    for text in [
        "\u{0}",
        "SELECT",
        "SELECT *",
        "SELECT * FROM",
        "'",
        "[[",
        "SELECT * FROM devices WHERE [[",
        "SELECT * FROM devices WHERE tags.x IN [",
        "SELECT * FROM devices WHERE '\\u",
        "😀😀😀",
        nested.as_str(),
        long.as_str(),
        "SELECT TOP 99999999999999999999999 * FROM devices",
    ] {
        let reply = query(&hub, text, &[]).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{text:.40}: {}",
            reply.body
        );
    }
}
