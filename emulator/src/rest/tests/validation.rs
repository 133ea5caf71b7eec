//! Bad input and bad credentials: always the documented 4xx with IoT Hub's error body, never a
//! 5xx.

use axum::body::Body;
use axum::http::{Method, StatusCode};
use iothub_twin::auth::{SasToken, SharedAccessKey};
use serde_json::json;

use super::harness::{ENTRA, HOST, Hub, unix_now};

const V: &str = "api-version=2021-04-12";

#[tokio::test]
async fn malformed_bodies_paths_and_queries() {
    let hub = Hub::new();
    hub.create_device("d1").await;
    let owner = hub.token("iothubowner");
    let auth = [("authorization", owner.as_str())];
    let cases: Vec<(Method, String, Body, StatusCode, &str)> = vec![
        (
            Method::PATCH,
            format!("/twins/d1?{V}"),
            Body::from("{\"tags\": "),
            StatusCode::BAD_REQUEST,
            "IotHubFormatError",
        ),
        (
            Method::PATCH,
            format!("/twins/d1?{V}"),
            Body::from("\u{0}\u{1}"),
            StatusCode::BAD_REQUEST,
            "IotHubFormatError",
        ),
        (
            Method::PUT,
            format!("/devices/d2?{V}"),
            Body::empty(),
            StatusCode::BAD_REQUEST,
            "ArgumentNull",
        ),
        (
            Method::PATCH,
            format!("/twins/d1?{V}"),
            Body::from(vec![b' '; 300 * 1024]),
            StatusCode::PAYLOAD_TOO_LARGE,
            "MessageTooLarge",
        ),
        (
            Method::GET,
            format!("/twins/bad%20id?{V}"),
            Body::empty(),
            StatusCode::BAD_REQUEST,
            "ArgumentInvalid",
        ),
        (
            Method::GET,
            format!("/twins/a%2Fb?{V}"),
            Body::empty(),
            StatusCode::BAD_REQUEST,
            "ArgumentInvalid",
        ),
        (
            Method::GET,
            format!("/devices/{}?{V}", "d".repeat(129)),
            Body::empty(),
            StatusCode::BAD_REQUEST,
            "ArgumentInvalid",
        ),
        (
            Method::GET,
            format!("/twins/%FF%FE?{V}"),
            Body::empty(),
            StatusCode::BAD_REQUEST,
            "ArgumentInvalid",
        ),
        (
            Method::GET,
            "/twins/d1".to_owned(),
            Body::empty(),
            StatusCode::BAD_REQUEST,
            "InvalidProtocolVersion",
        ),
        (
            Method::GET,
            "/twins/d1?api-version=".to_owned(),
            Body::empty(),
            StatusCode::BAD_REQUEST,
            "InvalidProtocolVersion",
        ),
        (
            Method::GET,
            format!("/nowhere?{V}"),
            Body::empty(),
            StatusCode::NOT_FOUND,
            "InvalidOperation",
        ),
        (
            Method::POST,
            format!("/twins/d1?{V}"),
            Body::empty(),
            StatusCode::METHOD_NOT_ALLOWED,
            "InvalidOperation",
        ),
        (
            Method::DELETE,
            format!("/twins/d1?{V}"),
            Body::empty(),
            StatusCode::METHOD_NOT_ALLOWED,
            "InvalidOperation",
        ),
        // Query strings and paths that axum's own extractors refused with a plain-text 400
        // instead of IoT Hub's error body (the rest fuzz target asserts the error shape).
        (
            Method::GET,
            format!("/devices?{V}&top=1&top=2"),
            Body::empty(),
            StatusCode::BAD_REQUEST,
            "ArgumentInvalid",
        ),
        (
            Method::DELETE,
            "/emulator/connections/d1?moduleId=a&moduleId=b".to_owned(),
            Body::empty(),
            StatusCode::BAD_REQUEST,
            "ArgumentInvalid",
        ),
        (
            Method::DELETE,
            "/emulator/connections/%FF%FE".to_owned(),
            Body::empty(),
            StatusCode::BAD_REQUEST,
            "ArgumentInvalid",
        ),
        (
            Method::POST,
            "/emulator/devices/%FF%FE/certificate".to_owned(),
            Body::empty(),
            StatusCode::BAD_REQUEST,
            "ArgumentInvalid",
        ),
    ];
    for (method, uri, body, status, code) in cases {
        let reply = hub.raw(method.clone(), &uri, body, &auth).await;
        assert_eq!(reply.status, status, "{method} {uri}: {}", reply.body);
        assert_eq!(reply.error_code(), code, "{method} {uri}");
    }
    // `:` and other punctuation IoT Hub allows in ids work, percent-encoded or not.
    let reply = hub
        .call(
            Method::PUT,
            &format!("/devices/dev%3A1%23a?{V}"),
            Some(&json!({})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["deviceId"], "dev:1#a");
}

#[tokio::test]
async fn credentials_are_checked_with_401() {
    let hub = Hub::new();
    hub.create_device("d1").await;
    let owner = hub.state.policies().get("iothubowner").unwrap().clone();
    let now = unix_now();
    let expired = SasToken::generate(HOST, &owner.primary_key, Some("iothubowner"), now - 1);
    let wrong_key = SasToken::generate(
        HOST,
        &SharedAccessKey::from_bytes(b"guess"),
        Some("iothubowner"),
        now + 60,
    );
    let unknown_policy = SasToken::generate(HOST, &owner.primary_key, Some("nobody"), now + 60);
    let other_hub = SasToken::generate(
        "otherhub.example",
        &owner.primary_key,
        Some("iothubowner"),
        now + 60,
    );
    let device_scoped = SasToken::generate(
        &format!("{HOST}/devices/d1"),
        &owner.primary_key,
        Some("iothubowner"),
        now + 60,
    );
    let no_skn = SasToken::generate(HOST, &owner.primary_key, None, now + 60);
    let tampered = hub
        .token("iothubowner")
        .replace("sr=localhost", "sr=localhost2");
    let refused: Vec<(String, &str)> = vec![
        (expired.expose_secret().to_owned(), "expired"),
        (
            wrong_key.expose_secret().to_owned(),
            "signature does not match",
        ),
        (
            unknown_policy.expose_secret().to_owned(),
            "no shared access policy named nobody",
        ),
        (other_hub.expose_secret().to_owned(), "does not cover"),
        (device_scoped.expose_secret().to_owned(), "does not cover"),
        (
            no_skn.expose_secret().to_owned(),
            "needs a shared access policy token",
        ),
        (tampered, "signature does not match"),
        ("SharedAccessSignature garbage".to_owned(), "malformed"),
        ("Bearer wrong-token".to_owned(), "bearer token is not valid"),
        ("Basic dXNlcjpwYXNz".to_owned(), "malformed"),
    ];
    for (header, why) in refused {
        let reply = hub
            .call_with(
                Method::GET,
                &format!("/twins/d1?{V}"),
                None,
                &[("authorization", &header)],
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{why}");
        assert_eq!(reply.error_code(), "IotHubUnauthorizedAccess", "{why}");
        assert!(
            reply.body["Message"].as_str().unwrap().contains(why),
            "{why}: {}",
            reply.body
        );
        assert!(
            !reply
                .body
                .to_string()
                .contains(owner.primary_key.expose_base64())
        );
    }
    let missing = hub
        .call_with(Method::GET, &format!("/twins/d1?{V}"), None, &[])
        .await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);

    // The secondary key, a host:port audience (Python with HostName=localhost:8443) and the
    // Entra stand-in all work.
    let secondary = SasToken::generate(HOST, &owner.secondary_key, Some("iothubowner"), now + 60);
    let with_port = SasToken::generate(
        "localhost:8443",
        &owner.primary_key,
        Some("iothubowner"),
        now + 60,
    );
    let bearer = format!("Bearer {ENTRA}");
    for header in [
        secondary.expose_secret(),
        with_port.expose_secret(),
        bearer.as_str(),
    ] {
        let reply = hub
            .call_with(
                Method::GET,
                &format!("/twins/d1?{V}"),
                None,
                &[("authorization", header)],
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{header}: {}", reply.body);
    }
}

#[tokio::test]
async fn each_policy_grants_exactly_its_rights() {
    let hub = Hub::new();
    hub.create_device("d1").await;
    // (policy, can read registry, can write registry, can use twins)
    let table = [
        ("iothubowner", true, true, true),
        ("service", false, false, true),
        ("device", false, false, false),
        ("registryRead", true, false, false),
        ("registryReadWrite", true, true, false),
    ];
    for (policy, read, write, service) in table {
        let token = hub.token(policy);
        let auth = [("authorization", token.as_str())];
        let get_device = hub
            .call_with(Method::GET, &format!("/devices/d1?{V}"), None, &auth)
            .await;
        let put_device = hub
            .call_with(
                Method::PUT,
                &format!("/devices/new-{policy}?{V}"),
                Some(&json!({})),
                &auth,
            )
            .await;
        let get_twin = hub
            .call_with(Method::GET, &format!("/twins/d1?{V}"), None, &auth)
            .await;
        for (reply, allowed, what) in [
            (get_device, read, "registry read"),
            (put_device, write, "registry write"),
            (get_twin, service, "twin"),
        ] {
            let expected = if allowed {
                StatusCode::OK
            } else {
                StatusCode::UNAUTHORIZED
            };
            assert_eq!(reply.status, expected, "{policy} {what}: {}", reply.body);
        }
    }
}
