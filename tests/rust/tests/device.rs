//! The core device client against the in-process emulator: the guides' flow, resync after a
//! dropped connection, deadlines, the offline queue, token renewal, credentials, transports.

mod common;

use std::time::Duration;

use common::Hub;
use futures::StreamExt as _;
use iothub_twin::device::{ConnectionState, DesiredPatch, Transport};
use iothub_twin::tls::ClientCertificate;
use iothub_twin::{DeviceClient, Error};
use serde_json::{Value, json};

fn object(value: Value) -> serde_json::Map<String, Value> {
    value.as_object().unwrap().clone()
}

async fn next_patch(stream: &mut iothub_twin::device::DesiredPatchStream) -> DesiredPatch {
    tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("no desired patch in time")
        .unwrap()
}

#[tokio::test]
async fn the_guides_device_flow() {
    let hub = Hub::start().await;
    let cs = hub.device("myDeviceId").await;
    let client = DeviceClient::connect(&cs, hub.options()).await.unwrap();
    assert_eq!(client.connection_state(), ConnectionState::Connected);
    let mut desired = client.desired_property_updates();

    let twin = client.get_twin().await.unwrap();
    assert_eq!(
        (twin.desired.version(), twin.reported.version()),
        (Some(1), Some(1))
    );

    let version = client
        .patch_twin_reported_properties(&json!({"connectivity": {"type": "cellular"}}))
        .await
        .unwrap();
    assert_eq!(version, 2);
    assert_eq!(
        hub.twin("myDeviceId").await["properties"]["reported"]["connectivity"]["type"],
        "cellular"
    );

    let hub_version = hub
        .patch_desired("myDeviceId", json!({"power_level": 1}))
        .await;
    let patch = next_patch(&mut desired).await;
    assert_eq!(
        patch,
        DesiredPatch {
            version: hub_version,
            patch: object(json!({"power_level": 1})),
            document: object(json!({"power_level": 1}))
        }
    );
    assert_eq!(patch.to_json(), json!({"power_level": 1, "$version": 2}));

    // Limits are checked before anything is sent.
    let err = client
        .patch_twin_reported_properties(&json!({"bad.key": 1}))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidTwin(_)), "{err}");
    // The hub's own refusals come back as service errors.
    let err = client
        .patch_twin_reported_properties_if(&json!({"x": 1}), 99)
        .await
        .unwrap_err();
    assert!(err.is_precondition_failed(), "{err}");

    client.close().await;
    assert_eq!(client.connection_state(), ConnectionState::Closed);
    assert!(matches!(client.get_twin().await, Err(Error::Closed)));
    assert!(
        desired.next().await.is_none(),
        "streams end when the client closes"
    );
}

#[tokio::test]
async fn a_change_made_right_after_connect_is_delivered() {
    // `connect` returns once the desired baseline is read, so the very next change is above it
    // (before, a read answering after the change folded it into the baseline unseen).
    let hub = Hub::start().await;
    let cs = hub.device("dev1").await;
    for round in 0..5 {
        let client = DeviceClient::connect(&cs, hub.options()).await.unwrap();
        let mut desired = client.desired_property_updates();
        let version = hub.patch_desired("dev1", json!({"round": round})).await;
        let patch = next_patch(&mut desired).await;
        assert_eq!(patch.version, version);
        assert_eq!(patch.patch, object(json!({"round": round})));
        client.close().await;
    }
}

#[tokio::test]
async fn connect_with_a_ready_made_sas_token() {
    let hub = Hub::start().await;
    let cs: iothub_twin::auth::DeviceConnectionString = hub.device("dev1").await.parse().unwrap();
    let iothub_twin::auth::DeviceAuth::SharedAccessKey { key, .. } = &cs.auth else {
        unreachable!()
    };
    let token = iothub_twin::auth::SasToken::generate(
        &cs.sas_resource(),
        key,
        None,
        iothub_twin::auth::unix_time_now() + 600,
    );
    let options = iothub_twin::DeviceClientOptions {
        endpoint: cs.gateway_host_name.clone(),
        ..hub.options()
    };
    let client = DeviceClient::connect_with_sas_token(token.expose_secret(), options.clone())
        .await
        .unwrap();
    assert_eq!(client.get_twin().await.unwrap().desired.version(), Some(1));
    client.close().await;
    let expired = iothub_twin::auth::SasToken::generate(&cs.sas_resource(), key, None, 1);
    let err = DeviceClient::connect_with_sas_token(expired.expose_secret(), options)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err}");
}

#[tokio::test]
async fn a_reconnect_delivers_exactly_one_difference_patch() {
    let hub = Hub::start().await;
    let cs = hub.device("dev1").await;
    hub.patch_desired("dev1", json!({"keep": 1, "change": "a", "remove": true}))
        .await;
    let client = DeviceClient::connect(&cs, hub.options()).await.unwrap();
    let mut desired = client.desired_property_updates();
    let mut states = client.connection_state_updates();
    client.get_twin().await.unwrap(); // the baseline is in place once a read went through

    // Offline: the hub refuses reconnects while desired changes twice and a key goes.
    hub.faults(json!({"refuseConnects": 1000})).await;
    hub.drop_connection("dev1").await;
    loop {
        if let Some(ConnectionState::Disconnected { .. }) = states.next().await {
            break;
        }
    }
    hub.patch_desired("dev1", json!({"change": "b"})).await;
    let version = hub
        .patch_desired(
            "dev1",
            json!({"change": "c", "remove": null, "added": {"x": 1}}),
        )
        .await;
    hub.faults(json!({})).await;

    let patch = next_patch(&mut desired).await;
    assert_eq!(patch.version, version);
    assert_eq!(
        patch.patch,
        object(json!({"remove": null, "change": "c", "added": {"x": 1}}))
    );
    // Exactly one: nothing else follows, though the hub's session would resend nothing anyway.
    assert!(
        tokio::time::timeout(Duration::from_millis(700), desired.next())
            .await
            .is_err()
    );
    // Later changes flow as usual.
    hub.patch_desired("dev1", json!({"after": true})).await;
    assert_eq!(next_patch(&mut desired).await.version, version + 1);
}

#[tokio::test]
async fn a_withheld_answer_fails_at_the_deadline_and_the_client_stays_usable() {
    let hub = Hub::start().await;
    let cs = hub.device("dev1").await;
    let options = iothub_twin::DeviceClientOptions {
        operation_timeout: Duration::from_secs(1),
        ..hub.options()
    };
    let client = DeviceClient::connect(&cs, options).await.unwrap();
    hub.faults(json!({"withholdTwinResponses": 1})).await;
    let started = std::time::Instant::now();
    let err = client.get_twin().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                operation: "get_twin",
                ..
            }
        ),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(client.get_twin().await.is_ok());
}

#[tokio::test]
async fn reported_patches_made_offline_arrive_in_order_and_the_queue_is_bounded() {
    let hub = Hub::start().await;
    let cs = hub.device("dev1").await;
    let options = iothub_twin::DeviceClientOptions {
        offline_queue_capacity: 5,
        ..hub.options()
    };
    let client = DeviceClient::connect(&cs, options).await.unwrap();
    let mut states = client.connection_state_updates();
    hub.faults(json!({"refuseConnects": 1000})).await;
    hub.drop_connection("dev1").await;
    while !matches!(
        states.next().await,
        Some(ConnectionState::Disconnected { .. })
    ) {}

    let patches: Vec<_> = (0..5)
        .map(|n| {
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .patch_twin_reported_properties(&json!({"n": n, "last": n}))
                    .await
            })
        })
        .collect();
    // Give the five a moment to be queued, then the sixth finds the queue full.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let err = client
        .patch_twin_reported_properties(&json!({"n": 99}))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::QueueFull { capacity: 5 }), "{err}");

    hub.faults(json!({})).await;
    let mut versions = Vec::new();
    for patch in patches {
        versions.push(patch.await.unwrap().unwrap());
    }
    versions.sort_unstable();
    assert_eq!(versions, vec![2, 3, 4, 5, 6]);
    let reported = &hub.twin("dev1").await["properties"]["reported"];
    assert_eq!(reported["$version"], 6);
    assert_ne!(reported["n"], 99);
}

#[tokio::test]
async fn short_lived_tokens_are_renewed_without_failing_anything() {
    let hub = Hub::start().await;
    let cs = hub.device("dev1").await;
    let options = iothub_twin::DeviceClientOptions {
        sas_token_ttl: Duration::from_secs(3),
        ..hub.options()
    };
    let client = DeviceClient::connect(&cs, options).await.unwrap();
    let mut desired = client.desired_property_updates();
    let mut states = client.connection_state_updates();
    client.get_twin().await.unwrap();
    // 30 s = ten token lifetimes (the acceptance bar): without renewal the hub would drop
    // the connection at each expiry and the state stream would say so.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut expected = 1;
    while std::time::Instant::now() < deadline {
        client
            .patch_twin_reported_properties(&json!({"tick": expected}))
            .await
            .unwrap();
        expected = hub.patch_desired("dev1", json!({"tick": expected})).await;
        assert_eq!(next_patch(&mut desired).await.version, expected);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    client.close().await;
    let mut seen = Vec::new();
    while let Some(state) = states.next().await {
        seen.push(state);
    }
    assert_eq!(
        seen,
        vec![ConnectionState::Closed],
        "no disconnect while renewing"
    );
}

#[tokio::test]
async fn a_wrong_key_fails_promptly() {
    let hub = Hub::start().await;
    let cs = hub.device("dev1").await;
    let wrong = format!("{};", cs.split(";SharedAccessKey=").next().unwrap())
        + "SharedAccessKey=d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXkhIQ==";
    let wrong = wrong
        + &format!(
            ";GatewayHostName=localhost:{}",
            hub.emulator.mqtt_addr.port()
        );
    let started = std::time::Instant::now();
    let err = DeviceClient::connect(&wrong, hub.options())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Authentication { .. }), "{err}");
    assert!(err.is_unauthorized());
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "no retry storm: {:?}",
        started.elapsed()
    );
    assert!(!err.to_string().contains("d3Jvbmc"), "no key in the error");
}

#[tokio::test]
async fn x509_websockets_and_modules() {
    let hub = Hub::start().await;
    // X.509 signed by the hub's CA.
    hub.rest(
        reqwest::Method::PUT,
        "/devices/cadev",
        Some(json!({"authentication": {"type": "certificateAuthority"}})),
    )
    .await;
    let (certificate_pem, private_key_pem) =
        hub.emulator.issue_device_certificate("cadev").unwrap();
    let port = hub.emulator.mqtt_addr.port();
    let options = iothub_twin::DeviceClientOptions {
        client_certificate: Some(ClientCertificate {
            certificate_pem,
            private_key_pem,
        }),
        ..hub.options()
    };
    let cs =
        format!("HostName=localhost;DeviceId=cadev;x509=true;GatewayHostName=localhost:{port}");
    let client = DeviceClient::connect(&cs, options).await.unwrap();
    assert_eq!(
        client
            .patch_twin_reported_properties(&json!({"auth": "x509"}))
            .await
            .unwrap(),
        2
    );

    // WebSockets on the HTTPS port.
    let cs = hub.device("wsdev").await;
    let options = iothub_twin::DeviceClientOptions {
        transport: Transport::MqttWebSockets,
        endpoint: Some(
            format!("localhost:{}", hub.emulator.https_addr.port())
                .parse()
                .unwrap(),
        ),
        ..hub.options()
    };
    let client = DeviceClient::connect(&cs, options).await.unwrap();
    assert_eq!(client.get_twin().await.unwrap().desired.version(), Some(1));

    // A module identity.
    let (status, module) = hub
        .rest(
            reqwest::Method::PUT,
            "/devices/wsdev/modules/mod1",
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 200);
    let key = module["authentication"]["symmetricKey"]["primaryKey"]
        .as_str()
        .unwrap();
    let cs = format!(
        "HostName=localhost;DeviceId=wsdev;ModuleId=mod1;SharedAccessKey={key};GatewayHostName=localhost:{port}"
    );
    let module_client = DeviceClient::connect(&cs, hub.options()).await.unwrap();
    module_client
        .patch_twin_reported_properties(&json!({"module": true}))
        .await
        .unwrap();
    let (_, twin) = hub
        .rest(reqwest::Method::GET, "/twins/wsdev/modules/mod1", None)
        .await;
    assert_eq!(twin["properties"]["reported"]["module"], true);
    assert!(
        hub.twin("wsdev").await["properties"]["reported"]
            .get("module")
            .is_none()
    );
}

#[tokio::test]
async fn refused_reconnects_are_bounded_then_calls_fail_fast() {
    let hub = Hub::start().await;
    let cs = hub.device("dev1").await;
    let client = DeviceClient::connect(&cs, hub.options()).await.unwrap();
    let mut states = client.connection_state_updates();
    // The device's keys are rotated; its next CONNECT is refused.
    hub.rest_with_if_match(
        reqwest::Method::PUT,
        "/devices/dev1",
        json!({"authentication": {"symmetricKey": {
        "primaryKey": "cm90YXRlZC1rZXktcm90YXRlZC1rZXktcm90YXRlZCE=",
        "secondaryKey": "cm90YXRlZC1rZXktcm90YXRlZC1rZXktc2Vjb25kIQ=="}}}),
    )
    .await;
    hub.drop_connection("dev1").await;
    let failed = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(state) = states.next().await {
            if let ConnectionState::Failed { reason, .. } = state {
                return reason;
            }
        }
        panic!("the state stream ended")
    })
    .await
    .expect("the client kept retrying");
    assert!(failed.contains("refused"), "{failed}");
    let started = std::time::Instant::now();
    let err = client.get_twin().await.unwrap_err();
    assert!(err.is_unauthorized(), "{err}");
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "fails fast once failed"
    );
}
