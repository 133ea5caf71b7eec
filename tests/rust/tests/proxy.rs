//! Device (MQTT over TLS and WebSockets) and service clients through an HTTP CONNECT proxy with
//! basic auth, and a proxy refusing the credentials: a clear credential error at once, no hang.

mod common;
#[path = "common/connect_proxy.rs"]
mod connect_proxy;

use std::time::{Duration, Instant};

use common::Hub;
use connect_proxy::ConnectProxy;
use iothub_twin::device::Transport;
use iothub_twin::proxy::ProxyOptions;
use iothub_twin::tls::Trust;
use iothub_twin::{DeviceClient, ErrorKind, ServiceClient, ServiceClientOptions};

fn through(proxy: &ConnectProxy, credentials: (&str, &str)) -> ProxyOptions {
    ProxyOptions::new("127.0.0.1", proxy.port).with_basic_auth(credentials.0, credentials.1)
}

#[tokio::test]
async fn device_and_service_clients_tunnel_through_the_proxy() {
    let hub = Hub::start().await;
    let proxy = ConnectProxy::start(Some("me:secret")).await;
    let cs = hub.device("viaproxy").await;
    for transport in [Transport::Mqtt, Transport::MqttWebSockets] {
        let endpoint = (transport == Transport::MqttWebSockets).then(|| {
            format!("localhost:{}", hub.emulator.https_addr.port())
                .parse()
                .unwrap()
        });
        let options = iothub_twin::DeviceClientOptions {
            transport,
            proxy: Some(through(&proxy, ("me", "secret"))),
            endpoint,
            ..hub.options()
        };
        let before = proxy.tunnels();
        let client = DeviceClient::connect(&cs, options).await.unwrap();
        client
            .patch_twin_reported_properties(&serde_json::json!({"via": "proxy"}))
            .await
            .unwrap();
        assert!(
            proxy.tunnels() > before,
            "{transport:?} went through the proxy"
        );
        client.close().await;
    }

    let service = ServiceClient::from_connection_string(
        &hub.emulator.service_connection_string(),
        ServiceClientOptions {
            trust: Trust::Pem(hub.emulator.ca_cert_pem.clone()),
            proxy: Some(through(&proxy, ("me", "secret"))),
            ..ServiceClientOptions::default()
        },
    )
    .unwrap();
    let before = proxy.tunnels();
    let twin = service.get_twin("viaproxy").await.unwrap();
    assert_eq!(
        twin.properties.unwrap().reported.get("via"),
        Some(&serde_json::json!("proxy"))
    );
    assert!(
        proxy.tunnels() > before,
        "the service client went through the proxy"
    );
}

#[tokio::test]
async fn a_proxy_refusing_the_credentials_fails_at_once() {
    let hub = Hub::start().await;
    let proxy = ConnectProxy::start(Some("me:secret")).await;
    let cs = hub.device("refused").await;
    let started = Instant::now();
    let options = iothub_twin::DeviceClientOptions {
        proxy: Some(through(&proxy, ("me", "wrong"))),
        ..hub.options()
    };
    let err = DeviceClient::connect(&cs, options).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Credential, "{err}");
    assert!(err.to_string().contains("proxy"), "{err}");
    assert!(!err.to_string().contains("wrong"), "no secret in {err}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    let service = ServiceClient::from_connection_string(
        &hub.emulator.service_connection_string(),
        ServiceClientOptions {
            trust: Trust::Pem(hub.emulator.ca_cert_pem.clone()),
            proxy: Some(through(&proxy, ("me", "wrong"))),
            ..ServiceClientOptions::default()
        },
    )
    .unwrap();
    let started = Instant::now();
    let err = service.get_twin("refused").await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Credential | ErrorKind::Connection),
        "{err}"
    );
    assert!(err.to_string().contains("proxy"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}
