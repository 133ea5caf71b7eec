//! The MQTT device endpoint (spec/protocol.md §3): MQTT 3.1.1 over TLS on the MQTT port and
//! over WebSockets at `/$iothub/websocket` on the HTTPS port (`rest/websocket.rs` upgrades and
//! hands the stream to [`serve_stream`]), for device and module twins.
//!
//! Packets are read and written with rumqttc's public codec (`rumqttc::mqttbytes::v4`). Each
//! connection is one task that owns its socket, so a connection's requests are processed in
//! order; the store's events reach connections from one dispatcher task, in commit order:
//! desired changes are pushed, disabled and deleted identities are disconnected.

mod auth;
mod connection;
mod twin_requests;

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::hub::Hub;
use crate::hub::sessions::Outbound;
use crate::store::StoreEvent;

/// Largest MQTT packet accepted (IoT Hub's 256 KB message limit).
pub(crate) const MAX_PACKET_BYTES: usize = 256 * 1024;
/// How long a client may take to finish the TLS handshake and send CONNECT.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Desired pushes a connection may have queued before it counts as stuck and is closed.
const OUTBOUND_QUEUE: usize = 1024;

/// Follows the store's events: desired changes go to the connections of their identities, in
/// order; a disabled identity's connections close; a deleted one's close and its sessions go.
pub(crate) fn spawn_dispatcher(hub: Arc<Hub>) -> JoinHandle<()> {
    let mut events = hub.subscribe();
    tokio::spawn(async move {
        loop {
            let event = match events.recv().await {
                Ok(event) => event,
                Err(RecvError::Lagged(missed)) => {
                    tracing::error!(
                        missed,
                        "store events were dropped: the dispatcher fell behind"
                    );
                    continue;
                }
                Err(RecvError::Closed) => return,
            };
            dispatch(&hub, event);
        }
    })
}

fn dispatch(hub: &Hub, event: StoreEvent) {
    match event {
        StoreEvent::TwinChanged { key, change } => {
            let Some(change) = change.desired else {
                return;
            };
            let Some(connection) = hub.live.get(&key) else {
                return;
            };
            let outbound = Outbound::Desired {
                topic: iothub_twin::topics::desired_patch(change.version),
                payload: change.payload().to_string().into(),
            };
            if connection.outbound.try_send(outbound).is_err() {
                tracing::warn!(device = %key.device_id, "closing a connection that does not keep up with desired pushes");
                connection.stop.notify_one();
            }
        }
        StoreEvent::IdentityCreated { .. } => {}
        StoreEvent::IdentityDisabled { key } => {
            hub.live.stop_device(&key.device_id, key.module());
        }
        StoreEvent::IdentityDeleted { key, .. } => {
            // Sessions first: a client that sees its connection close and reconnects must not
            // find the deleted identity's session.
            hub.sessions.forget(&key.device_id, key.module());
            hub.live.stop_device(&key.device_id, key.module());
        }
    }
}

/// Accepts MQTT over TLS on `listener` until the task is aborted.
pub(crate) async fn serve_tls(hub: Arc<Hub>, listener: TcpListener, acceptor: TlsAcceptor) {
    loop {
        let (socket, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!("MQTT accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let hub = hub.clone();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let _ = socket.set_nodelay(true);
            let tls = match tokio::time::timeout(CONNECT_TIMEOUT, acceptor.accept(socket)).await {
                Ok(Ok(tls)) => tls,
                Ok(Err(e)) => return tracing::debug!(%peer, "MQTT TLS handshake failed: {e}"),
                Err(_) => return tracing::debug!(%peer, "MQTT TLS handshake timed out"),
            };
            let certificates = tls.get_ref().1.peer_certificates().map(|c| c.to_vec());
            connection::serve(hub, tls, "mqtt", certificates).await;
        });
    }
}

/// Serves one connection on an already-secured stream without a client certificate (MQTT over
/// WebSockets, and the fuzz targets).
pub(crate) async fn serve_stream<S>(hub: Arc<Hub>, stream: S, transport: &'static str)
where
    S: AsyncRead + AsyncWrite + Send,
{
    connection::serve(hub, stream, transport, None).await;
}
