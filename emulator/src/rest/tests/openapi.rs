//! `openapi.json` describes exactly what the router serves: every documented operation is
//! routed and answers one of its documented statuses, undocumented methods get 405, and no
//! probed path is routed without being documented.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::harness::Hub;

const SPEC: &str = include_str!("../../../openapi.json");

fn concrete(template: &str) -> String {
    template
        .replace("{deviceId}", "d1")
        .replace("{moduleId}", "m1")
        .replace("{jobId}", "job1")
        .replace("{configurationId}", "c1")
}

/// Whether `path` fits `template`, where each `{param}` segment matches any one segment.
fn matches_template(template: &str, path: &str) -> bool {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len() && t.iter().zip(&p).all(|(t, p)| t.starts_with('{') || t == p)
}

fn documented_methods(item: &Value) -> Vec<Method> {
    item.as_object()
        .unwrap()
        .keys()
        .filter(|k| *k != "parameters")
        .map(|k| k.to_uppercase().parse().unwrap())
        .collect()
}

#[tokio::test]
async fn every_documented_operation_is_served_as_documented() {
    let spec: Value = serde_json::from_str(SPEC).unwrap();
    assert_eq!(spec["openapi"], "3.1.0");
    let paths = spec["paths"].as_object().unwrap();
    let hub = Hub::new();
    hub.create_device("d1").await;
    hub.call(
        Method::PUT,
        "/devices/d1/modules/m1?api-version=2021-04-12",
        Some(&json!({})),
    )
    .await;
    let example = &paths["/configurations/{configurationId}"]["put"]["requestBody"]["content"]["application/json"]
        ["example"];
    let created = hub
        .call(
            Method::PUT,
            "/configurations/c1?api-version=2021-04-12",
            Some(example),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let owner = hub.token("iothubowner");

    // Creates first (a job must exist before it is cancelled), deletes last, modules before
    // devices, so every call finds what it needs.
    let mut operations: Vec<(String, Method, Value)> = paths
        .iter()
        .flat_map(|(template, item)| {
            documented_methods(item)
                .into_iter()
                .map(|m| {
                    (
                        template.clone(),
                        m.clone(),
                        item[m.as_str().to_lowercase()].clone(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect();
    operations.sort_by_key(|(template, method, _)| {
        (
            *method == Method::DELETE,
            *method != Method::PUT,
            std::cmp::Reverse(template.len()),
        )
    });
    assert_eq!(operations.len(), 39);

    for (template, method, operation) in operations {
        let uri = format!("{}?api-version=2021-04-12", concrete(&template));
        // The documented example body when there is one (a query needs its text), else `{}`.
        let body = operation.get("requestBody").map(|request| {
            request["content"]["application/json"]
                .get("example")
                .cloned()
                .unwrap_or_else(|| json!({}))
        });
        let reply = hub
            .call_with(
                method.clone(),
                &uri,
                body.as_ref(),
                &[("authorization", &owner), ("if-match", "*")],
            )
            .await;
        let documented = operation["responses"].as_object().unwrap();
        assert!(
            documented.contains_key(reply.status.as_str()),
            "{method} {template} answered {} which is not documented: {}",
            reply.status,
            reply.body
        );
        if operation.get("x-not-supported").is_some() {
            // Documented as not supported by the emulator: IoT Hub's error body, a 400.
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{method} {template}");
            reply.error_code();
            continue;
        }
        if operation.get("x-websocket-upgrade").is_some() {
            // A plain request is not an upgrade: the documented 400, with IoT Hub's error body.
            assert_eq!(reply.status, StatusCode::BAD_REQUEST);
            reply.error_code();
            continue;
        }
        if !template.starts_with("/emulator/") {
            assert!(
                reply.status.is_success(),
                "{method} {template}: {}",
                reply.body
            );
        }
        for code in ["400", "401"] {
            assert!(
                documented.contains_key(code),
                "{method} {template} documents no {code}"
            );
        }
    }
}

#[tokio::test]
async fn the_router_serves_nothing_undocumented() {
    let spec: Value = serde_json::from_str(SPEC).unwrap();
    let paths = spec["paths"].as_object().unwrap();
    let hub = Hub::new();
    hub.create_device("d1").await;
    let all = [
        Method::GET,
        Method::PUT,
        Method::PATCH,
        Method::POST,
        Method::DELETE,
    ];

    for (template, item) in paths {
        let documented = documented_methods(item);
        for method in all.iter().filter(|m| !documented.contains(m)) {
            let reply = hub
                .call(
                    method.clone(),
                    &format!("{}?api-version=2021-04-12", concrete(template)),
                    None,
                )
                .await;
            assert_eq!(
                reply.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {template}"
            );
        }
    }
    let probes = [
        "/",
        "/twins",
        "/devices/d1/twin",
        "/devices/d1/modules/m1/twin",
        "/twins/d1/modules",
        "/devices/query",
        "/jobs",
        "/configurations",
        "/statistics/devices",
        "/devices/d1/modules/m1/x",
    ];
    for probe in probes {
        let documented = paths.keys().any(|t| matches_template(t, probe));
        for method in &all {
            let reply = hub
                .call(
                    method.clone(),
                    &format!("{probe}?api-version=2021-04-12"),
                    None,
                )
                .await;
            let routed =
                reply.status != StatusCode::NOT_FOUND || reply.error_code() != "InvalidOperation";
            assert!(
                !routed || documented,
                "{method} {probe} is routed ({}) but not documented",
                reply.status
            );
        }
    }
}
