//! One MQTT connection: CONNECT, then packets in order until the client leaves, misbehaves,
//! goes quiet for 1.5 × its keep-alive, its SAS token expires, or a newer connection of the
//! same identity (or the control API) stops it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::BytesMut;
use iothub_twin::topics::{DESIRED_PATCHES, TWIN_RESPONSES, parse_twin_request};
use rumqttc::mqttbytes::v4::{
    ConnAck, ConnectReturnCode, Packet, PubAck, SubAck, SubscribeReasonCode, UnsubAck,
};
use rumqttc::mqttbytes::{self, QoS};
use rustls_pki_types::CertificateDer;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::sync::{Notify, mpsc};
use tokio::time::{Instant, sleep_until};

use super::auth::{self, Admitted};
use super::{CONNECT_TIMEOUT, MAX_PACKET_BYTES, OUTBOUND_QUEUE, twin_requests};
use crate::clock;
use crate::hub::Hub;
use crate::hub::sessions::{LiveConnection, Outbound, Session};
use crate::registry::IdentityKey;

/// Reads and writes MQTT packets on a byte stream.
struct Wire<S> {
    reader: ReadHalf<S>,
    writer: WriteHalf<S>,
    incoming: BytesMut,
    outgoing: BytesMut,
}

#[derive(Debug)]
enum WireError {
    Closed,
    Malformed(mqttbytes::Error),
}

impl<S: AsyncRead + AsyncWrite> Wire<S> {
    fn new(stream: S) -> Self {
        let (reader, writer) = tokio::io::split(stream);
        Self {
            reader,
            writer,
            incoming: BytesMut::with_capacity(256),
            outgoing: BytesMut::new(),
        }
    }

    /// The next packet. Cancel-safe: bytes read so far stay in the buffer.
    async fn read(&mut self) -> Result<Packet, WireError> {
        loop {
            match Packet::read(&mut self.incoming, MAX_PACKET_BYTES) {
                Ok(packet) => {
                    // Give back the memory of a large packet once it is consumed.
                    if self.incoming.is_empty() && self.incoming.capacity() > 64 * 1024 {
                        self.incoming = BytesMut::with_capacity(256);
                    }
                    return Ok(packet);
                }
                Err(mqttbytes::Error::InsufficientBytes(_)) => {}
                Err(e) => return Err(WireError::Malformed(e)),
            }
            match self.reader.read_buf(&mut self.incoming).await {
                Ok(0) | Err(_) => return Err(WireError::Closed),
                Ok(_) => {}
            }
        }
    }

    /// The first packet, which must be CONNECT: anything else is refused at its first byte
    /// rather than after waiting for the length it claims. The protocol level and the reserved
    /// flag are checked from the raw header before the packet is decoded (MQTT 3.1.1 §3.1.2).
    async fn read_connect(&mut self) -> ConnectStart {
        loop {
            match connect_header(&self.incoming) {
                HeaderCheck::Incomplete => {}
                HeaderCheck::Refuse => return ConnectStart::Close,
                HeaderCheck::WrongLevel => return ConnectStart::WrongLevel,
                HeaderCheck::Ready => break,
            }
            match self.reader.read_buf(&mut self.incoming).await {
                Ok(0) | Err(_) => return ConnectStart::Close,
                Ok(_) => {}
            }
        }
        match self.read().await {
            Ok(Packet::Connect(connect)) => ConnectStart::Connect(connect),
            _ => ConnectStart::Close,
        }
    }

    async fn write(&mut self, packet: Packet) -> std::io::Result<()> {
        packet
            .write(&mut self.outgoing, MAX_PACKET_BYTES)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))?;
        self.writer.write_all(&self.outgoing).await?;
        self.outgoing.clear();
        self.writer.flush().await
    }
}

/// How a connection's first packet went.
enum ConnectStart {
    /// A CONNECT to admit.
    Connect(rumqttc::mqttbytes::v4::Connect),
    /// A CONNECT of another protocol level than 4: CONNACK 0x01, then close.
    WrongLevel,
    /// Not MQTT, not CONNECT first, or malformed: close without an answer.
    Close,
}

enum HeaderCheck {
    Incomplete,
    Ready,
    WrongLevel,
    Refuse,
}

/// Judges the start of a CONNECT from its raw bytes: fixed header, protocol name, level and
/// connect flags. rumqttc's decoder accepts level 5 and ignores the reserved flag, so these
/// MQTT 3.1.1 rules (§3.1.2.2: level 4 or CONNACK 0x01; §3.1.2.3: reserved flag 0 or close)
/// are checked here.
fn connect_header(bytes: &[u8]) -> HeaderCheck {
    let Some(&first) = bytes.first() else {
        return HeaderCheck::Incomplete;
    };
    if first != 0x10 {
        return HeaderCheck::Refuse;
    }
    // The remaining length: 1 to 4 bytes, 7 bits each, the high bit meaning "more".
    let mut header_len = 1;
    loop {
        let Some(&byte) = bytes.get(header_len) else {
            return HeaderCheck::Incomplete;
        };
        header_len += 1;
        if byte & 0x80 == 0 {
            break;
        }
        if header_len > 4 {
            return HeaderCheck::Refuse;
        }
    }
    // Protocol name (u16 length + "MQTT"), level, flags.
    let Some(variable) = bytes.get(header_len..header_len + 8) else {
        return HeaderCheck::Incomplete;
    };
    if variable[..6] != *b"\x00\x04MQTT" {
        return HeaderCheck::Refuse;
    }
    if variable[6] != 4 {
        return HeaderCheck::WrongLevel;
    }
    if variable[7] & 0x01 != 0 {
        return HeaderCheck::Refuse;
    }
    HeaderCheck::Ready
}

/// Serves one connection to the end.
pub(super) async fn serve<S>(
    hub: Arc<Hub>,
    stream: S,
    transport: &'static str,
    peer_certificates: Option<Vec<CertificateDer<'static>>>,
) where
    S: AsyncRead + AsyncWrite + Send,
{
    let mut wire = Wire::new(stream);
    let connect = match tokio::time::timeout(CONNECT_TIMEOUT, wire.read_connect()).await {
        Ok(ConnectStart::Connect(connect)) => connect,
        Ok(ConnectStart::WrongLevel) => {
            tracing::info!("CONNECT of an unsupported protocol level refused");
            let code = ConnectReturnCode::RefusedProtocolVersion;
            let _ = wire.write(Packet::ConnAck(ConnAck::new(code, false))).await;
            return;
        }
        _ => return, // not MQTT, not CONNECT first, malformed, or silent: just close
    };
    let admitted = if hub
        .faults()
        .refuse_connect(connect.client_id.split('/').next().unwrap_or_default())
    {
        Err(ConnectReturnCode::ServiceUnavailable)
    } else {
        auth::admit(&connect, &hub, peer_certificates.as_deref())
    };
    let admitted = match admitted {
        Ok(admitted) => admitted,
        Err(code) => {
            tracing::info!(client_id = %connect.client_id, ?code, "CONNECT refused");
            let _ = wire.write(Packet::ConnAck(ConnAck::new(code, false))).await;
            return;
        }
    };

    let (session, session_present) = hub.sessions.open(&connect.client_id, connect.clean_session);
    let (outbound_tx, outbound) = mpsc::channel(OUTBOUND_QUEUE);
    let stop = Arc::new(Notify::new());
    let live = LiveConnection {
        id: hub.live.next_id(),
        identity: admitted.identity.clone(),
        transport,
        connected_at: clock::now_iso(),
        outbound: outbound_tx,
        stop: stop.clone(),
        session: session.clone(),
    };
    let id = live.id;
    hub.live.register(live);
    if wire
        .write(Packet::ConnAck(ConnAck::new(
            ConnectReturnCode::Success,
            session_present,
        )))
        .await
        .is_err()
    {
        hub.live.unregister(&admitted.identity, id);
        return;
    }
    hub.set_connected(&admitted.identity, true, admitted.model_id.as_deref())
        .await;
    tracing::info!(client_id = %connect.client_id, transport, session_present, "device connected");

    let mut connection = Connection {
        hub: hub.clone(),
        wire,
        identity: admitted.identity.clone(),
        session: session.clone(),
        client_id: connect.client_id.clone(),
    };
    let reason = connection
        .run(
            &admitted,
            connect.keep_alive,
            outbound,
            &stop,
            session_present,
        )
        .await;
    tracing::info!(client_id = %connect.client_id, reason, "device disconnected");

    if connect.clean_session {
        hub.sessions.close_clean(&connect.client_id, &session);
    }
    if hub.live.unregister(&admitted.identity, id) {
        hub.set_connected(&admitted.identity, false, None).await;
    }
}

struct Connection<S> {
    hub: Arc<Hub>,
    wire: Wire<S>,
    identity: IdentityKey,
    session: Arc<Mutex<Session>>,
    client_id: String,
}

impl<S: AsyncRead + AsyncWrite> Connection<S> {
    async fn run(
        &mut self,
        admitted: &Admitted,
        keep_alive: u16,
        mut outbound: mpsc::Receiver<Outbound>,
        stop: &Notify,
        resumed: bool,
    ) -> &'static str {
        if resumed && self.redeliver().await.is_err() {
            return "write failed";
        }
        // The hub allows 1.5 × the keep-alive without a packet (spec §3.1).
        let allowance =
            (keep_alive > 0).then(|| Duration::from_millis(u64::from(keep_alive) * 1500));
        let token_expiry = admitted.expires_at.map(|se| {
            let left = se.saturating_sub(iothub_twin::auth::unix_time_now());
            Instant::now() + Duration::from_secs(left)
        });
        let mut quiet_deadline = allowance.map(|a| Instant::now() + a);
        loop {
            tokio::select! {
                biased;
                _ = stop.notified() => return "stopped (new connection of the same identity, or the control API)",
                _ = sleep_until_or_never(token_expiry) => return "SAS token expired",
                _ = sleep_until_or_never(quiet_deadline) => return "keep-alive expired",
                Some(message) = outbound.recv() => {
                    if self.deliver(message).await.is_err() {
                        return "write failed";
                    }
                }
                packet = self.wire.read() => {
                    let packet = match packet {
                        Ok(packet) => packet,
                        Err(WireError::Closed) => return "connection closed",
                        Err(WireError::Malformed(e)) => {
                            tracing::info!(client_id = %self.client_id, "malformed MQTT packet: {e}");
                            return "malformed packet";
                        }
                    };
                    quiet_deadline = allowance.map(|a| Instant::now() + a);
                    match self.handle(packet).await {
                        Ok(Flow::Continue) => {}
                        Ok(Flow::Close(reason)) => return reason,
                        Err(_) => return "write failed",
                    }
                }
            }
        }
    }

    async fn handle(&mut self, packet: Packet) -> std::io::Result<Flow> {
        match packet {
            Packet::Publish(publish) => {
                if publish.qos == QoS::ExactlyOnce {
                    return Ok(Flow::Close("QoS 2 publish (IoT Hub supports QoS 0 and 1)"));
                }
                let own_telemetry = format!("devices/{}/messages/events/", self.identity.device_id);
                if publish.topic.starts_with("$iothub/twin/") {
                    let Ok(request) = parse_twin_request(&publish.topic) else {
                        return Ok(Flow::Close("unsupported or malformed twin topic"));
                    };
                    if publish.qos == QoS::AtLeastOnce {
                        self.wire
                            .write(Packet::PubAck(PubAck::new(publish.pkid)))
                            .await?;
                    }
                    let response =
                        twin_requests::handle(&self.hub, &self.identity, request, &publish.payload)
                            .await;
                    if let Some((topic, payload)) = response {
                        // Responses go to the requester even before it subscribed (the Python
                        // SDK publishes a GET before its SUBSCRIBE), at the granted QoS if any.
                        let qos = self
                            .lock_session()
                            .granted(&topic)
                            .unwrap_or(QoS::AtMostOnce);
                        self.publish(topic, payload.into(), qos).await?;
                    }
                } else if publish.topic.starts_with(&own_telemetry) {
                    // Telemetry is outside this emulator's scope: acknowledged and dropped.
                    if publish.qos == QoS::AtLeastOnce {
                        self.wire
                            .write(Packet::PubAck(PubAck::new(publish.pkid)))
                            .await?;
                    }
                } else {
                    // IoT Hub only serves documented topics (spec §3.10): close, no answer.
                    return Ok(Flow::Close("publish to an unsupported topic"));
                }
            }
            Packet::Subscribe(subscribe) => {
                let codes = subscribe
                    .filters
                    .iter()
                    .map(|filter| {
                        if filter.path == TWIN_RESPONSES || filter.path == DESIRED_PATCHES {
                            let qos = if filter.qos == QoS::AtMostOnce {
                                QoS::AtMostOnce
                            } else {
                                QoS::AtLeastOnce
                            };
                            self.lock_session().subscribe(&filter.path, qos);
                            SubscribeReasonCode::Success(qos)
                        } else {
                            SubscribeReasonCode::Failure
                        }
                    })
                    .collect();
                self.wire
                    .write(Packet::SubAck(SubAck::new(subscribe.pkid, codes)))
                    .await?;
            }
            Packet::Unsubscribe(unsubscribe) => {
                {
                    let mut session = self.lock_session();
                    session
                        .subscriptions
                        .retain(|(f, _)| !unsubscribe.topics.contains(f));
                }
                self.wire
                    .write(Packet::UnsubAck(UnsubAck::new(unsubscribe.pkid)))
                    .await?;
            }
            Packet::PubAck(ack) => self.lock_session().acknowledged(ack.pkid),
            Packet::PingReq => self.wire.write(Packet::PingResp).await?,
            Packet::Disconnect => return Ok(Flow::Close("client disconnected")),
            Packet::Connect(_) => return Ok(Flow::Close("second CONNECT on one connection")),
            _ => {
                return Ok(Flow::Close(
                    "unexpected packet (QoS 2 flow or server-only packet)",
                ));
            }
        }
        Ok(Flow::Continue)
    }

    async fn deliver(&mut self, message: Outbound) -> std::io::Result<()> {
        let Outbound::Desired { topic, payload } = message;
        let granted = self.lock_session().granted(&topic);
        match granted {
            Some(qos) => self.publish(topic, payload, qos).await,
            None => Ok(()), // not subscribed: desired pushes are never queued
        }
    }

    async fn publish(
        &mut self,
        topic: String,
        payload: bytes::Bytes,
        qos: QoS,
    ) -> std::io::Result<()> {
        let publish = self.lock_session().outgoing(topic, payload, qos);
        self.wire.write(Packet::Publish(publish)).await
    }

    /// On a resumed session, QoS 1 deliveries not yet acknowledged go out again, marked DUP.
    async fn redeliver(&mut self) -> std::io::Result<()> {
        let pending: Vec<_> = self.lock_session().inflight.iter().cloned().collect();
        for mut publish in pending {
            publish.dup = true;
            self.wire.write(Packet::Publish(publish)).await?;
        }
        Ok(())
    }

    fn lock_session(&self) -> std::sync::MutexGuard<'_, Session> {
        self.session.lock().unwrap_or_else(|e| e.into_inner())
    }
}

enum Flow {
    Continue,
    Close(&'static str),
}

async fn sleep_until_or_never(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests;
