//! Arbitrary bytes into one MQTT connection of the emulator: the real connection handler (what
//! runs after the TLS handshake), over an in-memory duplex stream, on an in-memory hub.
//!
//! Input: the first byte picks how the connection starts and how the rest is written; the rest
//! is the byte stream the client sends, then it closes its side.
//! * bits 0–1: 0 = the bytes alone (they must get past CONNECT themselves, which needs a valid
//!   SAS signature: only refusals and garbage are reachable); 1 = a valid device CONNECT with
//!   clean session first; 2 = the same with a persistent session; 3 = a valid module CONNECT.
//! * bits 2–4: the size of each write (1 byte to everything at once), so packets arrive split.
//!
//! Asserted: nothing panics; the handler finishes (within [`common::DEADLINE`]) once the client
//! is gone; a valid CONNECT is answered with CONNACK 0 first; afterwards no connection is live
//! and the identity's twin shows it disconnected.

#![no_main]

#[path = "common/mod.rs"]
mod common;

use bytes::BytesMut;
use common::{DEADLINE, DEVICE, MODULE, device_token, fresh_hub, runtime};
use iothub_twin_emulator::fuzzing::FuzzHub;
use libfuzzer_sys::fuzz_target;
use rumqttc::mqttbytes::v4::{Connect, Login, Packet};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CHUNKS: [usize; 8] = [1, 2, 5, 16, 64, 512, 4096, usize::MAX];

/// A CONNECT as the official SDKs send it (spec/transcripts/device_py_sync.mqtt.txt).
fn connect_packet(module: Option<&str>, clean_session: bool) -> Vec<u8> {
    let client_id = match module {
        Some(module) => format!("{DEVICE}/{module}"),
        None => DEVICE.to_owned(),
    };
    let mut connect = Connect::new(client_id.clone());
    connect.keep_alive = 60;
    connect.clean_session = clean_session;
    connect.login = Some(Login::new(
        format!("{}/{client_id}/?api-version=2021-04-12", FuzzHub::HOSTNAME),
        device_token(module),
    ));
    let mut bytes = BytesMut::new();
    Packet::Connect(connect)
        .write(&mut bytes, 1 << 20)
        .expect("CONNECT encodes");
    bytes.to_vec()
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, stream)) = data.split_first() else {
        return;
    };
    let module = (flags & 3 == 3).then_some(MODULE);
    let connect = match flags & 3 {
        0 => None,
        mode => Some(connect_packet(module, mode != 2)),
    };
    let chunk = CHUNKS[usize::from((flags >> 2) & 7)];
    let input: Vec<u8> = connect.iter().flatten().chain(stream).copied().collect();

    let hub = fresh_hub();
    let reply = runtime().block_on(async {
        let (client, server) = tokio::io::duplex(64 * 1024);
        let (mut from_hub, mut to_hub) = tokio::io::split(client);
        let send = async move {
            for piece in input.chunks(chunk) {
                if to_hub.write_all(piece).await.is_err() {
                    break; // the hub closed the connection
                }
            }
            let _ = to_hub.shutdown().await;
        };
        let receive = async move {
            let mut reply = Vec::new();
            let _ = from_hub.read_to_end(&mut reply).await;
            reply
        };
        let session = async { tokio::join!(hub.serve_mqtt(server), send, receive).2 };
        tokio::time::timeout(DEADLINE, session)
            .await
            .expect("the connection ends once the client is gone")
    });

    if connect.is_some() {
        // CONNACK, remaining length 2, session-present flag, return code 0 (accepted).
        assert!(
            reply.len() >= 4 && reply[0] == 0x20 && reply[1] == 2 && reply[3] == 0,
            "a valid CONNECT is accepted first: {:02x?}",
            &reply[..reply.len().min(8)]
        );
    }
    assert_eq!(hub.live_connections(), 0, "the connection is unregistered");
    let connected = hub.hub().store().read(|registry| {
        registry
            .devices
            .values()
            .flat_map(|d| {
                std::iter::once(&d.identity).chain(d.modules.values().map(|m| &m.identity))
            })
            .any(|identity| identity.connected)
    });
    assert!(!connected, "every identity is back to Disconnected");
});
