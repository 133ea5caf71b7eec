//! `/devices` and `/devices/{id}/modules`: create, update, get, delete, list.

use axum::http::{Method, StatusCode};
use serde_json::json;

use super::harness::Hub;

const V: &str = "api-version=2021-04-12";

#[tokio::test]
async fn create_generates_keys_and_fills_every_field() {
    let hub = Hub::new();
    for (id, body) in [
        ("plain", json!({"deviceId": "plain"})),
        // C# sends null keys, Node empty strings: both mean "generate".
        (
            "csharp",
            json!({"deviceId":"csharp","status":"enabled","authentication":{"symmetricKey":{"primaryKey":null,"secondaryKey":null},"x509Thumbprint":{"primaryThumbprint":null,"secondaryThumbprint":null},"type":"sas"},"capabilities":{"iotEdge":false}}),
        ),
        (
            "node",
            json!({"deviceId":"node","status":"enabled","authentication":{"type":"sas","symmetricKey":{"primaryKey":"","secondaryKey":""}}}),
        ),
    ] {
        let reply = hub
            .call(Method::PUT, &format!("/devices/{id}?{V}"), Some(&body))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{id}: {}", reply.body);
        let device = &reply.body;
        assert_eq!(device["deviceId"], id);
        assert_eq!(device["etag"], "MQ==");
        assert_eq!(reply.headers["etag"], "\"MQ==\"");
        assert_eq!(device["status"], "enabled");
        assert_eq!(device["connectionState"], "Disconnected");
        assert_eq!(device["lastActivityTime"], "0001-01-01T00:00:00Z");
        assert_eq!(device["statusUpdatedTime"], "0001-01-01T00:00:00Z");
        assert_eq!(device["authentication"]["type"], "sas");
        assert!(
            device["generationId"]
                .as_str()
                .unwrap()
                .parse::<u64>()
                .is_ok()
        );
        for key in ["primaryKey", "secondaryKey"] {
            assert_eq!(
                device["authentication"]["symmetricKey"][key]
                    .as_str()
                    .unwrap()
                    .len(),
                44,
                "{id} {key}"
            );
        }
        assert_eq!(device["capabilities"]["iotEdge"], false);
    }
}

#[tokio::test]
async fn create_keeps_given_keys_and_x509_settings() {
    let hub = Hub::new();
    let (pk, sk) = (
        "lIiHJutCDULp6HDejNkj14uGaLkqbgwOt1Gsppt1ihM=",
        "EHMMRrIF6P9vSv0OKCIr3FAd5T03bJJ8YVNvArJ+HkQ=",
    );
    let body = json!({"deviceId": "svcpy", "status": "enabled", "authentication": {"symmetricKey": {"primaryKey": pk, "secondaryKey": sk}, "type": "sas"}, "capabilities": {"iotEdge": true}});
    let reply = hub
        .call(Method::PUT, &format!("/devices/svcpy?{V}"), Some(&body))
        .await;
    assert_eq!(
        reply.body["authentication"]["symmetricKey"]["primaryKey"],
        pk
    );
    assert_eq!(reply.body["capabilities"]["iotEdge"], true);

    let sha1 = "a".repeat(40);
    let sha256 = "B".repeat(64);
    let body = json!({"deviceId":"x","authentication":{"type":"selfSigned","x509Thumbprint":{"primaryThumbprint":sha1,"secondaryThumbprint":sha256}}});
    let reply = hub
        .call(Method::PUT, &format!("/devices/x?{V}"), Some(&body))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["authentication"]["type"], "selfSigned");
    assert_eq!(
        reply.body["authentication"]["x509Thumbprint"]["primaryThumbprint"],
        "A".repeat(40)
    );
    assert_eq!(
        reply.body["authentication"]["symmetricKey"]["primaryKey"],
        serde_json::Value::Null
    );

    // The type is inferred from a filled-in thumbprint, as C# and Node do.
    let body = json!({"authentication":{"x509Thumbprint":{"primaryThumbprint":"c".repeat(64)}}});
    let reply = hub
        .call(Method::PUT, &format!("/devices/inferred?{V}"), Some(&body))
        .await;
    assert_eq!(reply.body["authentication"]["type"], "selfSigned");

    let body = json!({"authentication":{"type":"certificateAuthority"}});
    let reply = hub
        .call(Method::PUT, &format!("/devices/ca?{V}"), Some(&body))
        .await;
    assert_eq!(reply.body["authentication"]["type"], "certificateAuthority");
    let twin = hub.call(Method::GET, &format!("/twins/ca?{V}"), None).await;
    assert_eq!(twin.body["authenticationType"], "certificateAuthority");
}

#[tokio::test]
async fn create_refuses_bad_bodies_with_argument_invalid() {
    let hub = Hub::new();
    for body in [
        json!({"deviceId": "other"}),
        json!({"status": "sleeping"}),
        json!({"authentication": {"symmetricKey": {"primaryKey": "c2hvcnQ="}}}),
        json!({"authentication": {"symmetricKey": {"primaryKey": "not base64!"}}}),
        json!({"authentication": {"type": "selfSigned"}}),
        json!({"authentication": {"type": "selfSigned", "x509Thumbprint": {"primaryThumbprint": "xyz"}}}),
        json!({"authentication": {"type": "kerberos"}}),
        json!({"authentication": "sas"}),
        json!({"capabilities": {"iotEdge": "yes"}}),
        json!(["not", "an", "object"]),
    ] {
        let reply = hub
            .call(Method::PUT, &format!("/devices/d1?{V}"), Some(&body))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            reply.body
        );
        assert_eq!(reply.error_code(), "ArgumentInvalid", "{body}");
    }
    // Nothing was created by the refused requests.
    let reply = hub
        .call(Method::GET, &format!("/devices/d1?{V}"), None)
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn duplicate_create_is_409_and_update_needs_if_match() {
    let hub = Hub::new();
    let created = hub.create_device("d1").await;
    let again = hub
        .call(
            Method::PUT,
            &format!("/devices/d1?{V}"),
            Some(&json!({"deviceId": "d1"})),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.error_code(), "DeviceAlreadyExists");

    // Update: keys kept when left null, status change stamps statusUpdatedTime, etag moves.
    let body = json!({"deviceId": "d1", "status": "disabled", "statusReason": "maintenance", "authentication": {"symmetricKey": {"primaryKey": null, "secondaryKey": null}}});
    let reply = hub
        .call_with(
            Method::PUT,
            &format!("/devices/d1?{V}"),
            Some(&body),
            &[
                ("authorization", &hub.token("iothubowner")),
                ("if-match", "\"MQ==\""),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["status"], "disabled");
    assert_eq!(reply.body["statusReason"], "maintenance");
    assert_eq!(reply.body["etag"], "Mg==");
    assert_ne!(reply.body["statusUpdatedTime"], "0001-01-01T00:00:00Z");
    assert_eq!(
        reply.body["authentication"]["symmetricKey"],
        created.body["authentication"]["symmetricKey"]
    );
    assert_eq!(reply.body["generationId"], created.body["generationId"]);

    let stale = hub
        .call_with(
            Method::PUT,
            &format!("/devices/d1?{V}"),
            Some(&body),
            &[
                ("authorization", &hub.token("iothubowner")),
                ("if-match", "\"MQ==\""),
            ],
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(stale.error_code(), "PreconditionFailed");

    let star = hub
        .call_with(
            Method::PUT,
            &format!("/devices/d1?{V}"),
            Some(&json!({"status": "enabled"})),
            &[
                ("authorization", &hub.token("iothubowner")),
                ("if-match", "*"),
            ],
        )
        .await;
    assert_eq!(star.status, StatusCode::OK);
    assert_eq!(star.body["status"], "enabled");

    let missing = hub
        .call_with(
            Method::PUT,
            &format!("/devices/nope?{V}"),
            Some(&body),
            &[
                ("authorization", &hub.token("iothubowner")),
                ("if-match", "\"*\""),
            ],
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.error_code(), "DeviceNotFound");
}

#[tokio::test]
async fn get_delete_and_list() {
    let hub = Hub::new();
    let created = hub.create_device("d1").await;
    hub.create_device("d2").await;
    hub.create_device("d3").await;

    let got = hub
        .call(Method::GET, &format!("/devices/d1?{V}"), None)
        .await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body, created.body);

    let missing = hub
        .call(Method::GET, &format!("/devices/nope?{V}"), None)
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.error_code(), "DeviceNotFound");
    assert_eq!(missing.body["Message"], "ErrorCode:DeviceNotFound;nope");

    let listed = hub
        .call(Method::GET, &format!("/devices?top=2&{V}"), None)
        .await;
    assert_eq!(listed.body.as_array().unwrap().len(), 2);
    let listed = hub
        .call(Method::GET, &format!("/devices?top=0&{V}"), None)
        .await;
    assert_eq!(
        listed.body.as_array().unwrap().len(),
        3,
        "out-of-range top means 1000"
    );

    let owner = hub.token("iothubowner");
    let stale = hub
        .call_with(
            Method::DELETE,
            &format!("/devices/d1?{V}"),
            None,
            &[("authorization", &owner), ("if-match", "\"Mg==\"")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    for (id, if_match) in [
        ("d1", Some("\"MQ==\"")),
        ("d2", Some("\"*\"")),
        ("d3", None),
    ] {
        let mut headers = vec![("authorization", owner.as_str())];
        headers.extend(if_match.map(|m| ("if-match", m)));
        let deleted = hub
            .call_with(
                Method::DELETE,
                &format!("/devices/{id}?{V}"),
                None,
                &headers,
            )
            .await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{id}");
        assert_eq!(deleted.body, serde_json::Value::Null);
    }
    let gone = hub
        .call(Method::DELETE, &format!("/devices/d1?{V}"), None)
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);

    // A re-created device is a new generation.
    let again = hub.create_device("d1").await;
    assert_ne!(again.body["generationId"], created.body["generationId"]);
}

#[tokio::test]
async fn modules_live_under_their_device() {
    let hub = Hub::new();
    let no_device = hub
        .call(
            Method::PUT,
            &format!("/devices/d1/modules/m1?{V}"),
            Some(&json!({"moduleId": "m1"})),
        )
        .await;
    assert_eq!(no_device.status, StatusCode::NOT_FOUND);
    assert_eq!(no_device.error_code(), "DeviceNotFound");

    hub.create_device("d1").await;
    let module = hub
        .call(
            Method::PUT,
            &format!("/devices/d1/modules/m1?{V}"),
            Some(&json!({"moduleId": "m1", "deviceId": "d1", "managedBy": "edge"})),
        )
        .await;
    assert_eq!(module.status, StatusCode::OK, "{}", module.body);
    assert_eq!(module.body["moduleId"], "m1");
    assert_eq!(module.body["deviceId"], "d1");
    assert_eq!(module.body["managedBy"], "edge");
    assert_eq!(module.body["authentication"]["type"], "sas");

    let duplicate = hub
        .call(
            Method::PUT,
            &format!("/devices/d1/modules/m1?{V}"),
            Some(&json!({})),
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT);
    assert_eq!(duplicate.error_code(), "ModuleAlreadyExistsOnDevice");

    let owner = hub.token("iothubowner");
    let updated = hub
        .call_with(
            Method::PUT,
            &format!("/devices/d1/modules/m1?{V}"),
            Some(&json!({})),
            &[("authorization", &owner), ("if-match", "\"MQ==\"")],
        )
        .await;
    assert_eq!(updated.body["etag"], "Mg==");

    let listed = hub
        .call(Method::GET, &format!("/devices/d1/modules?{V}"), None)
        .await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    let got = hub
        .call(Method::GET, &format!("/devices/d1/modules/m1?{V}"), None)
        .await;
    assert_eq!(got.body, updated.body);
    let missing = hub
        .call(Method::GET, &format!("/devices/d1/modules/m2?{V}"), None)
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.error_code(), "ModuleNotFound");

    let deleted = hub
        .call(Method::DELETE, &format!("/devices/d1/modules/m1?{V}"), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let gone = hub
        .call(Method::GET, &format!("/devices/d1/modules/m1?{V}"), None)
        .await;
    assert_eq!(gone.error_code(), "ModuleNotFound");

    // Deleting a device deletes its modules.
    hub.call(
        Method::PUT,
        &format!("/devices/d1/modules/m2?{V}"),
        Some(&json!({})),
    )
    .await;
    hub.call(Method::DELETE, &format!("/devices/d1?{V}"), None)
        .await;
    hub.create_device("d1").await;
    let listed = hub
        .call(Method::GET, &format!("/devices/d1/modules?{V}"), None)
        .await;
    assert_eq!(listed.body, json!([]));
}
