//! The device client: a device or module's twin over MQTT (spec/protocol.md §3), done so that
//! nothing hangs, nothing is lost across reconnects and tokens renew by themselves.
//!
//! [`DeviceClient`] is a cheap `Clone` handle; one private driver task owns the connection
//! (STYLE.md: handle/driver split). `connect` spawns that task, so it must be called from
//! within a tokio runtime.
//!
//! Beyond the official SDKs:
//! * every operation has a deadline ([`DeviceClientOptions::operation_timeout`]);
//! * reconnects back off exponentially with jitter and re-subscribe every time;
//! * after a reconnect the twin is read again, and if desired `$version` moved, exactly one
//!   patch holding the difference is delivered; stale notifications are dropped;
//! * SAS tokens made from a key are renewed before they expire, without failing calls;
//! * twin requests made while offline wait (bounded) and go out in order after reconnect;
//! * reported patches are checked against the twin limits before anything is sent.

mod credential;
mod desired;
mod driver;
mod held;
mod link;
mod options;
mod requests;
mod streams;
mod token_update;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{mpsc, oneshot, watch};

pub use credential::DeviceCredential;
pub use desired::DesiredPatch;
pub use link::DeviceIdentity;
pub use options::{
    DeviceClientOptions, MAX_KEEP_ALIVE, MIN_KEEP_ALIVE, MIN_SAS_TOKEN_TTL, Transport,
};
pub use streams::{ConnectionStateStream, DesiredPatchStream};

use crate::twin::{self, Section, TwinProperties};
use crate::{Error, ErrorKind, Result};
use driver::{Command, Driver};
use requests::{Reply, RequestKind};

/// Where the connection stands.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionState {
    /// Opening a connection.
    Connecting,
    /// Connected and subscribed.
    Connected,
    /// Lost; the client is backing off before reconnecting.
    Disconnected {
        /// Why the connection ended.
        reason: String,
    },
    /// The hub refused the credentials too often (or the retry policy ran out): calls fail.
    Failed {
        /// Why.
        reason: String,
        /// What calls now fail with: [`ErrorKind::Credential`] when the credentials were
        /// refused, [`ErrorKind::Connection`] when reconnecting gave up.
        kind: ErrorKind,
    },
    /// [`DeviceClient::close`] was called.
    Closed,
}

impl ConnectionState {
    /// The state's name as every binding spells it: `"connecting"`, `"connected"`,
    /// `"disconnected"`, `"failed"` or `"closed"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ConnectionState::Connecting => "connecting",
            ConnectionState::Connected => "connected",
            ConnectionState::Disconnected { .. } => "disconnected",
            ConnectionState::Failed { .. } => "failed",
            ConnectionState::Closed => "closed",
        }
    }

    /// Why the connection is not up, for `disconnected` and `failed`.
    pub fn reason(&self) -> Option<&str> {
        match self {
            ConnectionState::Disconnected { reason } | ConnectionState::Failed { reason, .. } => {
                Some(reason)
            }
            _ => None,
        }
    }
}

/// A connected device (or module) client. Clones share one connection.
#[derive(Clone, Debug)]
pub struct DeviceClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    commands: mpsc::UnboundedSender<Command>,
    state: watch::Receiver<ConnectionState>,
    next_rid: AtomicU64,
    timeout: Duration,
    /// Who the client connects as (a new SAS token must name the same identity).
    identity: DeviceIdentity,
}

impl DeviceClient {
    /// Connects with a device or module connection string; returns once connected and
    /// subscribed, or with the error that prevented it (bad credentials fail at once).
    pub async fn connect(connection_string: &str, options: DeviceClientOptions) -> Result<Self> {
        let credential = DeviceCredential::ConnectionString(connection_string.to_owned());
        Self::connect_with(credential, options).await
    }

    /// Connects with a ready-made device or module SAS token (`SharedAccessSignature sr=…`),
    /// finding the hub and identity in its `sr` ([`DeviceIdentity::from_sas_token`]). The token
    /// cannot be renewed, so the connection ends when it expires; an expired token is refused
    /// at once. Point `options.endpoint` at a gateway or local hub when needed.
    pub async fn connect_with_sas_token(token: &str, options: DeviceClientOptions) -> Result<Self> {
        Self::connect_with(DeviceCredential::SasToken(token.to_owned()), options).await
    }

    /// Connects with `credential` (any of them: see [`DeviceCredential`]) after checking the
    /// options ([`DeviceClientOptions::validate`]); returns once connected, subscribed and
    /// the desired baseline is read.
    pub async fn connect_with(
        credential: DeviceCredential,
        options: DeviceClientOptions,
    ) -> Result<Self> {
        options.validate()?;
        let (identity, secret) = credential.resolve()?;
        let timeout = options.operation_timeout;
        let (commands, command_rx) = mpsc::unbounded_channel();
        let (state_tx, state) = watch::channel(ConnectionState::Connecting);
        let (connected_tx, connected) = oneshot::channel();
        let link = link::Link {
            identity: identity.clone(),
            secret,
            options,
        };
        let driver = Driver::new(link, command_rx, state_tx, connected_tx)?;
        tokio::spawn(driver.run());
        let client = Self {
            inner: Arc::new(Inner {
                commands,
                state,
                next_rid: AtomicU64::new(1),
                timeout,
                identity,
            }),
        };
        match tokio::time::timeout(timeout, connected).await {
            Ok(Ok(Ok(()))) => Ok(client),
            Ok(Ok(Err(error))) => {
                client.close().await;
                Err(error)
            }
            Ok(Err(_)) => Err(Error::Closed),
            Err(_) => {
                client.close().await;
                Err(Error::Timeout {
                    operation: "connect",
                    after: timeout,
                })
            }
        }
    }

    /// The twin's desired and reported properties (with `$version`, without `$metadata`).
    pub async fn get_twin(&self) -> Result<TwinProperties> {
        match self.request("get_twin", RequestKind::Get).await? {
            Reply::Twin(properties) => Ok(properties),
            Reply::Patched(_) => unreachable!("a GET is answered with a twin"),
        }
    }

    /// Merges `patch` into the reported properties; returns the new reported `$version`.
    /// The patch is checked against the twin limits first (`Error::InvalidTwin`).
    pub async fn patch_twin_reported_properties(&self, patch: &Value) -> Result<u64> {
        self.patch_reported(patch, None).await
    }

    /// Like [`Self::patch_twin_reported_properties`], but only if reported `$version` is still
    /// `expected_version` (otherwise a 412 service error: `is_precondition_failed()`).
    pub async fn patch_twin_reported_properties_if(
        &self,
        patch: &Value,
        expected_version: u64,
    ) -> Result<u64> {
        self.patch_reported(patch, Some(expected_version)).await
    }

    async fn patch_reported(&self, patch: &Value, expected_version: Option<u64>) -> Result<u64> {
        twin::validate(Section::Reported, patch)?;
        let body = serde_json::to_vec(patch).map_err(|e| Error::InvalidArgument {
            reason: e.to_string(),
        })?;
        match self
            .request(
                "patch_twin_reported_properties",
                RequestKind::Patch {
                    body,
                    expected_version,
                },
            )
            .await?
        {
            Reply::Patched(version) => Ok(version),
            Reply::Twin(_) => unreachable!("a PATCH is answered with a version"),
        }
    }

    /// Desired-property changes from now on, in `$version` order, each exactly once; after a
    /// reconnect, one patch with whatever changed meanwhile. Ends when the client closes.
    pub fn desired_property_updates(&self) -> DesiredPatchStream {
        let (sender, receiver) = mpsc::unbounded_channel();
        let _ = self.inner.commands.send(Command::WatchDesired(sender));
        DesiredPatchStream::new(receiver)
    }

    /// Connection-state changes from now on. Ends when the client closes.
    pub fn connection_state_updates(&self) -> ConnectionStateStream {
        let (sender, receiver) = mpsc::unbounded_channel();
        let _ = self.inner.commands.send(Command::WatchState(sender));
        ConnectionStateStream::new(receiver)
    }

    /// The current connection state.
    pub fn connection_state(&self) -> ConnectionState {
        self.inner.state.borrow().clone()
    }

    /// Replaces the SAS token of a client made from one (`update_sastoken` /
    /// `updateSharedAccessSignature`) and reconnects with it at once, keeping every
    /// subscription and watcher. The token must be unexpired and for the same device or module;
    /// a client that signs its own tokens (a key) refuses it. Returns once the token is taken.
    pub async fn update_sas_token(&self, token: &str) -> Result<()> {
        let (reply, answer) = oneshot::channel();
        let token = token_update::checked_token(token, &self.inner.identity)?;
        self.inner
            .commands
            .send(Command::UpdateToken { token, reply })
            .map_err(|_| Error::Closed)?;
        answer.await.map_err(|_| Error::Closed)?
    }

    /// Disconnects; pending calls fail with `Error::Closed`, streams end.
    pub async fn close(&self) {
        let (done, closed) = oneshot::channel();
        if self.inner.commands.send(Command::Close { done }).is_ok() {
            let _ = closed.await;
        }
    }

    async fn request(&self, operation: &'static str, kind: RequestKind) -> Result<Reply> {
        let rid = self.inner.next_rid.fetch_add(1, Ordering::Relaxed);
        let (reply, answer) = oneshot::channel();
        self.inner
            .commands
            .send(Command::Request { rid, kind, reply })
            .map_err(|_| Error::Closed)?;
        match tokio::time::timeout(self.inner.timeout, answer).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(Error::Closed),
            Err(_) => {
                // Give up for good: the request must not be sent after the caller was told.
                let _ = self.inner.commands.send(Command::Cancel { rid });
                Err(Error::Timeout {
                    operation,
                    after: self.inner.timeout,
                })
            }
        }
    }
}
