//! The MQTT device endpoint with a raw client: CONNECT rules, sessions, twin topics, faults.

use std::time::Duration;

use iothub_twin::topics::{
    DESIRED_PATCHES, TWIN_RESPONSES, parse_twin_response, reported_patch, twin_get,
};
use iothub_twin_emulator::{EmulatorConfig, FaultSettings, RunningEmulator};
use iothub_twin_test_support::Service;
use iothub_twin_test_support::mqtt::{RawClient, connect_packet, sas};
use reqwest::Method;
use rumqttc::mqttbytes::QoS;
use rumqttc::mqttbytes::v4::{ConnectReturnCode, Packet, SubscribeReasonCode};
use serde_json::{Value, json};

struct Hub {
    emulator: RunningEmulator,
    service: Service,
}

impl Hub {
    async fn start() -> Self {
        let emulator = RunningEmulator::start(EmulatorConfig::ephemeral())
            .await
            .unwrap();
        let service = Service::new(&emulator.service_connection_string(), &emulator.ca_cert_pem);
        Self { emulator, service }
    }

    fn mqtt_port(&self) -> u16 {
        self.emulator.mqtt_addr.port()
    }

    async fn device(&self, id: &str, body: Value) -> Value {
        let (status, device) = self
            .service
            .send(Method::PUT, &format!("/devices/{id}"), Some(&body), None)
            .await
            .unwrap();
        assert_eq!(status, 200, "{device}");
        device
    }

    /// A SAS device; returns its primary key.
    async fn sas_device(&self, id: &str) -> String {
        let device = self.device(id, json!({})).await;
        device["authentication"]["symmetricKey"]["primaryKey"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn client(&self) -> RawClient {
        RawClient::tls(self.mqtt_port(), &self.emulator.ca_cert_pem).await
    }

    /// A connected, subscribed device client.
    async fn connected(&self, id: &str, key: &str, clean: bool) -> RawClient {
        let mut client = self.client().await;
        let (_, code) = client
            .connect(connect_packet(
                id,
                Some(sas(&format!("localhost/devices/{id}"), key, 3600)),
                clean,
            ))
            .await;
        assert_eq!(code, ConnectReturnCode::Success);
        client.subscribe_twin_topics().await;
        client
    }

    async fn twin(&self, id: &str) -> Value {
        self.service
            .send(Method::GET, &format!("/twins/{id}"), None, None)
            .await
            .unwrap()
            .1
    }

    async fn patch_desired(&self, id: &str, desired: Value) -> Value {
        let body = json!({"properties": {"desired": desired}});
        self.service
            .send(Method::PATCH, &format!("/twins/{id}"), Some(&body), None)
            .await
            .unwrap()
            .1
    }
}

/// Sends a twin request and returns (status, $version, payload) of the response.
async fn request(
    client: &mut RawClient,
    topic: &str,
    payload: &[u8],
    rid: &str,
) -> (u16, Option<u64>, Vec<u8>) {
    client.publish(topic, payload, QoS::AtLeastOnce, 100).await;
    let response = client.next_publish().await;
    let parsed = parse_twin_response(&response.topic)
        .unwrap_or_else(|| panic!("not a response: {}", response.topic));
    assert_eq!(parsed.rid, rid, "the $rid is echoed byte for byte");
    (parsed.status, parsed.version, response.payload.to_vec())
}

#[tokio::test]
async fn the_guides_device_flow() {
    let hub = Hub::start().await;
    let key = hub.sas_device("dev1").await;
    let mut device = hub.connected("dev1", &key, false).await;

    let (status, _, body) = request(&mut device, &twin_get("c7da3b76"), b" ", "c7da3b76").await;
    assert_eq!(status, 200);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        body,
        json!({"desired": {"$version": 1}, "reported": {"$version": 1}})
    );

    let patch = br#"{"connectivity": {"type": "cellular"}}"#;
    let (status, version, body) =
        request(&mut device, &reported_patch("5ed1", None), patch, "5ed1").await;
    assert_eq!((status, version, body.len()), (204, Some(2), 0));

    let twin = hub.twin("dev1").await;
    assert_eq!(
        twin["properties"]["reported"]["connectivity"]["type"],
        "cellular"
    );
    assert_eq!(twin["connectionState"], "Connected");
    assert_ne!(twin["lastActivityTime"], "0001-01-01T00:00:00Z");
    assert_eq!(
        twin["etag"], "AAAAAAAAAAE=",
        "reported writes never move the etag"
    );

    hub.patch_desired("dev1", json!({"power_level": 1})).await;
    let push = device.next_publish().await;
    assert_eq!(
        push.topic,
        "$iothub/twin/PATCH/properties/desired/?$version=2"
    );
    assert_eq!(push.qos, QoS::AtLeastOnce);
    let payload: Value = serde_json::from_slice(&push.payload).unwrap();
    assert_eq!(payload, json!({"power_level": 1, "$version": 2}));

    device.send(Packet::Disconnect).await;
    assert!(device.recv().await.is_none());
    // Connection state follows (the disconnect is recorded once the hub has seen it).
    for _ in 0..100 {
        if hub.twin("dev1").await["connectionState"] == "Disconnected" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("connectionState stayed Connected");
}

#[tokio::test]
async fn sessions_persist_for_clean_session_0() {
    let hub = Hub::start().await;
    let key = hub.sas_device("dev1").await;
    let token = || Some(sas("localhost/devices/dev1", &key, 3600));
    let first = hub.connected("dev1", &key, false).await;
    drop(first);

    // Resumed: no SUBSCRIBE, yet desired pushes arrive (the official SDKs rely on this).
    let mut resumed = hub.client().await;
    let (present, code) = resumed
        .connect(connect_packet("dev1", token(), false))
        .await;
    assert_eq!((present, code), (true, ConnectReturnCode::Success));
    hub.patch_desired("dev1", json!({"a": 1})).await;
    let push = resumed.next_publish().await;
    assert!(
        push.topic
            .starts_with("$iothub/twin/PATCH/properties/desired/")
    );
    drop(resumed);

    // Clean session 1 starts over: nothing subscribed, nothing pushed.
    let mut clean = hub.client().await;
    let (present, _) = clean.connect(connect_packet("dev1", token(), true)).await;
    assert!(!present);
    hub.patch_desired("dev1", json!({"a": 2})).await;
    assert!(clean.silent_for(Duration::from_millis(500)).await);
}

#[tokio::test]
async fn unacknowledged_qos1_pushes_are_redelivered_on_resume() {
    let hub = Hub::start().await;
    let key = hub.sas_device("dev1").await;
    let mut device = hub.connected("dev1", &key, false).await;
    hub.patch_desired("dev1", json!({"x": 1})).await;
    let first = match device.recv().await {
        Some(Packet::Publish(p)) => p,
        other => panic!("{other:?}"),
    };
    assert!(!first.dup);
    drop(device); // no PUBACK

    let mut again = hub.client().await;
    again
        .connect(connect_packet(
            "dev1",
            Some(sas("localhost/devices/dev1", &key, 3600)),
            false,
        ))
        .await;
    let redelivered = again.next_publish().await;
    assert!(redelivered.dup);
    assert_eq!(
        (redelivered.pkid, redelivered.payload.clone()),
        (first.pkid, first.payload.clone())
    );
    // Once acknowledged it is not sent again.
    drop(again);
    let mut third = hub.client().await;
    third
        .connect(connect_packet(
            "dev1",
            Some(sas("localhost/devices/dev1", &key, 3600)),
            false,
        ))
        .await;
    assert!(third.silent_for(Duration::from_millis(300)).await);
}

#[tokio::test]
async fn credentials_are_checked_at_connect() {
    let hub = Hub::start().await;
    let key = hub.sas_device("dev1").await;
    let other_key = hub.sas_device("dev2").await;
    hub.device("off", json!({"status": "disabled"})).await;
    let off_key = hub
        .service
        .send(Method::GET, "/devices/off", None, None)
        .await
        .unwrap()
        .1["authentication"]["symmetricKey"]["primaryKey"]
        .as_str()
        .unwrap()
        .to_owned();
    let cases: Vec<(&str, Option<String>, ConnectReturnCode, &str)> = vec![
        (
            "dev1",
            Some(sas("localhost/devices/dev1", &key, -5)),
            ConnectReturnCode::NotAuthorized,
            "expired token",
        ),
        (
            "dev1",
            Some(sas("localhost/devices/dev1", &other_key, 3600)),
            ConnectReturnCode::NotAuthorized,
            "wrong key",
        ),
        (
            "dev1",
            Some(sas("localhost/devices/dev2", &other_key, 3600)),
            ConnectReturnCode::NotAuthorized,
            "token for another device",
        ),
        (
            "dev1",
            Some(sas("otherhub/devices/dev1", &key, 3600)),
            ConnectReturnCode::NotAuthorized,
            "token for another hub",
        ),
        (
            "off",
            Some(sas("localhost/devices/off", &off_key, 3600)),
            ConnectReturnCode::NotAuthorized,
            "disabled device",
        ),
        (
            "ghost",
            Some(sas("localhost/devices/ghost", &key, 3600)),
            ConnectReturnCode::NotAuthorized,
            "unknown device",
        ),
        (
            "dev1",
            None,
            ConnectReturnCode::NotAuthorized,
            "no password and no certificate",
        ),
        (
            "dev1",
            Some("SharedAccessSignature garbage".to_owned()),
            ConnectReturnCode::NotAuthorized,
            "malformed token",
        ),
    ];
    for (client_id, password, expected, why) in cases {
        let mut client = hub.client().await;
        let (_, code) = client
            .connect(connect_packet(client_id, password, false))
            .await;
        assert_eq!(code, expected, "{why}");
        assert!(
            client.recv().await.is_none(),
            "{why}: the hub closes after refusing"
        );
    }
    // A username naming another identity than the client id.
    let mut client = hub.client().await;
    let mut connect = connect_packet(
        "dev1",
        Some(sas("localhost/devices/dev1", &key, 3600)),
        false,
    );
    connect.login.as_mut().unwrap().username = "localhost/dev2/?api-version=2021-04-12".into();
    assert_eq!(
        client.connect(connect).await.1,
        ConnectReturnCode::BadClientId
    );

    // The `device` policy (DeviceConnect) may connect any device; `service` may not.
    for (policy, expected) in [
        ("device", ConnectReturnCode::Success),
        ("service", ConnectReturnCode::NotAuthorized),
    ] {
        let policy_key = hub
            .emulator
            .policies()
            .get(policy)
            .unwrap()
            .primary_key
            .clone();
        let token = iothub_twin::auth::SasToken::generate(
            "localhost/devices/dev1",
            &policy_key,
            Some(policy),
            iothub_twin::auth::unix_time_now() + 60,
        );
        let mut client = hub.client().await;
        let (_, code) = client
            .connect(connect_packet(
                "dev1",
                Some(token.expose_secret().to_owned()),
                true,
            ))
            .await;
        assert_eq!(code, expected, "{policy} policy");
    }
}

#[tokio::test]
async fn a_second_connection_of_the_same_identity_closes_the_first() {
    let hub = Hub::start().await;
    let key = hub.sas_device("dev1").await;
    let mut first = hub.connected("dev1", &key, false).await;
    let mut second = hub.connected("dev1", &key, false).await;
    assert!(
        first.recv().await.is_none(),
        "the first connection is closed"
    );
    let (status, _, _) = request(&mut second, &twin_get("r2"), b" ", "r2").await;
    assert_eq!(status, 200);
    assert_eq!(hub.twin("dev1").await["connectionState"], "Connected");
}

#[tokio::test]
async fn protocol_violations_close_the_connection_and_nothing_else() {
    let hub = Hub::start().await;
    let key = hub.sas_device("dev1").await;
    let big = vec![b'x'; 300 * 1024];
    type Step = Box<
        dyn Fn(&mut RawClient) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + '_>>,
    >;
    let violations: Vec<(&str, Step)> = vec![
        (
            "oversize packet",
            Box::new(move |c| {
                let big = big.clone();
                Box::pin(async move {
                    c.publish(&reported_patch("1", None), &big, QoS::AtMostOnce, 0)
                        .await
                })
            }),
        ),
        (
            "malformed bytes",
            Box::new(|c| {
                Box::pin(async move {
                    c.send_bytes(&[0x30, 0xff, 0xff, 0xff, 0xff, 0x7f, 1, 2])
                        .await
                })
            }),
        ),
        (
            "foreign topic",
            Box::new(|c| {
                Box::pin(async move {
                    c.publish("devices/dev2/messages/events/", b"{}", QoS::AtMostOnce, 0)
                        .await
                })
            }),
        ),
        (
            "QoS 2 publish",
            Box::new(|c| {
                Box::pin(async move {
                    c.publish("$iothub/twin/GET/?$rid=1", b" ", QoS::ExactlyOnce, 7)
                        .await
                })
            }),
        ),
        (
            "twin topic without $rid",
            Box::new(|c| {
                Box::pin(async move {
                    c.publish("$iothub/twin/GET/", b" ", QoS::AtMostOnce, 0)
                        .await
                })
            }),
        ),
        (
            "unknown twin operation",
            Box::new(|c| {
                Box::pin(async move {
                    c.publish(
                        "$iothub/twin/PATCH/properties/desired/?$rid=1",
                        b"{}",
                        QoS::AtMostOnce,
                        0,
                    )
                    .await
                })
            }),
        ),
    ];
    for (why, step) in violations {
        let mut client = hub.connected("dev1", &key, true).await;
        eprintln!("violation: {why}");
        step(&mut client).await;
        loop {
            match client.recv().await {
                None => break,
                Some(Packet::PubAck(_)) => {} // a QoS 1 publish may be acknowledged first
                Some(other) => panic!("{why}: unexpected {other:?}"),
            }
        }
    }
    // Garbage before CONNECT: closed without a word.
    let mut client = hub.client().await;
    client.send_bytes(b"GET / HTTP/1.1\r\n\r\n").await;
    assert!(client.recv().await.is_none());
    // The hub is unaffected.
    let mut device = hub.connected("dev1", &key, false).await;
    assert_eq!(
        request(&mut device, &twin_get("ok"), b" ", "ok").await.0,
        200
    );
}

#[tokio::test]
async fn subscriptions_to_unsupported_filters_fail_individually() {
    let hub = Hub::start().await;
    let key = hub.sas_device("dev1").await;
    let mut client = hub.client().await;
    client
        .connect(connect_packet(
            "dev1",
            Some(sas("localhost/devices/dev1", &key, 3600)),
            true,
        ))
        .await;
    let granted = client
        .subscribe(
            &[
                (TWIN_RESPONSES, QoS::ExactlyOnce),
                ("$iothub/methods/POST/#", QoS::AtMostOnce),
                (DESIRED_PATCHES, QoS::AtMostOnce),
            ],
            9,
        )
        .await;
    assert_eq!(
        granted,
        vec![
            SubscribeReasonCode::Success(QoS::AtLeastOnce),
            SubscribeReasonCode::Failure,
            SubscribeReasonCode::Success(QoS::AtMostOnce)
        ]
    );
    // QoS 0 subscription: pushes come at QoS 0.
    hub.patch_desired("dev1", json!({"q": 0})).await;
    assert_eq!(client.next_publish().await.qos, QoS::AtMostOnce);
}

#[tokio::test]
async fn twin_errors_carry_status_and_error_code_body() {
    let hub = Hub::start().await;
    let key = hub.sas_device("dev1").await;
    let mut device = hub.connected("dev1", &key, false).await;
    let cases: Vec<(String, &[u8], u16, u64)> = vec![
        (
            reported_patch("a", None),
            br#"{"good": "x", "$bad": 1}"#,
            400,
            400_004,
        ),
        (reported_patch("b", None), b"{not json", 400, 400_006),
        (reported_patch("c", None), br#"{"l": [null]}"#, 400, 400_004),
        (reported_patch("d", Some(7)), br#"{"x": 1}"#, 412, 412_001),
    ];
    for (topic, payload, status, code) in cases {
        let rid = parse_twin_request_rid(&topic);
        let (got, version, body) = request(&mut device, &topic, payload, &rid).await;
        assert_eq!((got, version), (status, None), "{topic}");
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["errorCode"], code, "{topic}: {body}");
        assert!(
            body["trackingId"].is_string()
                && body["message"].is_string()
                && body["timestampUtc"].is_string()
        );
    }
    assert!(
        hub.twin("dev1").await["properties"]["reported"]
            .get("good")
            .is_none(),
        "a refused patch writes nothing"
    );
    // The right $version passes.
    let (status, version, _) = request(
        &mut device,
        &reported_patch("e", Some(1)),
        br#"{"x": 1}"#,
        "e",
    )
    .await;
    assert_eq!((status, version), (204, Some(2)));
}

fn parse_twin_request_rid(topic: &str) -> String {
    match iothub_twin::topics::parse_twin_request(topic).unwrap() {
        iothub_twin::topics::TwinRequest::Get { rid }
        | iothub_twin::topics::TwinRequest::PatchReported { rid, .. } => rid.to_owned(),
    }
}

#[tokio::test]
async fn get_before_subscribe_is_answered() {
    let hub = Hub::start().await;
    let key = hub.sas_device("dev1").await;
    let mut client = hub.client().await;
    client
        .connect(connect_packet(
            "dev1",
            Some(sas("localhost/devices/dev1", &key, 3600)),
            false,
        ))
        .await;
    let (status, _, _) = request(&mut client, &twin_get("early"), b" ", "early").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn keep_alive_and_token_expiry_end_connections() {
    let hub = Hub::start().await;
    let key = hub.sas_device("dev1").await;
    let mut quiet = hub.client().await;
    let mut connect = connect_packet(
        "dev1",
        Some(sas("localhost/devices/dev1", &key, 3600)),
        true,
    );
    connect.keep_alive = 1;
    quiet.connect(connect).await;
    assert!(
        quiet.recv_within(Duration::from_secs(5)).await.is_none(),
        "closed after 1.5 × keep-alive"
    );

    let mut expiring = hub.client().await;
    expiring
        .connect(connect_packet(
            "dev1",
            Some(sas("localhost/devices/dev1", &key, 2)),
            true,
        ))
        .await;
    assert!(
        expiring.recv_within(Duration::from_secs(6)).await.is_none(),
        "closed when the token expires"
    );
}

#[tokio::test]
async fn modules_and_model_ids() {
    let hub = Hub::start().await;
    hub.sas_device("dev1").await;
    let (status, module) = hub
        .service
        .send(
            Method::PUT,
            "/devices/dev1/modules/mod1",
            Some(&json!({})),
            None,
        )
        .await
        .unwrap();
    assert_eq!(status, 200);
    let key = module["authentication"]["symmetricKey"]["primaryKey"]
        .as_str()
        .unwrap();
    let mut client = hub.client().await;
    let mut connect = connect_packet(
        "dev1/mod1",
        Some(sas("localhost/devices/dev1/modules/mod1", key, 3600)),
        true,
    );
    connect.login.as_mut().unwrap().username =
        "localhost/dev1/mod1/?api-version=2021-04-12&model-id=dtmi%3Acom%3Aexample%3BThermostat%3B1".into();
    assert_eq!(client.connect(connect).await.1, ConnectReturnCode::Success);
    let (status, version, _) = request(
        &mut client,
        &reported_patch("m", None),
        br#"{"fw": "1.0"}"#,
        "m",
    )
    .await;
    assert_eq!((status, version), (204, Some(2)));
    let (_, twin) = hub
        .service
        .send(Method::GET, "/twins/dev1/modules/mod1", None, None)
        .await
        .unwrap();
    assert_eq!(twin["properties"]["reported"]["fw"], "1.0");
    assert_eq!(twin["modelId"], "dtmi:com:example;Thermostat;1");
    assert_eq!(twin["connectionState"], "Connected");
    // The device twin is untouched.
    assert_eq!(
        hub.twin("dev1").await["properties"]["reported"]["$version"],
        1
    );
}

#[tokio::test]
async fn websockets_carry_the_same_protocol() {
    let hub = Hub::start().await;
    let key = hub.sas_device("dev1").await;
    let port = hub.emulator.https_addr.port();
    for subprotocol in ["mqtt", "MQTT"] {
        let (mut client, echoed) =
            RawClient::websocket(port, &hub.emulator.ca_cert_pem, subprotocol).await;
        assert_eq!(
            echoed.as_deref(),
            Some(subprotocol),
            "the client's spelling is echoed"
        );
        let (_, code) = client
            .connect(connect_packet(
                "dev1",
                Some(sas("localhost/devices/dev1", &key, 3600)),
                true,
            ))
            .await;
        assert_eq!(code, ConnectReturnCode::Success);
        let (status, _, _) = request(&mut client, &twin_get("ws"), b" ", "ws").await;
        assert_eq!(status, 200);
    }
}

#[tokio::test]
async fn x509_self_signed_and_ca_signed_devices() {
    let hub = Hub::start().await;
    let key = rcgen::KeyPair::generate().unwrap();
    let self_signed = rcgen::CertificateParams::new(vec!["x509dev".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    use sha2::Digest as _;
    let thumbprint: String = sha2::Sha256::digest(self_signed.der())
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    hub.device("x509dev", json!({"authentication": {"type": "selfSigned", "x509Thumbprint": {"primaryThumbprint": thumbprint}}})).await;
    hub.device(
        "cadev",
        json!({"authentication": {"type": "certificateAuthority"}}),
    )
    .await;
    let (ca_cert, ca_key) = hub.emulator.issue_device_certificate("cadev").unwrap();
    let (other_cn, other_key) = hub
        .emulator
        .issue_device_certificate("someone-else")
        .unwrap();
    let stranger_key = rcgen::KeyPair::generate().unwrap();
    let stranger = rcgen::CertificateParams::new(vec!["x509dev".to_owned()])
        .unwrap()
        .self_signed(&stranger_key)
        .unwrap();

    let cases = [
        (
            "x509dev",
            self_signed.pem(),
            key.serialize_pem(),
            ConnectReturnCode::Success,
            "thumbprint match",
        ),
        (
            "x509dev",
            stranger.pem(),
            stranger_key.serialize_pem(),
            ConnectReturnCode::NotAuthorized,
            "another certificate",
        ),
        (
            "cadev",
            ca_cert,
            ca_key,
            ConnectReturnCode::Success,
            "signed by the hub's CA",
        ),
        (
            "cadev",
            other_cn,
            other_key,
            ConnectReturnCode::NotAuthorized,
            "CA-signed for another device",
        ),
        (
            "cadev",
            self_signed.pem(),
            key.serialize_pem(),
            ConnectReturnCode::NotAuthorized,
            "not CA-signed",
        ),
    ];
    for (device, cert, key, expected, why) in cases {
        let stream = iothub_twin_test_support::mqtt::tls(
            hub.mqtt_port(),
            &hub.emulator.ca_cert_pem,
            Some((&cert, &key)),
        )
        .await;
        let mut client =
            RawClient::over(iothub_twin_test_support::mqtt::Link::Tls(Box::new(stream)));
        let (_, code) = client.connect(connect_packet(device, None, true)).await;
        assert_eq!(code, expected, "{why}");
    }
}

#[tokio::test]
async fn control_api_and_faults() {
    let hub = Hub::start().await;
    let key = hub.sas_device("dev1").await;
    let mut device = hub.connected("dev1", &key, false).await;

    let (status, list) = hub
        .service
        .send(Method::GET, "/emulator/connections", None, None)
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(list[0]["deviceId"], "dev1");
    assert_eq!(list[0]["subscriptions"].as_array().unwrap().len(), 2);

    // Withhold one response: the request is processed, the answer never sent.
    let faults = json!({"withholdTwinResponses": 1});
    assert_eq!(
        hub.service
            .send(Method::PUT, "/emulator/faults", Some(&faults), None)
            .await
            .unwrap()
            .0,
        200
    );
    device
        .publish(
            &reported_patch("lost", None),
            br#"{"n": 1}"#,
            QoS::AtLeastOnce,
            5,
        )
        .await;
    assert!(device.silent_for(Duration::from_millis(500)).await);
    assert_eq!(hub.twin("dev1").await["properties"]["reported"]["n"], 1);
    assert_eq!(
        request(&mut device, &twin_get("next"), b" ", "next")
            .await
            .0,
        200
    );

    // Throttle: 429 with the error body, nothing processed.
    hub.service
        .send(
            Method::PUT,
            "/emulator/faults",
            Some(&json!({"throttleTwinRequests": 1})),
            None,
        )
        .await
        .unwrap();
    let (status, _, body) =
        request(&mut device, &reported_patch("t", None), br#"{"n": 2}"#, "t").await;
    assert_eq!(status, 429);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["errorCode"],
        429_001
    );
    assert_eq!(hub.twin("dev1").await["properties"]["reported"]["n"], 1);

    // REST throttling, with Retry-After.
    hub.service
        .send(
            Method::PUT,
            "/emulator/faults",
            Some(&json!({"throttleServiceRequests": 1})),
            None,
        )
        .await
        .unwrap();
    let (status, body) = hub
        .service
        .send(Method::GET, "/twins/dev1", None, None)
        .await
        .unwrap();
    assert_eq!(status, 429);
    assert!(
        body["Message"]
            .as_str()
            .unwrap()
            .starts_with("ErrorCode:ThrottlingException;")
    );
    assert_eq!(
        hub.service
            .send(Method::GET, "/twins/dev1", None, None)
            .await
            .unwrap()
            .0,
        200
    );

    // Drop the connection.
    assert_eq!(
        hub.service
            .send(Method::DELETE, "/emulator/connections/dev1", None, None)
            .await
            .unwrap()
            .0,
        204
    );
    assert!(device.recv().await.is_none());
    assert_eq!(
        hub.service
            .send(Method::DELETE, "/emulator/connections/dev1", None, None)
            .await
            .unwrap()
            .0,
        404
    );

    // Refuse a CONNECT.
    hub.service
        .send(
            Method::PUT,
            "/emulator/faults",
            Some(&json!({"refuseConnects": 1})),
            None,
        )
        .await
        .unwrap();
    let mut client = hub.client().await;
    assert_eq!(
        client
            .connect(connect_packet(
                "dev1",
                Some(sas("localhost/devices/dev1", &key, 3600)),
                false
            ))
            .await
            .1,
        ConnectReturnCode::ServiceUnavailable
    );
    let _ = hub.connected("dev1", &key, false).await;

    // Unknown fault names are refused; only the owner may use the control API.
    let (status, _) = hub
        .service
        .send(
            Method::PUT,
            "/emulator/faults",
            Some(&json!({"withold": 1})),
            None,
        )
        .await
        .unwrap();
    assert_eq!(status, 400);
    let service_policy = hub.emulator.policies().get("service").unwrap();
    let cs = format!(
        "HostName=localhost:{};SharedAccessKeyName=service;SharedAccessKey={}",
        hub.emulator.https_addr.port(),
        service_policy.primary_key.expose_base64()
    );
    let limited = Service::new(&cs, &hub.emulator.ca_cert_pem);
    assert_eq!(
        limited
            .send(Method::GET, "/emulator/connections", None, None)
            .await
            .unwrap()
            .0,
        401
    );
    let _ = FaultSettings::default();
}

#[tokio::test]
async fn desired_pushes_follow_version_order_and_disabled_devices_are_dropped() {
    let hub = Hub::start().await;
    let key = hub.sas_device("dev1").await;
    let mut device = hub.connected("dev1", &key, false).await;
    for n in 0..20 {
        hub.patch_desired("dev1", json!({"n": n})).await;
    }
    for n in 0..20u64 {
        let push = device.next_publish().await;
        let payload: Value = serde_json::from_slice(&push.payload).unwrap();
        assert_eq!(payload, json!({"n": n, "$version": n + 2}));
    }
    hub.service
        .send(
            Method::PUT,
            "/devices/dev1",
            Some(&json!({"status": "disabled"})),
            Some("*"),
        )
        .await
        .unwrap();
    assert!(
        device.recv().await.is_none(),
        "disabling a device drops its connection"
    );
}
