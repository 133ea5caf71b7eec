//! The MQTT device endpoint (spec/protocol.md §3): MQTT 3.1.1 over TLS on the MQTT port and
//! over WebSockets at `/$iothub/websocket` on the HTTPS port, for device and module twins.
//!
//! Packets are read and written with rumqttc's public codec (`rumqttc::mqttbytes::v4`). Each
//! connection is one task that owns its socket, so a connection's requests are processed in
//! order; desired-property changes reach it from one dispatcher task that follows the store's
//! notifications in commit order.

mod auth;
mod connection;
mod session;
mod twin_requests;
mod websocket;
pub(crate) mod x509;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

pub(crate) use auth::ClientIdentity;
pub(crate) use websocket::websocket_route;

use crate::faults::Faults;
use crate::policies::Policies;
use crate::store::Store;
use session::{LiveConnections, Outbound, Sessions};
use x509::CertificateAuthority;

/// Largest MQTT packet accepted (IoT Hub's 256 KB message limit).
pub(crate) const MAX_PACKET_BYTES: usize = 256 * 1024;
/// How long a client may take to finish the TLS handshake and send CONNECT.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Desired pushes a connection may have queued before it counts as stuck and is closed.
const OUTBOUND_QUEUE: usize = 1024;

/// Everything the MQTT endpoint shares between connections.
#[derive(Debug)]
pub struct MqttHub {
    pub(crate) store: Store,
    pub(crate) policies: Arc<Policies>,
    pub(crate) hostname: String,
    pub(crate) faults: Arc<Faults>,
    pub(crate) ca: CertificateAuthority,
    pub(crate) sessions: Sessions,
    pub(crate) live: LiveConnections,
}

impl MqttHub {
    pub(crate) fn new(
        store: Store,
        policies: Arc<Policies>,
        hostname: String,
        faults: Arc<Faults>,
        ca: CertificateAuthority,
    ) -> Arc<Self> {
        Arc::new(Self {
            store,
            policies,
            hostname,
            faults,
            ca,
            sessions: Sessions::default(),
            live: LiveConnections::default(),
        })
    }

    /// Forwards committed desired changes to the connections of their devices, in order.
    pub(crate) fn spawn_dispatcher(self: &Arc<Self>) -> JoinHandle<()> {
        let hub = self.clone();
        let mut notifications = hub.store.subscribe();
        tokio::spawn(async move {
            loop {
                let notification = match notifications.recv().await {
                    Ok(notification) => notification,
                    Err(RecvError::Lagged(missed)) => {
                        tracing::error!(
                            missed,
                            "desired notifications were dropped: the dispatcher fell behind"
                        );
                        continue;
                    }
                    Err(RecvError::Closed) => return,
                };
                let identity = ClientIdentity {
                    device_id: notification.device_id,
                    module_id: notification.module_id,
                };
                let Some(connection) = hub.live.get(&identity) else {
                    continue;
                };
                let outbound = Outbound::Desired {
                    topic: iothub_twin::topics::desired_patch(notification.change.version),
                    payload: notification.change.payload().to_string().into(),
                };
                if connection.outbound.try_send(outbound).is_err() {
                    tracing::warn!(device = %identity.device_id, "closing a connection that does not keep up with desired pushes");
                    connection.stop.notify_one();
                }
            }
        })
    }

    /// Accepts MQTT over TLS on `listener` until the task is aborted.
    pub(crate) async fn serve_tls(self: Arc<Self>, listener: TcpListener, acceptor: TlsAcceptor) {
        loop {
            let (socket, peer) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!("MQTT accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let hub = self.clone();
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let _ = socket.set_nodelay(true);
                let tls = match tokio::time::timeout(CONNECT_TIMEOUT, acceptor.accept(socket)).await
                {
                    Ok(Ok(tls)) => tls,
                    Ok(Err(e)) => return tracing::debug!(%peer, "MQTT TLS handshake failed: {e}"),
                    Err(_) => return tracing::debug!(%peer, "MQTT TLS handshake timed out"),
                };
                let certificates = tls.get_ref().1.peer_certificates().map(|c| c.to_vec());
                connection::serve(hub, tls, "mqtt", certificates).await;
            });
        }
    }

    /// Serves one connection on an already-secured stream (the fuzz targets' entry point).
    #[cfg(feature = "fuzzing")]
    pub(crate) async fn serve_stream<S>(self: Arc<Self>, stream: S)
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send,
    {
        connection::serve(self, stream, "mqtt", None).await;
    }

    /// The open connections, for the control API.
    pub(crate) fn connections_json(&self) -> Value {
        let list: Vec<Value> = self
            .live
            .all()
            .into_iter()
            .map(|c| {
                let subscriptions: Vec<Value> = c
                    .session
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .subscriptions
                    .iter()
                    .map(|(filter, qos)| json!({"filter": filter, "qos": *qos as u8}))
                    .collect();
                json!({
                    "deviceId": c.identity.device_id,
                    "moduleId": c.identity.module_id,
                    "transport": c.transport,
                    "connectedAt": c.connected_at,
                    "subscriptions": subscriptions,
                })
            })
            .collect();
        Value::Array(list)
    }

    /// Closes the connections of a device (or one module); how many were closed.
    pub(crate) fn disconnect(&self, device_id: &str, module_id: Option<&str>) -> usize {
        self.live.stop_device(device_id, module_id)
    }

    /// A device (or one module) was deleted: its connections close and its sessions go.
    pub(crate) fn forget(&self, device_id: &str, module_id: Option<&str>) {
        self.live.stop_device(device_id, module_id);
        self.sessions.forget(device_id, module_id);
    }
}
