//! Bounds on the HTTPS port: at most so many open connections (a connection over the limit is
//! closed as soon as it is accepted), and the process's descriptor limit raised so the bound
//! fits under it. Together with the handshake and first-request timeouts (see
//! [`crate::HttpsLimits`]), clients that connect and then hold their sockets cannot exhaust
//! the emulator's descriptors.
//!
//! axum-server has timeouts but no connection limit, hence this small acceptor.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum_server::accept::Accept;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Descriptors kept free for everything but HTTPS connections (the store, MQTT, logs).
const RESERVED_DESCRIPTORS: u64 = 256;

/// An acceptor that admits a connection only while fewer than its limit are open.
#[derive(Clone, Debug)]
pub(super) struct ConnectionLimit {
    permits: Arc<Semaphore>,
}

impl ConnectionLimit {
    pub(super) fn new(max_connections: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(max_connections)),
        }
    }
}

impl<I, S> Accept<I, S> for ConnectionLimit {
    type Stream = Limited<I>;
    type Service = S;
    type Future = std::future::Ready<io::Result<(Limited<I>, S)>>;

    fn accept(&self, stream: I, service: S) -> Self::Future {
        std::future::ready(match self.permits.clone().try_acquire_owned() {
            Ok(permit) => Ok((
                Limited {
                    inner: stream,
                    _permit: permit,
                },
                service,
            )),
            Err(_) => {
                tracing::warn!("HTTPS connection limit reached: closing a new connection");
                Err(io::Error::other("the HTTPS connection limit is reached"))
            }
        })
    }
}

/// A stream that holds one of the limit's permits until it is dropped (closed).
#[derive(Debug)]
pub(super) struct Limited<I> {
    inner: I,
    _permit: OwnedSemaphorePermit,
}

impl<I: AsyncRead + Unpin> AsyncRead for Limited<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Limited<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// The connection limit to use: `wanted`, lowered when the descriptor limit (raised first as
/// far as the hard limit allows, as servers commonly do) leaves less room.
pub(super) fn effective_max_connections(wanted: usize) -> usize {
    let wanted_u64 = u64::try_from(wanted).unwrap_or(u64::MAX);
    let available = raise_descriptor_limit(wanted_u64.saturating_add(RESERVED_DESCRIPTORS));
    let room = available.saturating_sub(RESERVED_DESCRIPTORS).max(1);
    if room < wanted_u64 {
        tracing::warn!(
            wanted,
            room,
            "the descriptor limit leaves room for fewer HTTPS connections than configured"
        );
    }
    usize::try_from(room.min(wanted_u64)).unwrap_or(wanted)
}

/// Raises the soft `RLIMIT_NOFILE` towards `wanted` (never past the hard limit, never down);
/// the soft limit in force afterwards (`u64::MAX` for unlimited).
fn raise_descriptor_limit(wanted: u64) -> u64 {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let Some(current) = limit.current else {
        return u64::MAX;
    };
    if current >= wanted {
        return current;
    }
    let target = limit.maximum.map_or(wanted, |hard| wanted.min(hard));
    let raised = Rlimit {
        current: Some(target),
        maximum: limit.maximum,
    };
    match setrlimit(Resource::Nofile, raised) {
        Ok(()) => target,
        Err(_) => current,
    }
}
