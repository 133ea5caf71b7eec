//! Golden test: what the device client puts on the wire for GET and PATCH is what the official
//! SDKs send (tests/fixtures/mqtt_wire.json, from spec/transcripts), checked with a recording
//! MQTT server built on rumqttc's codec.

use std::path::PathBuf;
use std::sync::Arc;

use bytes::BytesMut;
use iothub_twin::auth::{SasToken, SharedAccessKey, unix_time_now};
use iothub_twin::tls::Trust;
use iothub_twin::{DeviceClient, DeviceClientOptions};
use rumqttc::mqttbytes::QoS;
use rumqttc::mqttbytes::v4::{
    ConnAck, ConnectReturnCode, Packet, Publish, SubAck, SubscribeReasonCode,
};
use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::PemObject;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn fixture() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/mqtt_wire.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A one-connection MQTT server that answers like the hub and returns what it received.
async fn recording_server(golden: Value) -> (u16, String, tokio::task::JoinHandle<Vec<Packet>>) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::default();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let server_key = rcgen::KeyPair::generate().unwrap();
    let server = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&server_key, &issuer)
        .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![server.der().clone()],
        PrivateKeyDer::from_pem_slice(server_key.serialize_pem().as_bytes()).unwrap(),
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut tls = tokio_rustls::TlsAcceptor::from(Arc::new(config))
            .accept(tcp)
            .await
            .unwrap();
        let (mut buffer, mut out, mut seen) = (BytesMut::new(), BytesMut::new(), Vec::new());
        loop {
            let packet = loop {
                match Packet::read(&mut buffer, 1 << 20) {
                    Ok(packet) => break Some(packet),
                    Err(rumqttc::mqttbytes::Error::InsufficientBytes(_)) => {
                        if tls.read_buf(&mut buffer).await.unwrap_or(0) == 0 {
                            break None;
                        }
                    }
                    Err(e) => panic!("client sent a malformed packet: {e}"),
                }
            };
            let Some(packet) = packet else { return seen };
            let answer = match &packet {
                Packet::Connect(_) => Some(Packet::ConnAck(ConnAck::new(
                    ConnectReturnCode::Success,
                    false,
                ))),
                Packet::Subscribe(s) => Some(Packet::SubAck(SubAck::new(
                    s.pkid,
                    s.filters
                        .iter()
                        .map(|_| SubscribeReasonCode::Success(QoS::AtLeastOnce))
                        .collect(),
                ))),
                Packet::Publish(p) => {
                    let rid = p
                        .topic
                        .split("$rid=")
                        .nth(1)
                        .unwrap()
                        .split('&')
                        .next()
                        .unwrap()
                        .to_owned();
                    let key = if p.topic.starts_with("$iothub/twin/GET/") {
                        "get_response"
                    } else {
                        "patch_response"
                    };
                    let topic = golden[key]["topic"]
                        .as_str()
                        .unwrap()
                        .replace("{rid}", &rid);
                    let payload = golden[key]["payload"].as_str().unwrap().as_bytes().to_vec();
                    Some(Packet::Publish(Publish::new(
                        topic,
                        QoS::AtMostOnce,
                        payload,
                    )))
                }
                Packet::PingReq => Some(Packet::PingResp),
                Packet::Disconnect => None,
                _ => None,
            };
            let done = matches!(packet, Packet::Disconnect);
            seen.push(packet);
            if let Some(answer) = answer {
                answer.write(&mut out, 1 << 20).unwrap();
                tls.write_all(&out).await.unwrap();
                out.clear();
            }
            if done {
                return seen;
            }
        }
    });
    (port, ca.pem(), task)
}

#[tokio::test]
async fn get_and_patch_look_like_the_official_sdks() {
    let golden = fixture();
    let (port, ca_pem, server) = recording_server(golden.clone()).await;
    let cs = format!(
        "HostName=localhost;DeviceId=dev1;SharedAccessKey={};GatewayHostName=localhost:{port}",
        golden["key"].as_str().unwrap()
    );
    let options = DeviceClientOptions {
        trust: Trust::Pem(ca_pem),
        ..DeviceClientOptions::default()
    };
    let client = DeviceClient::connect(&cs, options).await.unwrap();
    let twin = client.get_twin().await.unwrap();
    assert_eq!(twin.desired.version(), Some(3));
    let patch: Value = serde_json::from_str(golden["patch"]["payload"].as_str().unwrap()).unwrap();
    assert_eq!(
        client.patch_twin_reported_properties(&patch).await.unwrap(),
        4
    );
    client.close().await;
    let seen = server.await.unwrap();

    let Packet::Connect(connect) = &seen[0] else {
        panic!("{:?}", seen[0])
    };
    let expected = &golden["connect"];
    assert_eq!(
        connect.clean_session,
        expected["clean_session"].as_bool().unwrap()
    );
    assert_eq!(connect.client_id, expected["client_id"].as_str().unwrap());
    let login = connect.login.as_ref().unwrap();
    assert!(
        login
            .username
            .starts_with(expected["username_prefix"].as_str().unwrap()),
        "{}",
        login.username
    );
    assert!(
        login.username.contains("DeviceClientType=iothub-twin%2F"),
        "{}",
        login.username
    );
    assert!(
        login
            .password
            .starts_with(expected["password_prefix"].as_str().unwrap())
    );
    let token = SasToken::parse(&login.password).unwrap();
    let key = SharedAccessKey::from_base64(golden["key"].as_str().unwrap()).unwrap();
    token
        .verify(&[&key], "localhost", &["devices", "dev1"], unix_time_now())
        .unwrap();

    let Packet::Subscribe(subscribe) = &seen[1] else {
        panic!("{:?}", seen[1])
    };
    let filters: Vec<&str> = subscribe.filters.iter().map(|f| f.path.as_str()).collect();
    let golden_filters: Vec<&str> = golden["subscribe_filters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(filters, golden_filters);

    let publishes: Vec<&Publish> = seen
        .iter()
        .filter_map(|p| {
            if let Packet::Publish(p) = p {
                Some(p)
            } else {
                None
            }
        })
        .collect();
    let same_shape =
        |ours: &str, theirs: &str| ours.split("$rid=").next() == theirs.split("$rid=").next();
    // The client's own resync read and the application's read are both GETs.
    let gets: Vec<_> = publishes
        .iter()
        .filter(|p| same_shape(&p.topic, golden["get"]["topic"].as_str().unwrap()))
        .collect();
    assert!(gets.len() >= 2, "{publishes:?}");
    for get in gets {
        assert_eq!(
            get.payload.as_ref(),
            golden["get"]["payload"].as_str().unwrap().as_bytes()
        );
        assert!(!get.topic["$iothub/twin/GET/?$rid=".len()..].is_empty());
    }
    let patch = publishes
        .iter()
        .find(|p| same_shape(&p.topic, golden["patch"]["topic"].as_str().unwrap()))
        .expect("no PATCH");
    assert_eq!(
        patch.payload.as_ref(),
        golden["patch"]["payload"].as_str().unwrap().as_bytes(),
        "byte for byte like Node"
    );
    assert!(
        matches!(seen.last(), Some(Packet::Disconnect)),
        "close sends DISCONNECT"
    );
}
