//! A raw MQTT 3.1.1 client over TLS or WebSockets, built on rumqttc's codec, so tests control
//! every byte: what a device sends and exactly what the hub answers.

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use futures::{SinkExt as _, StreamExt as _};
use iothub_twin::auth::{SasToken, SharedAccessKey, unix_time_now};
use iothub_twin::topics::{DESIRED_PATCHES, TWIN_RESPONSES};
use rumqttc::mqttbytes::QoS;
use rumqttc::mqttbytes::v4::{
    Connect, Login, Packet, PubAck, Publish, Subscribe, SubscribeFilter, SubscribeReasonCode,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

const MAX: usize = 1024 * 1024;

/// How the client reaches the hub.
#[allow(missing_debug_implementations)] // the streams have no Debug
pub enum Link {
    /// MQTT over TLS.
    Tls(Box<TlsStream<TcpStream>>),
    /// MQTT over WebSockets over TLS.
    Ws(Box<WebSocketStream<TlsStream<TcpStream>>>),
}

/// One raw MQTT connection: packets in and out, nothing else.
#[allow(missing_debug_implementations)] // the streams have no Debug
pub struct RawClient {
    link: Link,
    buffer: BytesMut,
}

/// TLS to `port` trusting `ca_pem`, optionally presenting a client certificate.
pub async fn tls(
    port: u16,
    ca_pem: &str,
    client_cert: Option<(&str, &str)>,
) -> TlsStream<TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots);
    let config = match client_cert {
        Some((cert, key)) => builder
            .with_client_auth_cert(
                CertificateDer::pem_slice_iter(cert.as_bytes())
                    .map(Result::unwrap)
                    .collect(),
                PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap(),
            )
            .unwrap(),
        None => builder.with_no_client_auth(),
    };
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap()
}

/// A CONNECT as the official SDKs send it: clean session 0, username with api-version.
pub fn connect_packet(client_id: &str, password: Option<String>, clean: bool) -> Connect {
    let mut connect = Connect::new(client_id);
    connect.keep_alive = 60;
    connect.clean_session = clean;
    connect.login = Some(Login::new(
        format!("localhost/{client_id}/?api-version=2021-04-12&DeviceClientType=iothub-twin-tests"),
        password.unwrap_or_default(),
    ));
    connect
}

/// A device (or module, with `resource` ending in `/modules/m`) SAS token valid for `ttl` s.
pub fn sas(resource: &str, key_base64: &str, ttl: i64) -> String {
    let key = SharedAccessKey::from_base64(key_base64).unwrap();
    let expiry = (unix_time_now() as i64 + ttl) as u64;
    SasToken::generate(resource, &key, None, expiry)
        .expose_secret()
        .to_owned()
}

impl RawClient {
    /// A client over an open link.
    pub fn over(link: Link) -> Self {
        Self {
            link,
            buffer: BytesMut::new(),
        }
    }

    /// A client over TLS to `port` on localhost, trusting `ca_pem`.
    pub async fn tls(port: u16, ca_pem: &str) -> Self {
        Self::over(Link::Tls(Box::new(tls(port, ca_pem, None).await)))
    }

    /// WebSocket upgrade at `/$iothub/websocket` asking for `subprotocol`; returns the
    /// subprotocol the server echoed.
    pub async fn websocket(port: u16, ca_pem: &str, subprotocol: &str) -> (Self, Option<String>) {
        let stream = tls(port, ca_pem, None).await;
        let mut request =
            format!("wss://localhost:{port}/$iothub/websocket?iothub-no-client-cert=true")
                .into_client_request()
                .unwrap();
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", subprotocol.parse().unwrap());
        let (socket, response) = tokio_tungstenite::client_async(request, stream)
            .await
            .unwrap();
        let echoed = response
            .headers()
            .get("Sec-WebSocket-Protocol")
            .map(|v| v.to_str().unwrap().to_owned());
        (Self::over(Link::Ws(Box::new(socket))), echoed)
    }

    /// Sends one packet.
    pub async fn send(&mut self, packet: Packet) {
        let mut bytes = BytesMut::new();
        packet.write(&mut bytes, MAX).unwrap();
        self.send_bytes(&bytes).await;
    }

    /// Sends raw bytes (e.g. a malformed packet).
    pub async fn send_bytes(&mut self, bytes: &[u8]) {
        let result = match &mut self.link {
            Link::Tls(stream) => stream
                .write_all(bytes)
                .await
                .and(stream.flush().await)
                .map_err(|e| e.to_string()),
            Link::Ws(socket) => socket
                .send(Message::Binary(bytes.to_vec().into()))
                .await
                .map_err(|e| e.to_string()),
        };
        // Writing to a connection the hub just closed may fail; reads tell the story.
        let _ = result;
    }

    /// The next packet, `None` when the hub closed the connection, panics after `within`.
    pub async fn recv_within(&mut self, within: Duration) -> Option<Packet> {
        tokio::time::timeout(within, self.recv_packet())
            .await
            .expect("no packet and no close in time")
    }

    /// The next packet, or `None` when the hub closed the connection.
    pub async fn recv(&mut self) -> Option<Packet> {
        self.recv_within(Duration::from_secs(10)).await
    }

    /// Whether nothing arrives (and the connection stays open) for `quiet`.
    pub async fn silent_for(&mut self, quiet: Duration) -> bool {
        tokio::time::timeout(quiet, self.recv_packet())
            .await
            .is_err()
    }

    async fn recv_packet(&mut self) -> Option<Packet> {
        loop {
            match Packet::read(&mut self.buffer, MAX) {
                Ok(packet) => return Some(packet),
                Err(rumqttc::mqttbytes::Error::InsufficientBytes(_)) => {}
                Err(e) => panic!("the hub sent a malformed packet: {e}"),
            }
            match &mut self.link {
                Link::Tls(stream) => match stream.read_buf(&mut self.buffer).await {
                    Ok(0) | Err(_) => return None,
                    Ok(_) => {}
                },
                Link::Ws(socket) => match socket.next().await {
                    Some(Ok(Message::Binary(data))) => self.buffer.extend_from_slice(&data),
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                    _ => return None,
                },
            }
        }
    }

    /// CONNECT and the CONNACK's (session present, return code).
    pub async fn connect(
        &mut self,
        connect: Connect,
    ) -> (bool, rumqttc::mqttbytes::v4::ConnectReturnCode) {
        self.send(Packet::Connect(connect)).await;
        match self.recv().await {
            Some(Packet::ConnAck(ack)) => (ack.session_present, ack.code),
            other => panic!("expected CONNACK, got {other:?}"),
        }
    }

    /// Subscribes to the twin responses and desired patches (QoS 1, packet id 1) and checks
    /// the hub granted both, as a device does right after connecting.
    pub async fn subscribe_twin_topics(&mut self) {
        let granted = self
            .subscribe(
                &[
                    (TWIN_RESPONSES, QoS::AtLeastOnce),
                    (DESIRED_PATCHES, QoS::AtLeastOnce),
                ],
                1,
            )
            .await;
        assert_eq!(
            granted,
            vec![SubscribeReasonCode::Success(QoS::AtLeastOnce); 2]
        );
    }

    /// Subscribes to `filters`; the SUBACK's return codes.
    pub async fn subscribe(
        &mut self,
        filters: &[(&str, QoS)],
        pkid: u16,
    ) -> Vec<rumqttc::mqttbytes::v4::SubscribeReasonCode> {
        let filters = filters
            .iter()
            .map(|(f, q)| SubscribeFilter::new((*f).to_owned(), *q))
            .collect();
        self.send(Packet::Subscribe(Subscribe { pkid, filters }))
            .await;
        match self.recv().await {
            Some(Packet::SubAck(ack)) if ack.pkid == pkid => ack.return_codes,
            other => panic!("expected SUBACK, got {other:?}"),
        }
    }

    /// Publishes at QoS 1 (PUBACK expected first) or QoS 0.
    pub async fn publish(&mut self, topic: &str, payload: &[u8], qos: QoS, pkid: u16) {
        let mut publish = Publish::new(topic, qos, payload.to_vec());
        publish.pkid = if qos == QoS::AtMostOnce { 0 } else { pkid };
        self.send(Packet::Publish(publish)).await;
        if qos == QoS::AtLeastOnce {
            match self.recv().await {
                Some(Packet::PubAck(ack)) => assert_eq!(ack.pkid, pkid),
                other => panic!("expected PUBACK, got {other:?}"),
            }
        }
    }

    /// The next PUBLISH from the hub (acknowledged when QoS 1).
    pub async fn next_publish(&mut self) -> Publish {
        match self.recv().await {
            Some(Packet::Publish(publish)) => {
                if publish.qos == QoS::AtLeastOnce {
                    self.send(Packet::PubAck(PubAck::new(publish.pkid))).await;
                }
                publish
            }
            other => panic!("expected PUBLISH, got {other:?}"),
        }
    }
}
