//! `GET /emulator/twin-events`: the twin change feed, as server-sent events (emulator only; on
//! IoT Hub these notifications reach Event Hubs through message routing).
//!
//! One event per committed change, in commit order, from the store's event stream: twin
//! changes as IoT Hub's twin change notifications (`event: twinChangeNotification`), created
//! and deleted identities as device lifecycle notifications (`event:
//! deviceLifecycleNotification`). Each event's `data` is `{"properties": {…application
//! properties…}, "body": {…}}` and its `id` a sequence number. A client resumes with
//! `Last-Event-ID` (or `?lastEventId=`) from a bounded in-memory backlog; a client whose next
//! event has left the backlog (or that names an id this hub never gave) gets one
//! `event: fell-behind` and the stream ends: it must re-read the twins it follows. Without
//! either, the stream starts with the next change. Needs the owner policy, like the control
//! API (or the explorer's session cookie).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, Uri};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::Stream;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::QueryParams;
use super::auth::{Requirement, authorize_headers};
use crate::error::HubError;
use crate::hub::Hub;
use crate::registry::IdentityKey;
use crate::store::StoreEvent;

/// Events kept for resuming clients.
pub(crate) const BACKLOG: usize = 4096;
/// Events taken from the backlog at a time by one client.
const BATCH: usize = 256;

/// The backlog and the newest event id. Filled by one task following the store.
#[derive(Debug)]
pub(crate) struct TwinFeed {
    backlog: Mutex<Backlog>,
    newest: watch::Sender<u64>,
}

#[derive(Debug)]
struct Backlog {
    entries: VecDeque<Arc<Entry>>,
    capacity: usize,
    next_id: u64,
}

#[derive(Debug)]
struct Entry {
    id: u64,
    kind: &'static str,
    data: String,
}

/// The client's next event is no longer (or never was) in the backlog.
#[derive(Debug)]
struct FellBehind {
    oldest: Option<u64>,
    newest: u64,
}

impl TwinFeed {
    /// A feed keeping `capacity` events, and the task that fills it from the hub's store.
    pub(crate) fn follow(hub: &Hub, capacity: usize) -> (Arc<Self>, JoinHandle<()>) {
        let feed = Arc::new(Self {
            backlog: Mutex::new(Backlog {
                entries: VecDeque::with_capacity(capacity.min(BACKLOG)),
                capacity: capacity.max(1),
                next_id: 1,
            }),
            newest: watch::channel(0).0,
        });
        let mut events = hub.store().subscribe();
        let hub_name = hub_name(hub.hostname());
        let filler = feed.clone();
        let task = tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(event) => {
                        if let Some((kind, data)) = notification(&hub_name, &event) {
                            filler.push(kind, data);
                        }
                    }
                    Err(RecvError::Lagged(missed)) => {
                        // Said in the feed itself, so no reader skips the gap unknowingly.
                        tracing::error!(missed, "the twin change feed fell behind the store");
                        filler.push("fell-behind", json!({"missed": missed}).to_string());
                    }
                    Err(RecvError::Closed) => return,
                }
            }
        });
        (feed, task)
    }

    fn push(&self, kind: &'static str, data: String) {
        let mut backlog = self.backlog.lock().unwrap_or_else(|e| e.into_inner());
        let id = backlog.next_id;
        backlog.next_id += 1;
        if backlog.entries.len() == backlog.capacity {
            backlog.entries.pop_front();
        }
        backlog
            .entries
            .push_back(Arc::new(Entry { id, kind, data }));
        self.newest.send_replace(id);
    }

    /// Up to [`BATCH`] events after `last`.
    fn after(&self, last: u64) -> Result<Vec<Arc<Entry>>, FellBehind> {
        let backlog = self.backlog.lock().unwrap_or_else(|e| e.into_inner());
        let newest = backlog.next_id - 1;
        let oldest = backlog.entries.front().map(|e| e.id);
        let behind = FellBehind { oldest, newest };
        if last > newest {
            return Err(behind);
        }
        let Some(oldest) = oldest else {
            return Ok(Vec::new());
        };
        if last + 1 < oldest {
            return Err(behind);
        }
        let start = usize::try_from(last + 1 - oldest).unwrap_or(usize::MAX);
        Ok(backlog
            .entries
            .iter()
            .skip(start)
            .take(BATCH)
            .cloned()
            .collect())
    }
}

/// The route, with the feed it serves.
pub(crate) fn routes(hub: Arc<Hub>, feed: Arc<TwinFeed>) -> Router {
    Router::new()
        .route("/emulator/twin-events", get(twin_events))
        .layer(Extension(feed))
        .with_state(hub)
}

#[derive(Debug, Deserialize)]
struct ResumeQuery {
    #[serde(rename = "lastEventId")]
    last_event_id: Option<String>,
}

async fn twin_events(
    State(hub): State<Arc<Hub>>,
    Extension(feed): Extension<Arc<TwinFeed>>,
    headers: HeaderMap,
    uri: Uri,
    query: Result<QueryParams<ResumeQuery>, HubError>,
) -> Result<Response, HubError> {
    // Authorization first: 401 wins over a bad query string.
    authorize_headers(&hub, &headers, &uri, Requirement::Owner)?;
    let QueryParams(query) = query?;
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or(query.last_event_id);
    let last = match resume.as_deref().map(str::trim) {
        None | Some("") => *feed.newest.borrow(),
        Some(text) => text.parse::<u64>().map_err(|_| {
            HubError::invalid(format!("Last-Event-ID must be an event id, not {text:?}"))
        })?,
    };
    Ok(Sse::new(events(feed, last))
        .keep_alive(KeepAlive::default())
        .into_response())
}

/// The events after `last`, as they come; ends after a `fell-behind` event.
fn events(feed: Arc<TwinFeed>, last: u64) -> impl Stream<Item = Result<Event, Infallible>> {
    let newest = feed.newest.subscribe();
    let state = (feed, newest, last, VecDeque::<Arc<Entry>>::new(), false);
    futures::stream::unfold(
        state,
        |(feed, mut newest, mut last, mut pending, done)| async move {
            if done {
                return None;
            }
            loop {
                if let Some(entry) = pending.pop_front() {
                    last = entry.id;
                    let event = Event::default()
                        .id(entry.id.to_string())
                        .event(entry.kind)
                        .data(&entry.data);
                    return Some((Ok(event), (feed, newest, last, pending, false)));
                }
                match feed.after(last) {
                    Err(FellBehind { oldest, newest: id }) => {
                        let data =
                            json!({"lastEventId": last, "oldestAvailable": oldest, "newest": id});
                        let event = Event::default().event("fell-behind").data(data.to_string());
                        return Some((Ok(event), (feed, newest, last, pending, true)));
                    }
                    Ok(batch) if !batch.is_empty() => pending.extend(batch),
                    Ok(_) => {
                        newest.wait_for(|&id| id > last).await.ok()?;
                    }
                }
            }
        },
    )
}

/// The hub's name: the first label of its host name, as IoT Hub's `hubName` property shows it.
fn hub_name(hostname: &str) -> String {
    hostname.split('.').next().unwrap_or(hostname).to_owned()
}

/// An event's notification (SSE event name and data), or `None` for an identity disabled (IoT
/// Hub sends no twin change or lifecycle notification for it).
fn notification(hub_name: &str, event: &StoreEvent) -> Option<(&'static str, String)> {
    let (key, schema, op_type, timestamp, body) = match event {
        StoreEvent::TwinChanged { key, change } => (
            key,
            "twinChangeNotification",
            change.op.op_type(),
            &change.timestamp,
            &change.body,
        ),
        StoreEvent::IdentityCreated {
            key,
            timestamp,
            twin,
        }
        | StoreEvent::IdentityDeleted {
            key,
            timestamp,
            twin,
        } => {
            let op = if matches!(event, StoreEvent::IdentityCreated { .. }) {
                "createDeviceIdentity"
            } else {
                "deleteDeviceIdentity"
            };
            (key, "deviceLifecycleNotification", op, timestamp, twin)
        }
        StoreEvent::IdentityDisabled { .. } => return None,
    };
    let properties = application_properties(hub_name, key, schema, op_type, timestamp);
    Some((
        schema,
        json!({"properties": properties, "body": body}).to_string(),
    ))
}

fn application_properties(
    hub_name: &str,
    key: &IdentityKey,
    schema: &str,
    op_type: &str,
    timestamp: &str,
) -> Value {
    let mut properties = Map::new();
    properties.insert("hubName".into(), json!(hub_name));
    properties.insert("deviceId".into(), json!(key.device_id));
    if let Some(module_id) = key.module() {
        properties.insert("moduleId".into(), json!(module_id));
    }
    properties.insert("operationTimestamp".into(), json!(timestamp));
    properties.insert("iothub-message-schema".into(), json!(schema));
    properties.insert("opType".into(), json!(op_type));
    Value::Object(properties)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(capacity: usize) -> TwinFeed {
        TwinFeed {
            backlog: Mutex::new(Backlog {
                entries: VecDeque::new(),
                capacity,
                next_id: 1,
            }),
            newest: watch::channel(0).0,
        }
    }

    #[test]
    fn resuming_inside_the_backlog_gets_the_rest_once() {
        let feed = feed(3);
        for _ in 0..5 {
            feed.push("twinChangeNotification", "{}".into());
        }
        let ids: Vec<u64> = feed
            .after(2)
            .expect("in the backlog")
            .iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(ids, [3, 4, 5]);
        assert!(feed.after(5).expect("up to date").is_empty());
    }

    #[test]
    fn resuming_before_the_backlog_or_past_the_newest_fell_behind() {
        let feed = feed(3);
        for _ in 0..5 {
            feed.push("twinChangeNotification", "{}".into());
        }
        let behind = feed.after(1).expect_err("event 2 left the backlog");
        assert_eq!((behind.oldest, behind.newest), (Some(3), 5));
        assert!(feed.after(9).is_err(), "an id this hub never gave");
    }

    #[test]
    fn the_hub_name_is_the_first_label() {
        assert_eq!(hub_name("myhub.azure-devices.net"), "myhub");
        assert_eq!(hub_name("localhost"), "localhost");
    }
}
