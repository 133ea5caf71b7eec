//! MQTT over WebSockets: `wss://{host}:{https_port}/$iothub/websocket` (spec §3.1), on the same
//! port as the REST API. The subprotocol is matched case-insensitively and echoed as the client
//! spelled it (the official Node SDK aborts without it); unknown query parameters are ignored.
//! Binary frames carry the same MQTT bytes as TCP; a byte pipe bridges them to the connection.

use std::sync::Arc;

use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::{IntoResponse as _, Response};
use futures::{SinkExt as _, StreamExt as _};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::error::HubError;
use crate::hub::Hub;
use crate::mqtt::{self, MAX_PACKET_BYTES};

/// The upgrade handler.
pub(super) async fn upgrade(
    State(hub): State<Arc<Hub>>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => {
            return HubError::invalid(format!(
                "expected a WebSocket upgrade for MQTT: {rejection}"
            ))
            .into_response();
        }
    };
    let protocol = upgrade
        .requested_protocols()
        .filter_map(|p| p.to_str().ok())
        .find(|p| p.eq_ignore_ascii_case("mqtt"))
        .map(str::to_owned);
    let upgrade = match protocol {
        Some(protocol) => upgrade.protocols([protocol]),
        None => upgrade,
    };
    upgrade
        .max_message_size(MAX_PACKET_BYTES + 16)
        .on_upgrade(move |socket| async move {
            let (ours, theirs) = tokio::io::duplex(64 * 1024);
            tokio::spawn(bridge(socket, theirs));
            mqtt::serve_stream(hub, ours, "websocket").await;
        })
}

/// Copies binary frames into the pipe and pipe bytes into binary frames, until either side ends.
async fn bridge(socket: WebSocket, pipe: tokio::io::DuplexStream) {
    let (mut frames_out, mut frames_in) = socket.split();
    let (mut pipe_in, mut pipe_out) = tokio::io::split(pipe);
    let mut buffer = bytes::BytesMut::with_capacity(4096);
    loop {
        tokio::select! {
            frame = frames_in.next() => match frame {
                Some(Ok(Message::Binary(data))) => {
                    if pipe_out.write_all(&data).await.is_err() {
                        break;
                    }
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                _ => break, // close, text (not MQTT) or an error
            },
            read = pipe_in.read_buf(&mut buffer) => match read {
                Ok(n) if n > 0 => {
                    if frames_out.send(Message::Binary(buffer.split().freeze())).await.is_err() {
                        break;
                    }
                }
                _ => break,
            },
        }
    }
    let _ = frames_out.close().await;
}
