//! The load generator: a lean MQTT 3.1.1 client over TLS built on rumqttc's codec, one per
//! connection, one request in flight at a time. It does no more work than the protocol needs
//! (no event loop, no channels between tasks), so the same generator drives the emulator and
//! mosquitto and stays cheap next to either server.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use bytes::{Bytes, BytesMut};
use iothub_twin::auth::{DeviceAuth, DeviceConnectionString, SasToken, unix_time_now};
use iothub_twin::topics::{parse_twin_response, reported_patch};
use rumqttc::mqttbytes::QoS;
use rumqttc::mqttbytes::v4::{
    Connect, ConnectReturnCode, Login, Packet, Publish, Subscribe, SubscribeFilter,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

const MAX_PACKET: usize = 256 * 1024;

/// A rustls client config (ring) trusting only `ca_pem`; share one across connections.
pub fn tls_config(ca_pem: &str) -> anyhow::Result<Arc<rustls::ClientConfig>> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert?)?;
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The CONNECT a device sends to IoT Hub for `connection_string` (SAS made from its key,
/// valid for an hour; clean session 0 as the official SDKs do).
pub fn device_connect(connection_string: &str) -> anyhow::Result<Connect> {
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
    let mut connect = Connect::new(client_id.clone());
    connect.keep_alive = 60;
    connect.clean_session = false;
    connect.login = Some(Login::new(
        format!(
            "{}/{client_id}/?api-version=2021-04-12&DeviceClientType=iothub-twin-bench",
            cs.host_name
        ),
        token.expose_secret(),
    ));
    Ok(connect)
}

/// A plain CONNECT (no credentials, clean session) for a generic broker.
pub fn plain_connect(client_id: &str) -> Connect {
    let mut connect = Connect::new(client_id);
    connect.keep_alive = 60;
    connect.clean_session = true;
    connect
}

/// What one round trip is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoundTrip {
    /// Publish a reported patch at QoS 0 to `$iothub/twin/PATCH/properties/reported/?$rid=N`,
    /// wait for `$iothub/twin/res/204/?$rid=N&$version=…` (subscription at QoS 0).
    TwinPatch,
    /// Publish the same topic and payload at QoS 1, wait for the PUBACK (raw MQTT baseline).
    Qos1Publish,
}

/// The JSON patch of round trip `n` (the same bytes go to both servers).
pub fn patch_payload(n: u64) -> Bytes {
    Bytes::from(format!(
        r#"{{"bench":{{"n":{n},"mode":"steady","ok":true}}}}"#
    ))
}

/// One MQTT connection.
#[derive(Debug)]
pub struct RawClient {
    stream: TlsStream<TcpStream>,
    incoming: BytesMut,
    outgoing: BytesMut,
    next_rid: u64,
    next_pkid: u16,
}

impl RawClient {
    /// Opens TLS to 127.0.0.1:`port` (server name `localhost`), sends `connect`, checks the
    /// CONNACK.
    pub async fn connect(
        port: u16,
        tls: Arc<rustls::ClientConfig>,
        connect: Connect,
    ) -> anyhow::Result<Self> {
        let tcp = TcpStream::connect(("127.0.0.1", port)).await?;
        tcp.set_nodelay(true)?;
        let stream = tokio_rustls::TlsConnector::from(tls)
            .connect(ServerName::try_from("localhost")?, tcp)
            .await?;
        let mut client = Self {
            stream,
            incoming: BytesMut::with_capacity(512),
            outgoing: BytesMut::with_capacity(512),
            next_rid: 1,
            next_pkid: 0,
        };
        client.send(Packet::Connect(connect)).await?;
        match client.recv().await? {
            Packet::ConnAck(ack) if ack.code == ConnectReturnCode::Success => Ok(client),
            other => bail!("CONNECT refused: {other:?}"),
        }
    }

    /// SUBSCRIBEs to `filters` and waits for the SUBACK.
    pub async fn subscribe(&mut self, filters: &[(&str, QoS)]) -> anyhow::Result<()> {
        let pkid = self.pkid();
        let filters = filters
            .iter()
            .map(|(f, q)| SubscribeFilter::new((*f).to_owned(), *q))
            .collect();
        self.send(Packet::Subscribe(Subscribe { pkid, filters }))
            .await?;
        match self.recv().await? {
            Packet::SubAck(ack) if ack.pkid == pkid => Ok(()),
            other => bail!("expected SUBACK, got {other:?}"),
        }
    }

    /// One round trip of `kind`; returns its latency.
    pub async fn round_trip(&mut self, kind: RoundTrip) -> anyhow::Result<Duration> {
        let rid = self.next_rid;
        self.next_rid += 1;
        let topic = reported_patch(&rid.to_string(), None);
        let started = Instant::now();
        match kind {
            RoundTrip::TwinPatch => {
                let publish = Publish::new(topic, QoS::AtMostOnce, patch_payload(rid));
                self.send(Packet::Publish(publish)).await?;
                loop {
                    match self.recv().await? {
                        Packet::Publish(response) => {
                            let parsed = parse_twin_response(&response.topic)
                                .with_context(|| format!("not a response: {}", response.topic))?;
                            if parsed.rid != rid.to_string() {
                                bail!("response to $rid={} while waiting for {rid}", parsed.rid);
                            }
                            if parsed.status != 204 {
                                bail!("status {}: {:?}", parsed.status, response.payload);
                            }
                            break;
                        }
                        Packet::PingResp => {}
                        other => bail!("expected the twin response, got {other:?}"),
                    }
                }
            }
            RoundTrip::Qos1Publish => {
                let pkid = self.pkid();
                let mut publish = Publish::new(topic, QoS::AtLeastOnce, patch_payload(rid));
                publish.pkid = pkid;
                self.send(Packet::Publish(publish)).await?;
                loop {
                    match self.recv().await? {
                        Packet::PubAck(ack) if ack.pkid == pkid => break,
                        Packet::PingResp => {}
                        other => bail!("expected PUBACK {pkid}, got {other:?}"),
                    }
                }
            }
        }
        Ok(started.elapsed())
    }

    /// Sends DISCONNECT and closes.
    pub async fn disconnect(mut self) -> anyhow::Result<()> {
        self.send(Packet::Disconnect).await?;
        self.stream.shutdown().await?;
        Ok(())
    }

    fn pkid(&mut self) -> u16 {
        self.next_pkid = self.next_pkid.wrapping_add(1).max(1);
        self.next_pkid
    }

    async fn send(&mut self, packet: Packet) -> anyhow::Result<()> {
        self.outgoing.clear();
        packet.write(&mut self.outgoing, MAX_PACKET)?;
        self.stream.write_all(&self.outgoing).await?;
        self.stream.flush().await?;
        Ok(())
    }

    async fn recv(&mut self) -> anyhow::Result<Packet> {
        loop {
            match Packet::read(&mut self.incoming, MAX_PACKET) {
                Ok(packet) => return Ok(packet),
                Err(rumqttc::mqttbytes::Error::InsufficientBytes(_)) => {}
                Err(e) => bail!("malformed packet from the server: {e}"),
            }
            if self.stream.read_buf(&mut self.incoming).await? == 0 {
                bail!("the server closed the connection");
            }
        }
    }
}
