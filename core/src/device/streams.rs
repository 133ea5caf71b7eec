//! The client's event streams (STYLE.md: events are streams in the core).

use std::pin::Pin;
use std::task::{Context, Poll};

use futures::Stream;
use tokio::sync::mpsc;

use super::{ConnectionState, DesiredPatch};

/// Desired-property patches, in order. Ends when the client closes.
#[derive(Debug)]
pub struct DesiredPatchStream {
    receiver: mpsc::UnboundedReceiver<DesiredPatch>,
}

impl DesiredPatchStream {
    pub(super) fn new(receiver: mpsc::UnboundedReceiver<DesiredPatch>) -> Self {
        Self { receiver }
    }

    /// The next patch; `None` once the client is closed.
    pub async fn next_patch(&mut self) -> Option<DesiredPatch> {
        self.receiver.recv().await
    }
}

impl Stream for DesiredPatchStream {
    type Item = DesiredPatch;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<DesiredPatch>> {
        self.receiver.poll_recv(cx)
    }
}

/// Connection-state changes. Ends when the client closes.
#[derive(Debug)]
pub struct ConnectionStateStream {
    receiver: mpsc::UnboundedReceiver<ConnectionState>,
}

impl ConnectionStateStream {
    pub(super) fn new(receiver: mpsc::UnboundedReceiver<ConnectionState>) -> Self {
        Self { receiver }
    }

    /// The next state; `None` once the client is closed.
    pub async fn next_state(&mut self) -> Option<ConnectionState> {
        self.receiver.recv().await
    }
}

impl Stream for ConnectionStateStream {
    type Item = ConnectionState;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<ConnectionState>> {
        self.receiver.poll_recv(cx)
    }
}
