//! The one task behind a device client: it owns the rumqttc event loop, (re)connects with
//! backoff and fresh SAS tokens, re-subscribes on every connection, sends queued requests in
//! order, routes answers by `$rid` and desired pushes through the resync tracker.

use std::time::Duration;

use async_http_proxy::HttpError;
use rumqttc::mqttbytes::QoS;
use rumqttc::mqttbytes::v4::{ConnectReturnCode, Packet, Publish};
use rumqttc::{AsyncClient, ConnectionError, Event, EventLoop, SubscribeFilter};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::{Instant, sleep_until};

use super::ConnectionState;
use super::credential::Secret;
use super::desired::{DesiredPatch, DesiredTracker, Outcome};
use super::held::HeldPatches;
use super::link::Link;
use super::requests::{Reply, RequestKind, Requests};
use crate::auth::SasToken;
use crate::topics::{DESIRED_PATCHES, TWIN_RESPONSES, parse_desired_patch, parse_twin_response};
use crate::{Error, ErrorKind, Result};

/// What the handle asks of the driver.
#[derive(Debug)]
pub(crate) enum Command {
    Request {
        rid: u64,
        kind: RequestKind,
        reply: oneshot::Sender<Result<Reply>>,
    },
    Cancel {
        rid: u64,
    },
    WatchDesired(mpsc::UnboundedSender<DesiredPatch>),
    WatchState(mpsc::UnboundedSender<ConnectionState>),
    UpdateToken {
        token: SasToken,
        reply: oneshot::Sender<Result<()>>,
    },
    Close {
        done: oneshot::Sender<()>,
    },
}

/// The driver's own resync reads use `$rid`s from the top of the range.
const RESYNC_RIDS: u64 = 1 << 63;

/// Why the driver gave up.
#[derive(Clone, Debug, PartialEq)]
struct Failure {
    kind: ErrorKind,
    reason: String,
}

impl Failure {
    /// The error a call gets once the client has failed.
    fn error(&self) -> Error {
        match self.kind {
            ErrorKind::Credential => Error::authentication(self.reason.clone()),
            _ => Error::Connection {
                reason: self.reason.clone(),
            },
        }
    }
}

#[derive(Debug, PartialEq)]
enum Phase {
    /// The next poll connects.
    Connecting,
    /// Connected, SUBSCRIBE sent, waiting for SUBACK.
    Subscribing,
    Ready,
    /// Backing off until then.
    Waiting(Instant),
    /// Refused too often, or reconnecting gave up; only closing is left.
    Failed(Failure),
}

pub(crate) struct Driver {
    link: Link,
    mqtt: AsyncClient,
    eventloop: EventLoop,
    commands: mpsc::UnboundedReceiver<Command>,
    state: watch::Sender<ConnectionState>,
    state_watchers: Vec<mpsc::UnboundedSender<ConnectionState>>,
    desired_watchers: Vec<mpsc::UnboundedSender<DesiredPatch>>,
    held: HeldPatches,
    first_connect: Option<oneshot::Sender<Result<()>>>,
    phase: Phase,
    /// Counts connections: a request is re-sent when it was last sent on an older one.
    connection: u64,
    requests: Requests,
    tracker: DesiredTracker,
    next_resync_rid: u64,
    renew_at: Option<Instant>,
    renewing_since: Option<Instant>,
    reconnects: u32,
    refusals: u32,
}

impl Driver {
    pub(crate) fn new(
        link: Link,
        commands: mpsc::UnboundedReceiver<Command>,
        state: watch::Sender<ConnectionState>,
        first_connect: oneshot::Sender<Result<()>>,
    ) -> Result<Self> {
        let password = link.password();
        let options = link.mqtt_options(&password.text)?;
        let (mqtt, mut eventloop) = AsyncClient::new(options, 1024);
        eventloop
            .network_options
            .set_connection_timeout(link.options.operation_timeout.as_secs().max(1));
        // Twin calls are request/response: without this, Nagle holds each request back until
        // the hub's delayed ACK (40 ms per sequential call, measured in bench/device_client).
        eventloop.network_options.set_tcp_nodelay(true);
        Ok(Self {
            renew_at: password.renew_after.map(|after| Instant::now() + after),
            link,
            mqtt,
            eventloop,
            commands,
            state,
            state_watchers: Vec::new(),
            desired_watchers: Vec::new(),
            held: HeldPatches::default(),
            first_connect: Some(first_connect),
            phase: Phase::Connecting,
            connection: 0,
            requests: Requests::default(),
            tracker: DesiredTracker::default(),
            next_resync_rid: RESYNC_RIDS,
            renewing_since: None,
            reconnects: 0,
            refusals: 0,
        })
    }

    pub(crate) async fn run(mut self) {
        loop {
            let waiting_until = match self.phase {
                Phase::Waiting(until) => Some(until),
                _ => None,
            };
            let polling = matches!(
                self.phase,
                Phase::Connecting | Phase::Subscribing | Phase::Ready
            );
            let renew_at = if self.phase == Phase::Ready && self.renewing_since.is_none() {
                self.renew_at
            } else {
                None
            };
            tokio::select! {
                biased;
                command = self.commands.recv() => match command {
                    Some(Command::Close { done }) => {
                        self.close().await;
                        let _ = done.send(());
                        return;
                    }
                    Some(command) => self.command(command),
                    None => {
                        // Every handle is gone.
                        self.close().await;
                        return;
                    }
                },
                _ = sleep_until_or_never(waiting_until) => self.reconnect_now(),
                _ = sleep_until_or_never(renew_at) => {
                    tracing::debug!("renewing the SAS token");
                    self.renewing_since = Some(Instant::now());
                    self.renew_if_idle();
                }
                event = self.eventloop.poll(), if polling => self.event(event),
            }
        }
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::Request { rid, kind, reply } => {
                if let Phase::Failed(failure) = &self.phase {
                    let _ = reply.send(Err(failure.error()));
                    return;
                }
                let capacity = self.link.options.offline_queue_capacity;
                if self.phase != Phase::Ready && self.requests.queued(self.connection) >= capacity {
                    let _ = reply.send(Err(Error::QueueFull { capacity }));
                    return;
                }
                self.requests.add(rid, kind, Some(reply));
                self.flush();
            }
            Command::Cancel { rid } => self.requests.cancel(rid),
            Command::WatchDesired(sender) => {
                if !self.held.watched {
                    self.held.watched = true;
                    for patch in std::mem::take(&mut self.held.patches) {
                        let _ = sender.send(patch);
                    }
                }
                self.desired_watchers.push(sender);
            }
            Command::WatchState(sender) => self.state_watchers.push(sender),
            Command::UpdateToken { token, reply } => {
                let _ = reply.send(self.update_token(token));
            }
            Command::Close { .. } => unreachable!("handled by run"),
        }
    }

    fn event(&mut self, event: std::result::Result<Event, ConnectionError>) {
        match event {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                self.connection += 1;
                self.refusals = 0;
                self.phase = Phase::Subscribing;
                // Re-subscribe on every connection: never rely on the hub's session.
                // Twin responses at QoS 0, as the Node SDK subscribes: a lost response is covered
                // by resending the request on the next connection, and at QoS 1 every response
                // cost a PUBACK (a packet, a TLS record and a write each way to the hub's
                // bookkeeping) on the round trip. Desired pushes stay at QoS 1 so the hub keeps
                // them for the session.
                let filters = [
                    (TWIN_RESPONSES, QoS::AtMostOnce),
                    (DESIRED_PATCHES, QoS::AtLeastOnce),
                ]
                .map(|(f, qos)| SubscribeFilter::new(f.to_owned(), qos));
                if self.mqtt.try_subscribe_many(filters).is_err() {
                    tracing::warn!("could not queue the SUBSCRIBE");
                }
            }
            Ok(Event::Incoming(Packet::SubAck(_))) if self.phase == Phase::Subscribing => {
                self.phase = Phase::Ready;
                self.reconnects = 0;
                self.set_state(ConnectionState::Connected);
                // `connect` returns once the first twin read has set the desired baseline (in
                // `incoming`): a change made after it returns is then above the baseline and
                // delivered, never folded into it unseen.
                self.resync();
                self.flush();
            }
            Ok(Event::Incoming(Packet::Publish(publish))) => self.incoming(&publish),
            Ok(_) => {}
            Err(error) => self.lost(error),
        }
    }

    fn incoming(&mut self, publish: &Publish) {
        if let Some(response) = parse_twin_response(&publish.topic) {
            let Ok(rid) = response.rid.parse::<u64>() else {
                return;
            };
            let outcome =
                self.requests
                    .answer(rid, response.status, response.version, &publish.payload);
            if let Some(result) = outcome {
                match result {
                    Ok(Reply::Twin(properties)) => {
                        self.remember_base();
                        let patches = self.tracker.on_resync(&properties.desired);
                        self.deliver(patches);
                    }
                    _ => self.tracker.abandon_resync(),
                }
                if let Some(first) = self.first_connect.take() {
                    let _ = first.send(Ok(()));
                }
            }
            self.renew_if_idle();
        } else if parse_desired_patch(&publish.topic).is_some() {
            let Ok(serde_json::Value::Object(mut patch)) = serde_json::from_slice(&publish.payload)
            else {
                tracing::warn!("ignoring a desired push that is not a JSON object");
                return;
            };
            let version = patch.remove("$version").and_then(|v| v.as_u64());
            let Some(version) = version.or_else(|| parse_desired_patch(&publish.topic).flatten())
            else {
                return self.resync();
            };
            self.remember_base();
            match self.tracker.on_notification(version, patch) {
                Outcome::Deliver(patches) => self.deliver(patches),
                Outcome::Resync => self.resync(),
            }
        }
    }

    /// Before the tracker may produce the first held patch, note the document it starts from.
    fn remember_base(&mut self) {
        if !self.held.watched && self.held.patches.is_empty() {
            self.held.base.clone_from(self.tracker.document());
        }
    }

    fn deliver(&mut self, patches: Vec<DesiredPatch>) {
        for patch in patches {
            if !self.held.watched {
                self.held.hold(patch);
                continue;
            }
            self.desired_watchers
                .retain(|w| w.send(patch.clone()).is_ok());
        }
    }

    /// Reads the twin to (re)establish the desired baseline.
    fn resync(&mut self) {
        self.tracker.begin_resync();
        self.next_resync_rid += 1;
        self.requests
            .add(self.next_resync_rid, RequestKind::Get, None);
        self.flush();
    }

    /// Publishes every request not yet sent on this connection, in order.
    fn flush(&mut self) {
        if self.phase != Phase::Ready || self.renewing_since.is_some() {
            return;
        }
        for (rid, topic, payload) in self.requests.unsent(self.connection) {
            // QoS 0 like the Node SDK: our own resend-on-reconnect gives at-least-once without
            // rumqttc replaying stale requests on its own.
            if self
                .mqtt
                .try_publish(topic, QoS::AtMostOnce, false, payload)
                .is_err()
            {
                break; // the request channel is full; the rest goes on the next flush
            }
            self.requests.mark_sent(rid, self.connection);
        }
    }

    /// During a renewal, reconnect once nothing awaits an answer (or after a short grace).
    fn renew_if_idle(&mut self) {
        let Some(since) = self.renewing_since else {
            return;
        };
        let idle = self.requests.awaiting(self.connection) == 0;
        if idle || since.elapsed() > Duration::from_secs(2) {
            self.update_password();
            self.eventloop.clean();
            self.phase = Phase::Connecting;
            self.renewing_since = None;
        }
    }

    fn update_password(&mut self) {
        let password = self.link.password();
        let username = self.link.username();
        self.eventloop
            .mqtt_options
            .set_credentials(username, password.text);
        self.renew_at = password.renew_after.map(|after| Instant::now() + after);
    }

    /// Takes `token` as the password from now on and reconnects with it at once (also out of
    /// a failed state, e.g. after the previous token expired and was refused); requests in
    /// flight are sent again on the new connection, as after any reconnect.
    fn update_token(&mut self, token: SasToken) -> Result<()> {
        if !matches!(self.link.secret, Secret::Token(_)) {
            return Err(Error::invalid_argument(
                "only a client made from a SAS token takes a new one: this client signs its own",
            ));
        }
        self.link.secret = Secret::Token(token);
        self.update_password();
        self.eventloop.clean();
        self.renewing_since = None;
        self.refusals = 0;
        self.phase = Phase::Connecting;
        self.set_state(ConnectionState::Connecting);
        Ok(())
    }

    fn reconnect_now(&mut self) {
        self.update_password();
        self.phase = Phase::Connecting;
        self.set_state(ConnectionState::Connecting);
    }

    fn lost(&mut self, error: ConnectionError) {
        let refused = matches!(
            error,
            ConnectionError::ConnectionRefused(
                ConnectReturnCode::NotAuthorized | ConnectReturnCode::BadUserNamePassword
            )
        );
        let reason = describe(&error);
        tracing::info!(%reason, "MQTT connection lost");
        self.renewing_since = None;
        if proxy_refused_credentials(&error) {
            // Retrying with the same proxy credentials cannot succeed.
            return self.fail(Failure {
                kind: ErrorKind::Credential,
                reason: "the proxy refused the credentials (407 Proxy Authentication Required)"
                    .into(),
            });
        }
        if refused {
            self.refusals += 1;
            let give_up = self.first_connect.is_some()
                || self.refusals >= self.link.options.max_authentication_failures;
            if give_up {
                return self.fail(Failure {
                    kind: ErrorKind::Credential,
                    reason: format!("the hub refused the credentials: {reason}"),
                });
            }
        } else if let Some(first) = self
            .first_connect
            .take_if(|_| matches!(error, ConnectionError::Tls(_)))
        {
            // A certificate problem will not fix itself: report it instead of retrying.
            let _ = first.send(Err(Error::Connection {
                reason: reason.clone(),
            }));
            self.phase = Phase::Failed(Failure {
                kind: ErrorKind::Connection,
                reason,
            });
            return;
        }
        match self.link.options.reconnect.delay(self.reconnects) {
            Some(delay) => {
                self.reconnects += 1;
                self.phase = Phase::Waiting(Instant::now() + delay);
                self.set_state(ConnectionState::Disconnected { reason });
            }
            None => self.fail(Failure {
                kind: ErrorKind::Connection,
                reason: format!("gave up reconnecting: {reason}"),
            }),
        }
    }

    fn fail(&mut self, failure: Failure) {
        if let Some(first) = self.first_connect.take() {
            let _ = first.send(Err(failure.error()));
        }
        self.requests.fail_all(|| failure.error());
        self.set_state(ConnectionState::Failed {
            reason: failure.error().to_string(),
            kind: failure.kind,
        });
        self.phase = Phase::Failed(failure);
    }

    fn set_state(&mut self, state: ConnectionState) {
        if *self.state.borrow() == state {
            return;
        }
        self.state_watchers
            .retain(|w| w.send(state.clone()).is_ok());
        self.state.send_replace(state);
    }

    async fn close(&mut self) {
        self.requests.fail_all(|| Error::Closed);
        if self.phase == Phase::Ready && self.mqtt.try_disconnect().is_ok() {
            // Let the DISCONNECT reach the hub, briefly.
            let _ = tokio::time::timeout(Duration::from_secs(1), async {
                while let Ok(event) = self.eventloop.poll().await {
                    if matches!(event, Event::Outgoing(rumqttc::Outgoing::Disconnect)) {
                        break;
                    }
                }
            })
            .await;
        }
        self.set_state(ConnectionState::Closed);
    }
}

/// A `407` from the HTTP proxy: its credentials are missing or wrong.
fn proxy_refused_credentials(error: &ConnectionError) -> bool {
    // rumqttc does not export its ProxyError; the HTTP error is its source.
    let ConnectionError::Proxy(proxy) = error else {
        return false;
    };
    matches!(
        std::error::Error::source(proxy).and_then(|e| e.downcast_ref::<HttpError>()),
        Some(HttpError::HttpCode200(407))
    )
}

fn describe(error: &ConnectionError) -> String {
    match error {
        ConnectionError::ConnectionRefused(code) => format!("CONNECT refused ({code:?})"),
        other => other.to_string(),
    }
}

async fn sleep_until_or_never(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
