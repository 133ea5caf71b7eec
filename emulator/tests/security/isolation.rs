//! Device A against device B over MQTT: twin topics carry no device id, so A tries B's
//! device-scoped topics and wide filters, and must never see B's twin or B's patches.

use iothub_twin::topics::{
    DESIRED_PATCHES, TWIN_RESPONSES, parse_twin_response, reported_patch, twin_get,
};
use reqwest::Method;
use rumqttc::mqttbytes::QoS;
use rumqttc::mqttbytes::v4::{ConnectReturnCode, Packet, SubscribeReasonCode};
use serde_json::{Value, json};

use crate::hub::{Hub, Outcome, expect_refused};
use iothub_twin_test_support::mqtt::{RawClient, connect_packet};

#[tokio::test]
async fn device_a_cannot_reach_device_b_over_mqtt() {
    let hub = Hub::start();
    let key_a = hub.sas_device("dev-a").await;
    let key_b = hub.sas_device("dev-b").await;
    hub.owner(
        Method::PATCH,
        "/twins/dev-b",
        Some(&json!({"properties": {"desired": {"secret_of_b": 1}}})),
    )
    .await;
    let subscribe_a = async || {
        let (mut client, got) = hub
            .mqtt("dev-a", Some(hub.device_token("dev-a", &key_a, 3600)))
            .await;
        assert_eq!(got, Outcome::Connack(ConnectReturnCode::Success));
        client.subscribe_twin_topics().await;
        client
    };
    let mut a = subscribe_a().await;
    // Filters naming B, or wider than the documented ones, fail one by one.
    for filter in [
        "devices/dev-b/messages/devicebound/#",
        "$iothub/twin/PATCH/properties/desired/dev-b/#",
        "$iothub/twin/#",
        "$iothub/#",
        "#",
        "+/+/+/#",
    ] {
        let granted = a.subscribe(&[(filter, QoS::AtLeastOnce)], 2).await;
        expect_refused(
            "A subscribing to B",
            &format!("SUBSCRIBE {filter}"),
            Outcome::SubAck(granted),
            Outcome::SubAck(vec![SubscribeReasonCode::Failure]),
        );
    }
    // A's twin GET answers A's twin, never B's.
    a.publish(&twin_get("r1"), b" ", QoS::AtLeastOnce, 10).await;
    let response = a.next_publish().await;
    assert_eq!(parse_twin_response(&response.topic).unwrap().status, 200);
    let body: Value = serde_json::from_slice(&response.payload).unwrap();
    assert_eq!(body["desired"].get("secret_of_b"), None, "{body}");
    // Topics naming B close the connection without an answer.
    for topic in [
        "devices/dev-b/messages/events/",
        "$iothub/twin/GET/dev-b/?$rid=2",
        "$iothub/twin/PATCH/properties/reported/dev-b/?$rid=3",
        "devices/dev-b/modules/m/messages/events/",
    ] {
        let mut client = subscribe_a().await;
        client.publish(topic, b"{}", QoS::AtMostOnce, 0).await;
        let got = match client.recv().await {
            None => Outcome::Closed,
            Some(packet) => panic!("{topic}: expected the close, got {packet:?}"),
        };
        expect_refused(
            "A publishing to B's topics",
            &format!("PUBLISH {topic}"),
            got,
            Outcome::Closed,
        );
    }
    // B's desired and reported changes never reach A; A's own next change does, first.
    let mut a = subscribe_a().await;
    let (mut b, got) = hub
        .mqtt("dev-b", Some(hub.device_token("dev-b", &key_b, 3600)))
        .await;
    assert_eq!(got, Outcome::Connack(ConnectReturnCode::Success));
    b.subscribe(
        &[
            (TWIN_RESPONSES, QoS::AtLeastOnce),
            (DESIRED_PATCHES, QoS::AtLeastOnce),
        ],
        1,
    )
    .await;
    b.publish(
        &reported_patch("r4", None),
        br#"{"reported_by_b":1}"#,
        QoS::AtLeastOnce,
        11,
    )
    .await;
    assert_eq!(
        parse_twin_response(&b.next_publish().await.topic)
            .unwrap()
            .status,
        204
    );
    hub.owner(
        Method::PATCH,
        "/twins/dev-b",
        Some(&json!({"properties": {"desired": {"for_b_only": 2}}})),
    )
    .await;
    assert_eq!(
        serde_json::from_slice::<Value>(&b.next_publish().await.payload).unwrap()["for_b_only"],
        2
    );
    hub.owner(
        Method::PATCH,
        "/twins/dev-a",
        Some(&json!({"properties": {"desired": {"for_a": 3}}})),
    )
    .await;
    let first: Value = serde_json::from_slice(&a.next_publish().await.payload).unwrap();
    expect_refused(
        "A receiving B's patches",
        "A's next push",
        Outcome::Received(first),
        Outcome::Received(json!({"for_a": 3, "$version": 2})),
    );
    a.publish(&twin_get("r5"), b" ", QoS::AtLeastOnce, 12).await;
    let body: Value = serde_json::from_slice(&a.next_publish().await.payload).unwrap();
    assert_eq!(body["reported"].get("reported_by_b"), None, "{body}");
    assert_eq!(body["desired"].get("for_b_only"), None, "{body}");
    hub.finish();
}

/// Connects with clean-session 0 (as the official SDKs do) and subscribes to both twin
/// filters; the client and CONNACK's session-present flag.
async fn persistent(hub: &Hub, id: &str, key: &str) -> (RawClient, bool) {
    let mut client = RawClient::tls(hub.mqtt_port, &hub.ca).await;
    let (present, code) = client
        .connect(connect_packet(
            id,
            Some(hub.device_token(id, key, 3600)),
            false,
        ))
        .await;
    assert_eq!(code, ConnectReturnCode::Success);
    (client, present)
}

#[tokio::test]
async fn a_recreated_identity_inherits_nothing_of_the_deleted_one() {
    let hub = Hub::start();
    let old_key = hub.sas_device("dev1").await;
    let (mut old, _) = persistent(&hub, "dev1", &old_key).await;
    old.subscribe(&[(DESIRED_PATCHES, QoS::AtLeastOnce)], 1)
        .await;
    hub.owner(
        Method::PATCH,
        "/twins/dev1",
        Some(&json!({"properties": {"desired": {"old_owner_secret": 1}}})),
    )
    .await;
    // Received but never acknowledged: the session would redeliver it on resume.
    match old.recv().await {
        Some(Packet::Publish(publish)) => assert_eq!(publish.qos, QoS::AtLeastOnce),
        other => panic!("expected the desired push, got {other:?}"),
    }
    hub.owner(Method::DELETE, "/devices/dev1", None).await;
    assert!(
        old.recv().await.is_none(),
        "deleting the device drops its connection"
    );

    let new_key = hub.sas_device("dev1").await;
    let (mut new, session_present) = persistent(&hub, "dev1", &new_key).await;
    // The new identity's first packet must be the answer to its own PINGREQ, not a
    // redelivery from the old identity's session (which would come first).
    new.send(Packet::PingReq).await;
    let first = new.recv().await;
    let got = match first {
        Some(Packet::PingResp) if !session_present => Outcome::Received(json!("a fresh session")),
        other => Outcome::Received(json!(format!(
            "session present {session_present}, first packet {other:?}"
        ))),
    };
    expect_refused(
        "re-created identity resuming the deleted one's session",
        "MQTT clean-session 0",
        got,
        Outcome::Received(json!("a fresh session")),
    );
    hub.finish();
}
