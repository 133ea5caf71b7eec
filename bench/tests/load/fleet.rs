//! The load test's device side: one core `DeviceClient` per device, each with a task that
//! merges the desired patches it receives into its own view of desired and records how long
//! each took to arrive.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use iothub_twin::device::ConnectionState;
use iothub_twin::service::QueryOptions;
use iothub_twin::tls::Trust;
use iothub_twin::twin::{JsonObject, apply_patch};
use iothub_twin::{DeviceClient, DeviceClientOptions, ServiceClient};
use iothub_twin_bench::Emulator;
use tokio::task::JoinSet;

/// Device connects in flight at once (as the `device_client` benchmark does).
const CONNECT_CONCURRENCY: usize = 64;

/// Patch latencies, in the order they arrived.
#[derive(Debug)]
pub(crate) struct Samples {
    /// The instant every `sent_us` in a patch counts from.
    pub(crate) origin: Instant,
    latencies_us: Mutex<Vec<u64>>,
}

impl Samples {
    /// Pushes received so far.
    pub(crate) fn count(&self) -> usize {
        self.latencies_us.lock().unwrap().len()
    }

    /// The latencies (µs) received after the first `from`.
    pub(crate) fn latencies_since(&self, from: usize) -> Vec<u64> {
        self.latencies_us.lock().unwrap()[from..].to_vec()
    }
}

/// What one device has seen.
#[derive(Debug, Default)]
struct View {
    desired: JsonObject,
    version: u64,
    rounds: Vec<u64>,
}

struct Member {
    id: String,
    client: DeviceClient,
    view: Arc<Mutex<View>>,
}

/// The connected fleet.
pub(crate) struct Fleet {
    members: Vec<Member>,
    pub(crate) samples: Arc<Samples>,
    /// Connection-state changes after the initial connect (any is a lost connection).
    state_changes: Arc<AtomicUsize>,
    tasks: JoinSet<()>,
}

/// Devices failing a check, by check.
pub(crate) struct Report {
    pub(crate) missing: usize,
    pub(crate) divergent: usize,
    pub(crate) disconnected: usize,
}

impl Fleet {
    /// Connects every device in `ids`, reads its twin, and starts following its desired
    /// patches.
    pub(crate) async fn connect(emulator: &Emulator, ids: &[String], ca: &str) -> Self {
        let options = DeviceClientOptions {
            trust: Trust::Pem(ca.to_owned()),
            ..DeviceClientOptions::default()
        };
        let permits = Arc::new(tokio::sync::Semaphore::new(CONNECT_CONCURRENCY));
        let mut connecting = JoinSet::new();
        for id in ids {
            let cs = emulator.device_connection_string(id).unwrap().to_owned();
            let (options, permits, id) = (options.clone(), permits.clone(), id.clone());
            connecting.spawn(async move {
                let _permit = permits.acquire_owned().await.unwrap();
                let client = DeviceClient::connect(&cs, options).await.unwrap();
                // Follow patches before reading the twin, so none falls in between.
                let patches = client.desired_property_updates();
                let states = client.connection_state_updates();
                let twin = client.get_twin().await.unwrap();
                let view = View {
                    desired: twin.desired.to_properties(),
                    version: twin.desired.version().unwrap(),
                    rounds: Vec::new(),
                };
                (id, client, view, patches, states)
            });
        }
        let samples = Arc::new(Samples {
            origin: Instant::now(),
            latencies_us: Mutex::default(),
        });
        let state_changes = Arc::new(AtomicUsize::new(0));
        let (mut members, mut tasks) = (Vec::new(), JoinSet::new());
        while let Some(joined) = connecting.join_next().await {
            let (id, client, view, mut patches, mut states) = joined.unwrap();
            let view = Arc::new(Mutex::new(view));
            let (seen, samples) = (view.clone(), samples.clone());
            tasks.spawn(async move {
                while let Some(patch) = patches.next_patch().await {
                    let now_us = samples.origin.elapsed().as_micros() as u64;
                    let load = &patch.patch["load"];
                    if let Some(sent_us) = load["sent_us"].as_u64() {
                        let latency = now_us.saturating_sub(sent_us);
                        samples.latencies_us.lock().unwrap().push(latency);
                    }
                    let mut view = seen.lock().unwrap();
                    apply_patch(&mut view.desired, &patch.patch);
                    view.version = patch.version;
                    if let Some(round) = load["round"].as_u64() {
                        view.rounds.push(round);
                    }
                }
            });
            let changes = state_changes.clone();
            tasks.spawn(async move {
                while let Some(state) = states.next_state().await {
                    if !matches!(state, ConnectionState::Closed) {
                        changes.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
            members.push(Member { id, client, view });
        }
        Self {
            members,
            samples,
            state_changes,
            tasks,
        }
    }

    /// Devices connected right now.
    pub(crate) fn connected(&self) -> usize {
        self.members
            .iter()
            .filter(|m| m.client.connection_state() == ConnectionState::Connected)
            .count()
    }

    /// Compares every device's view with the hub's twins (read with one paged query).
    pub(crate) async fn check_against(&self, service: &ServiceClient, rounds: u64) -> Report {
        let mut hub: HashMap<String, (JsonObject, u64)> = HashMap::new();
        let options = QueryOptions {
            page_size: Some(100),
            continuation: None,
        };
        let mut pager = service.query("SELECT * FROM devices", options);
        while let Some(page) = pager.next_page().await.unwrap() {
            for item in page.items {
                let twin = item.into_twin().unwrap();
                let desired = twin.properties.unwrap_or_default().desired;
                hub.insert(
                    twin.device_id.unwrap(),
                    (desired.to_properties(), desired.version().unwrap()),
                );
            }
        }
        let every_round: Vec<u64> = (0..rounds).collect();
        let (mut missing, mut divergent) = (0, 0);
        for member in &self.members {
            let view = member.view.lock().unwrap();
            if view.rounds != every_round {
                missing += 1;
            }
            let hub_view = hub.get(&member.id).map(|(d, v)| (d, *v));
            if hub_view != Some((&view.desired, view.version)) {
                divergent += 1;
            }
        }
        let disconnected =
            self.members.len() - self.connected() + self.state_changes.load(Ordering::Relaxed);
        Report {
            missing,
            divergent,
            disconnected,
        }
    }

    /// Closes every client.
    pub(crate) async fn close(mut self) {
        let mut closing = JoinSet::new();
        for member in self.members.drain(..) {
            closing.spawn(async move { member.client.close().await });
        }
        while closing.join_next().await.is_some() {}
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.tasks.is_empty() && Instant::now() < deadline {
            let _ = tokio::time::timeout(Duration::from_secs(1), self.tasks.join_next()).await;
        }
    }
}
