//! The HTTPS port against careless or hostile clients, over real sockets: an oversized body is
//! answered with IoT Hub's 413, and sockets held open without a request are bounded in number
//! and closed after a bounded time while normal clients keep working.

use std::sync::Arc;
use std::time::Duration;

use iothub_twin::auth::{SasToken, unix_time_now};
use iothub_twin_emulator::{EmulatorConfig, HttpsLimits, RunningEmulator};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject as _;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

const V: &str = "api-version=2021-04-12";

fn client_tls(hub: &RunningEmulator) -> rustls::ClientConfig {
    client_tls_with_alpn(hub, &[])
}

fn client_tls_with_alpn(hub: &RunningEmulator, alpn: &[&[u8]]) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(hub.ca_cert_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots);
    let mut config = config.with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    config
}

/// A service client with an owner token: `(client, base URL, Authorization value)`.
fn service(hub: &RunningEmulator) -> (reqwest::Client, String, String) {
    service_with_alpn(hub, &[])
}

fn service_with_alpn(hub: &RunningEmulator, alpn: &[&[u8]]) -> (reqwest::Client, String, String) {
    let owner = hub.policies().owner();
    let token = SasToken::generate(
        &hub.hostname,
        &owner.primary_key,
        Some(&owner.name),
        unix_time_now() + 3600,
    );
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(client_tls_with_alpn(hub, alpn))
        .build()
        .unwrap();
    let base = format!("https://localhost:{}", hub.https_addr.port());
    (client, base, token.expose_secret().to_owned())
}

async fn get_devices(hub: &RunningEmulator) -> u16 {
    let (client, base, token) = service(hub);
    let response = client
        .get(format!("{base}/devices?{V}"))
        .header("authorization", token)
        .send()
        .await
        .expect("an answer");
    response.status().as_u16()
}

#[tokio::test]
async fn an_oversized_body_is_answered_413_with_an_iothub_error_body() {
    let hub = RunningEmulator::start(EmulatorConfig {
        devices: vec!["dev1".into()],
        ..EmulatorConfig::ephemeral()
    })
    .await
    .unwrap();
    // HTTP/1.1 and HTTP/2 alike (an HTTP/2 client saw a stream reset, not the answer, when
    // the hub answered before reading the body).
    for alpn in [&b"http/1.1"[..], b"h2"] {
        let (client, base, token) = service_with_alpn(&hub, &[alpn]);
        oversized_patch_is_refused(&client, &base, &token).await;
    }
    hub.shutdown().await;
}

async fn oversized_patch_is_refused(client: &reqwest::Client, base: &str, token: &str) {
    let big = json!({"properties": {"desired": {"big": "x".repeat(4 * 1024 * 1024)}}});
    let response = client
        .patch(format!("{base}/twins/dev1?{V}"))
        .header("authorization", token)
        .json(&big)
        .send()
        .await
        .expect("an answer, not a dropped connection");
    assert_eq!(response.status().as_u16(), 413);
    assert_eq!(response.headers()["iothub-errorcode"], "MessageTooLarge");
    let body: Value = response.json().await.unwrap();
    assert!(
        body["Message"]
            .as_str()
            .unwrap()
            .starts_with("ErrorCode:MessageTooLarge;"),
        "{body}"
    );
    assert!(
        body["ExceptionMessage"]
            .as_str()
            .unwrap()
            .starts_with("Tracking ID:"),
        "{body}"
    );
    // Nothing was written, and the client goes on.
    let twin: Value = client
        .get(format!("{base}/twins/dev1?{V}"))
        .header("authorization", token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(twin["properties"]["desired"]["$version"], 1);
}

#[tokio::test]
async fn an_http2_client_may_send_its_whole_oversized_body_before_the_413() {
    // curl over HTTP/2 reported "Stream error in the HTTP/2 framing layer" and no answer when
    // the hub answered and reset the stream before reading the body.
    let hub = RunningEmulator::start(EmulatorConfig {
        devices: vec!["dev1".into()],
        ..EmulatorConfig::ephemeral()
    })
    .await
    .unwrap();
    let (_, _, token) = service(&hub);
    let tcp = TcpStream::connect(hub.https_addr).await.unwrap();
    let connector =
        tokio_rustls::TlsConnector::from(Arc::new(client_tls_with_alpn(&hub, &[b"h2"])));
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let tls = connector.connect(name, tcp).await.unwrap();
    let (client, connection) = h2::client::handshake(tls).await.unwrap();
    tokio::spawn(connection);
    let mut client = client.ready().await.unwrap();
    let body = json!({"tags": {"big": "x".repeat(1024 * 1024)}}).to_string();
    let request = axum::http::Request::patch(format!(
        "https://localhost:{}/twins/dev1?{V}",
        hub.https_addr.port()
    ))
    .header("authorization", token)
    .header("content-type", "application/json")
    .header("content-length", body.len())
    .body(())
    .unwrap();
    let (response, mut stream) = client.send_request(request, false).unwrap();
    let mut rest = bytes::Bytes::from(body);
    while !rest.is_empty() {
        stream.reserve_capacity(rest.len());
        let granted = std::future::poll_fn(|cx| stream.poll_capacity(cx))
            .await
            .expect("the stream stays open while the body is sent")
            .expect("the stream stays open while the body is sent");
        let chunk = rest.split_to(granted.min(rest.len()));
        stream
            .send_data(chunk, rest.is_empty())
            .expect("the stream stays open while the body is sent");
    }
    let response = response.await.expect("an answer");
    assert_eq!(response.status().as_u16(), 413);
    assert_eq!(response.headers()["iothub-errorcode"], "MessageTooLarge");
    let mut answer = response.into_body();
    let mut text = Vec::new();
    while let Some(chunk) = answer.data().await {
        text.extend_from_slice(&chunk.unwrap());
    }
    let error: Value = serde_json::from_slice(&text).unwrap();
    assert!(
        error["Message"]
            .as_str()
            .unwrap()
            .starts_with("ErrorCode:MessageTooLarge;"),
        "{error}"
    );
    hub.shutdown().await;
}

/// Raises this process's soft descriptor limit to `wanted` if the hard limit allows: the test
/// holds both ends of thousands of sockets.
fn raise_descriptor_limit(wanted: u64) {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    if limit.current.is_some_and(|current| current < wanted) {
        let target = limit.maximum.map_or(wanted, |hard| hard.min(wanted));
        setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(target),
                maximum: limit.maximum,
            },
        )
        .expect("raising the descriptor limit");
        assert!(
            target >= wanted,
            "the hard descriptor limit ({target}) is below the {wanted} this test needs"
        );
    }
}

/// Reads until the server closes the socket (EOF or reset); `false` if it is still open after
/// `within`.
async fn closed_by_server<S: tokio::io::AsyncRead + Unpin>(
    socket: &mut S,
    within: Duration,
) -> bool {
    let mut buffer = [0u8; 512];
    let read = async {
        loop {
            match socket.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(within, read).await.is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_held_sockets_neither_block_clients_nor_stay_open() {
    const SILENT: usize = 1900;
    const PARTIAL: usize = 100;
    // Both ends of every socket live in this process, plus the runtime's and the store's.
    raise_descriptor_limit(2 * (SILENT + PARTIAL) as u64 + 512);
    let timeout = Duration::from_secs(3);
    let hub = RunningEmulator::start(EmulatorConfig {
        https_limits: HttpsLimits {
            handshake_timeout: timeout,
            first_request_timeout: timeout,
            ..HttpsLimits::default()
        },
        ..EmulatorConfig::ephemeral()
    })
    .await
    .unwrap();
    let addr = hub.https_addr;
    // Sockets that connect and send nothing (not even a TLS ClientHello)…
    let mut silent = Vec::with_capacity(SILENT);
    for _ in 0..SILENT {
        silent.push(TcpStream::connect(addr).await.unwrap());
    }
    // …and ones that finish TLS, then send half a request's headers and stop.
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client_tls(&hub)));
    let mut partial = Vec::with_capacity(PARTIAL);
    for _ in 0..PARTIAL {
        let tcp = TcpStream::connect(addr).await.unwrap();
        let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
        let mut tls = connector.connect(name, tcp).await.unwrap();
        tls.write_all(b"GET /devices?api-version=2021-04-12 HTTP/1.1\r\nHost: localhost\r\n")
            .await
            .unwrap();
        partial.push(tls);
    }
    // A normal client is served while all of them are held.
    assert_eq!(get_devices(&hub).await, 200);
    // The server closes every held socket after its timeout (generous slack for slow CI).
    let within = timeout * 5;
    let silent_closed =
        futures::future::join_all(silent.iter_mut().map(|s| closed_by_server(s, within))).await;
    let partial_closed =
        futures::future::join_all(partial.iter_mut().map(|s| closed_by_server(s, within))).await;
    assert!(
        silent_closed.iter().all(|c| *c),
        "a silent socket stayed open"
    );
    assert!(
        partial_closed.iter().all(|c| *c),
        "a half-request socket stayed open"
    );
    assert_eq!(get_devices(&hub).await, 200);
    hub.shutdown().await;
}

#[tokio::test]
async fn connections_over_the_limit_are_closed_at_once() {
    let hub = RunningEmulator::start(EmulatorConfig {
        https_limits: HttpsLimits {
            max_connections: 5,
            ..HttpsLimits::default()
        },
        ..EmulatorConfig::ephemeral()
    })
    .await
    .unwrap();
    let mut held = Vec::new();
    for _ in 0..5 {
        held.push(TcpStream::connect(hub.https_addr).await.unwrap());
    }
    // The sixth is closed long before any timeout (the defaults are 10 s and more).
    let mut over = TcpStream::connect(hub.https_addr).await.unwrap();
    assert!(closed_by_server(&mut over, Duration::from_secs(5)).await);
    drop(held);
    hub.shutdown().await;
}
