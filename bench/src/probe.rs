//! A bare rumqttc `AsyncClient` doing what the core `DeviceClient` does on the wire for a
//! reported patch (PUBLISH at QoS 0, response through a QoS 1 subscription, auto PUBACK), with
//! `TCP_NODELAY` on or off. It separates the cost of the client's own machinery from that of
//! rumqttc and the socket (the core client leaves rumqttc's default, `tcp_nodelay = false`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use iothub_twin::auth::{DeviceAuth, DeviceConnectionString, SasToken, unix_time_now};
use iothub_twin::topics::{TWIN_RESPONSES, parse_twin_response, reported_patch};
use rumqttc::{
    AsyncClient, Event, EventLoop, MqttOptions, Packet, QoS, TlsConfiguration, Transport,
};
use tokio::sync::mpsc;

/// Sequential reported patches for `seconds` (after a 1 s warm-up) through 127.0.0.1:`port`;
/// returns the sorted latencies in µs.
pub async fn sequential_patches(
    connection_string: &str,
    port: u16,
    tls: Arc<rustls::ClientConfig>,
    nodelay: bool,
    seconds: f64,
) -> anyhow::Result<Vec<u64>> {
    let cs: DeviceConnectionString = connection_string.parse()?;
    let DeviceAuth::SharedAccessKey { key, key_name } = &cs.auth else {
        bail!("a key connection string is expected")
    };
    let token = SasToken::generate(
        &cs.sas_resource(),
        key,
        key_name.as_deref(),
        unix_time_now() + 3600,
    );
    let client_id = cs.client_id();
    let mut options = MqttOptions::new(client_id.clone(), "127.0.0.1", port);
    options
        .set_transport(Transport::Tls(TlsConfiguration::Rustls(tls)))
        .set_keep_alive(Duration::from_secs(60))
        .set_clean_session(false)
        .set_credentials(
            format!("{}/{client_id}/?api-version=2021-04-12", cs.host_name),
            token.expose_secret(),
        );
    let (client, mut eventloop) = AsyncClient::new(options, 64);
    eventloop.network_options.set_tcp_nodelay(nodelay);
    let (responses, mut answers) = mpsc::unbounded_channel();
    let driver = tokio::spawn(drive(eventloop, responses));
    client.subscribe(TWIN_RESPONSES, QoS::AtLeastOnce).await?;
    let mut n = 0u64;
    let mut latencies = Vec::new();
    for (window, record) in [(1.0, false), (seconds, true)] {
        let deadline = Instant::now() + Duration::from_secs_f64(window);
        while Instant::now() < deadline {
            n += 1;
            let sent = Instant::now();
            let payload = crate::raw::patch_payload(n);
            client
                .publish(
                    reported_patch(&n.to_string(), None),
                    QoS::AtMostOnce,
                    false,
                    payload.to_vec(),
                )
                .await?;
            loop {
                let (status, rid) = answers.recv().await.context("the connection ended")?;
                if rid == n {
                    anyhow::ensure!(status == 204, "status {status}");
                    break;
                }
            }
            if record {
                latencies.push(sent.elapsed().as_micros() as u64);
            }
        }
    }
    client.disconnect().await?;
    let _ = tokio::time::timeout(Duration::from_secs(1), driver).await;
    latencies.sort_unstable();
    Ok(latencies)
}

/// Polls the event loop, forwarding (status, rid) of twin responses; ends on error.
async fn drive(mut eventloop: EventLoop, responses: mpsc::UnboundedSender<(u16, u64)>) {
    while let Ok(event) = eventloop.poll().await {
        if let Event::Incoming(Packet::Publish(publish)) = event
            && let Some(response) = parse_twin_response(&publish.topic)
            && let Ok(rid) = response.rid.parse()
            && responses.send((response.status, rid)).is_err()
        {
            return;
        }
    }
}
