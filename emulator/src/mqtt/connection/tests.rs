//! CONNECT's header rules (MQTT 3.1.1 §3.1.2), on an in-memory stream.

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::hub::hub_for_tests;

/// A CONNECT for client id `d1` with the given protocol level and connect flags.
fn connect(level: u8, flags: u8) -> Vec<u8> {
    let mut variable = vec![0x00, 0x04, b'M', b'Q', b'T', b'T', level, flags, 0x00, 0x3c];
    variable.extend_from_slice(&[0x00, 0x02, b'd', b'1']);
    let mut packet = vec![0x10, u8::try_from(variable.len()).unwrap()];
    packet.extend(variable);
    packet
}

/// Sends `bytes` as the client and returns everything the server wrote before it closed.
async fn exchange(bytes: &[u8]) -> Vec<u8> {
    let (hub, _dir) = hub_for_tests("localhost");
    let (mut client, server) = tokio::io::duplex(4096);
    let serving = tokio::spawn(super::serve(hub, server, "test", None));
    client.write_all(bytes).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        client.read_to_end(&mut answer),
    )
    .await
    .expect("the server closes the connection")
    .unwrap();
    serving.await.unwrap();
    answer
}

#[tokio::test]
async fn another_protocol_level_gets_connack_1_and_is_closed() {
    for level in [3, 5] {
        assert_eq!(
            exchange(&connect(level, 0x02)).await,
            [0x20, 0x02, 0x00, 0x01],
            "level {level}"
        );
    }
}

#[tokio::test]
async fn the_reserved_connect_flag_closes_without_connack() {
    assert_eq!(exchange(&connect(4, 0x03)).await, Vec::<u8>::new());
}

#[tokio::test]
async fn a_well_formed_connect_is_judged_by_the_registry() {
    // Level 4, reserved flag clear: decoded and judged (no username: CONNACK 2).
    assert_eq!(exchange(&connect(4, 0x02)).await, [0x20, 0x02, 0x00, 0x02]);
}
