//! MQTT sessions and live connections: the hub keeps them so that every adapter (the MQTT
//! endpoint, the control API) reaches them through [`crate::hub::Hub`].
//!
//! A session (subscriptions, unacknowledged QoS 1 deliveries, the next packet id) belongs to a
//! client id and outlives its connection when the client connects with clean-session 0: the
//! official Python and Node device SDKs never re-subscribe after a reconnect and rely on this
//! (official-sdk-wire.md §3.8). One live connection per identity: a new CONNECT for the same
//! client id closes the previous connection (IoT Hub's 400027).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use iothub_twin::topics::filter_matches;
use rumqttc::mqttbytes::QoS;
use rumqttc::mqttbytes::v4::Publish;
use tokio::sync::{Notify, mpsc};

use serde_json::{Value, json};

use crate::registry::IdentityKey;

/// Unacknowledged QoS 1 deliveries a session keeps; past this the oldest is forgotten (not
/// redelivered). It bounds the memory of a client that never sends PUBACK, and keeps packet ids
/// free: with all 65,535 ids in flight, finding one for the next delivery would never end.
pub(crate) const MAX_INFLIGHT: usize = 1024;

/// What a client id keeps between connections.
#[derive(Debug, Default)]
pub(crate) struct Session {
    /// Filters with their granted QoS.
    pub subscriptions: Vec<(String, QoS)>,
    /// QoS 1 deliveries not yet acknowledged, oldest first (redelivered on resume).
    pub inflight: VecDeque<Publish>,
    last_pkid: u16,
}

impl Session {
    /// The granted QoS of the first subscription matching `topic`.
    pub(crate) fn granted(&self, topic: &str) -> Option<QoS> {
        self.subscriptions
            .iter()
            .find(|(filter, _)| filter_matches(filter, topic))
            .map(|(_, qos)| *qos)
    }

    /// Adds or replaces a subscription.
    pub(crate) fn subscribe(&mut self, filter: &str, qos: QoS) {
        self.subscriptions.retain(|(f, _)| f != filter);
        self.subscriptions.push((filter.to_owned(), qos));
    }

    /// A publish to send now: QoS 1 ones get a packet id and are kept until acknowledged.
    pub(crate) fn outgoing(&mut self, topic: String, payload: Bytes, qos: QoS) -> Publish {
        let mut publish = Publish::new(topic, qos, payload);
        if qos != QoS::AtMostOnce {
            if self.inflight.len() >= MAX_INFLIGHT {
                self.inflight.pop_front();
            }
            publish.pkid = self.next_pkid();
            self.inflight.push_back(publish.clone());
        }
        publish
    }

    /// A PUBACK arrived.
    pub(crate) fn acknowledged(&mut self, pkid: u16) {
        self.inflight.retain(|p| p.pkid != pkid);
    }

    fn next_pkid(&mut self) -> u16 {
        loop {
            self.last_pkid = self.last_pkid.wrapping_add(1);
            if self.last_pkid != 0 && !self.inflight.iter().any(|p| p.pkid == self.last_pkid) {
                return self.last_pkid;
            }
        }
    }
}

/// Sessions by client id.
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    by_client: Mutex<HashMap<String, Arc<Mutex<Session>>>>,
}

impl Sessions {
    /// The session for a new connection and whether one was present (CONNACK session-present).
    /// `clean` discards any previous session.
    pub(crate) fn open(&self, client_id: &str, clean: bool) -> (Arc<Mutex<Session>>, bool) {
        let mut sessions = self.by_client.lock().unwrap_or_else(|e| e.into_inner());
        if clean {
            let session = Arc::new(Mutex::new(Session::default()));
            sessions.insert(client_id.to_owned(), session.clone());
            return (session, false);
        }
        match sessions.get(client_id) {
            Some(session) => (session.clone(), true),
            None => {
                let session = Arc::new(Mutex::new(Session::default()));
                sessions.insert(client_id.to_owned(), session.clone());
                (session, false)
            }
        }
    }

    /// Forgets the sessions of a deleted device (and its modules), or of one deleted module: an
    /// identity re-created under the same id must not resume them (it would be handed the old
    /// identity's unacknowledged desired pushes and subscriptions).
    pub(crate) fn forget(&self, device_id: &str, module_id: Option<&str>) {
        let mut sessions = self.by_client.lock().unwrap_or_else(|e| e.into_inner());
        sessions.retain(|client_id, _| {
            let (device, module) = match client_id.split_once('/') {
                Some((device, module)) => (device, Some(module)),
                None => (client_id.as_str(), None),
            };
            let same_module = module_id.is_none_or(|m| module == Some(m));
            !(device == device_id && same_module)
        });
    }

    /// Forgets every session (the fuzz targets' reset between inputs).
    #[cfg(feature = "fuzzing")]
    pub(crate) fn clear(&self) {
        self.by_client
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Forgets a clean session when its connection ends.
    pub(crate) fn close_clean(&self, client_id: &str, session: &Arc<Mutex<Session>>) {
        let mut sessions = self.by_client.lock().unwrap_or_else(|e| e.into_inner());
        if sessions
            .get(client_id)
            .is_some_and(|s| Arc::ptr_eq(s, session))
        {
            sessions.remove(client_id);
        }
    }
}

/// Something for a connection to send.
#[derive(Debug)]
pub(crate) enum Outbound {
    /// A desired-properties push: topic and payload (sent only if subscribed).
    Desired { topic: String, payload: Bytes },
}

/// A connection as others see it.
#[derive(Debug, Clone)]
pub(crate) struct LiveConnection {
    pub id: u64,
    pub identity: IdentityKey,
    pub transport: &'static str,
    pub connected_at: String,
    pub outbound: mpsc::Sender<Outbound>,
    pub stop: Arc<Notify>,
    pub session: Arc<Mutex<Session>>,
}

/// The open connections, one per identity.
#[derive(Debug, Default)]
pub(crate) struct LiveConnections {
    by_identity: Mutex<HashMap<IdentityKey, LiveConnection>>,
    next_id: AtomicU64,
}

impl LiveConnections {
    /// A fresh connection id.
    pub(crate) fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Registers `connection`, closing any previous connection of the same identity.
    pub(crate) fn register(&self, connection: LiveConnection) {
        let previous = self.lock().insert(connection.identity.clone(), connection);
        if let Some(previous) = previous {
            tracing::info!(device = %previous.identity.device_id, "a new connection for the same identity closes the previous one");
            previous.stop.notify_one();
        }
    }

    /// Removes the connection `id` (if it is still the identity's current one).
    pub(crate) fn unregister(&self, identity: &IdentityKey, id: u64) -> bool {
        let mut live = self.lock();
        if live.get(identity).is_some_and(|c| c.id == id) {
            live.remove(identity);
            true
        } else {
            false
        }
    }

    /// The connection of `identity`.
    pub(crate) fn get(&self, identity: &IdentityKey) -> Option<LiveConnection> {
        self.lock().get(identity).cloned()
    }

    /// Every open connection.
    pub(crate) fn all(&self) -> Vec<LiveConnection> {
        let mut all: Vec<_> = self.lock().values().cloned().collect();
        all.sort_by(|a, b| {
            (&a.identity.device_id, &a.identity.module_id)
                .cmp(&(&b.identity.device_id, &b.identity.module_id))
        });
        all
    }

    /// Closes every connection of a device (and its modules); how many there were.
    pub(crate) fn stop_device(&self, device_id: &str, module_id: Option<&str>) -> usize {
        let live = self.lock();
        let mut stopped = 0;
        for connection in live.values() {
            let same_device = connection.identity.device_id == device_id;
            let same_module =
                module_id.is_none_or(|m| connection.identity.module_id.as_deref() == Some(m));
            if same_device && same_module {
                connection.stop.notify_one();
                stopped += 1;
            }
        }
        stopped
    }

    /// The open connections as the control API lists them.
    pub(crate) fn to_json(&self) -> Value {
        let list: Vec<Value> = self
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

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IdentityKey, LiveConnection>> {
        self.by_identity.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_persist_unless_clean() {
        let sessions = Sessions::default();
        let (first, present) = sessions.open("d1", false);
        assert!(!present);
        first
            .lock()
            .unwrap()
            .subscribe("$iothub/twin/res/#", QoS::AtLeastOnce);
        let (again, present) = sessions.open("d1", false);
        assert!(present);
        assert_eq!(
            again
                .lock()
                .unwrap()
                .granted("$iothub/twin/res/200/?$rid=1"),
            Some(QoS::AtLeastOnce)
        );
        sessions.open("d1/m1", false);
        sessions.open("d10", false);
        sessions.forget("d1", Some("m1"));
        assert!(sessions.open("d1", false).1, "the device's session stays");
        assert!(!sessions.open("d1/m1", false).1, "the module's is gone");
        sessions.forget("d1", None);
        assert!(
            !sessions.open("d1", false).1,
            "a deleted device's session is gone"
        );
        assert!(sessions.open("d10", false).1, "d10 is another device");
        let (clean, present) = sessions.open("d1", true);
        assert!(!present);
        assert_eq!(
            clean
                .lock()
                .unwrap()
                .granted("$iothub/twin/res/200/?$rid=1"),
            None
        );
    }

    #[test]
    fn qos1_deliveries_wait_for_their_puback() {
        let mut session = Session::default();
        let first = session.outgoing("t".into(), Bytes::new(), QoS::AtLeastOnce);
        let second = session.outgoing("t".into(), Bytes::new(), QoS::AtLeastOnce);
        assert_ne!(first.pkid, second.pkid);
        assert_eq!(
            session
                .outgoing("t".into(), Bytes::new(), QoS::AtMostOnce)
                .pkid,
            0
        );
        session.acknowledged(first.pkid);
        assert_eq!(session.inflight.len(), 1);
    }

    #[test]
    fn a_client_that_never_acknowledges_keeps_a_bounded_inflight_queue() {
        // Regression: with every packet id in flight, the 65,536th delivery looped forever.
        let mut session = Session::default();
        let mut last = 0;
        for _ in 0..70_000 {
            last = session
                .outgoing("t".into(), Bytes::new(), QoS::AtLeastOnce)
                .pkid;
        }
        assert_eq!(session.inflight.len(), MAX_INFLIGHT);
        assert_eq!(session.inflight.back().map(|p| p.pkid), Some(last));
        let mut ids: Vec<u16> = session.inflight.iter().map(|p| p.pkid).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), MAX_INFLIGHT, "packet ids in flight are unique");
    }
}
