//! The durable twin store: the registry in memory, every write committed to SQLite before it is
//! acknowledged.
//!
//! A write runs a closure on the registry under the write lock, then hands the identities it
//! touched (serialized) to one writer thread *while still holding the lock*, so the writer sees
//! writes in the order they happened in memory. The writer takes everything queued, commits it in
//! one transaction (group commit: throughput does not collapse to one fsync per request), then
//! publishes the batch's events in order and acknowledges each write. A caller
//! answers its client only after that acknowledgement. In `--in-memory` mode the same path runs
//! with nothing written.
//!
//! The lock is released before the commit, so the registry may hold writes not yet on disk.
//! Nothing is acknowledged, notified or *shown* before it is committed: every batch gets a
//! sequence number under the lock, the writer publishes the last one it committed, and
//! [`Store::read_committed`] (and a write that changed nothing, like an MQTT twin GET) waits
//! until everything submitted before it returned is committed. Otherwise a client could be shown
//! a `$version` or etag that a `kill -9` takes back (the crash-safety harness in
//! tests/reliability found exactly that). If a commit fails the store refuses further writes
//! (503) rather than diverge silently from disk.
//!
//! `synchronous=NORMAL` in WAL mode: a committed write survives the emulator's crash or
//! `kill -9` (DESIGN.md's promise), not an operating-system crash or power loss, which would
//! need an fsync per commit (`FULL`) and cost a single writer most of its throughput
//! (bench/README.md). In memory there is nothing to commit: writes are acknowledged and
//! notified under the registry lock, without the writer thread.

mod configurations;
mod events;
mod jobs;
mod writer;

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use iothub_twin::ErrorCode;
use serde_json::Value;
use tokio::sync::{broadcast, watch};

use crate::error::HubError;
use crate::policies::Policies;
use crate::registry::{IdentityKey, Registry};
pub use events::{StoreEvent, TwinChange, TwinOp};

/// What a write closure changed, so the store knows what to persist and announce.
#[derive(Debug, Default)]
pub struct Changes {
    ops: Vec<Op>,
    events: Vec<StoreEvent>,
}

#[derive(Debug)]
enum Op {
    Put(IdentityKey),
    DeleteDevice {
        device_id: String,
    },
    DeleteModule {
        device_id: String,
        module_id: String,
    },
    /// The job, and its targets `from..to` (see [`Changes::put_job`]); with `ids`, the ids of
    /// all its targets (see [`Changes::start_job`]).
    PutJob {
        job_id: String,
        targets: std::ops::Range<usize>,
        ids: bool,
    },
    /// An automatic configuration was created, changed or deleted.
    Configuration {
        id: String,
    },
}

impl Changes {
    /// The job changed, and of its targets those in `targets` (committed with the twins the
    /// same write patched, so that a resumed job patches each exactly once).
    pub fn put_job(&mut self, job_id: &str, targets: std::ops::Range<usize>) {
        self.ops.push(Op::PutJob {
            job_id: job_id.to_owned(),
            targets,
            ids: false,
        });
    }

    /// The job started: it and the ids of its targets (one row, not one per target: a 100k
    /// device start would otherwise keep readers waiting for 100k inserts; the targets' own rows
    /// follow batch by batch, and a target without one is pending).
    pub fn start_job(&mut self, job_id: &str) {
        self.ops.push(Op::PutJob {
            job_id: job_id.to_owned(),
            targets: 0..0,
            ids: true,
        });
    }

    /// The automatic configuration `id` was created, changed or deleted (what the registry
    /// holds for it is written).
    pub fn configuration(&mut self, id: &str) {
        self.ops.push(Op::Configuration { id: id.to_owned() });
    }

    /// The device (or module) was created or changed.
    pub fn touch(&mut self, device_id: &str, module_id: Option<&str>) {
        self.ops
            .push(Op::Put(IdentityKey::new(device_id, module_id)));
    }

    /// The device and all its modules were deleted. Announced as
    /// [`StoreEvent::IdentityDeleted`] (with the device's twin as it was) once committed.
    pub fn delete_device(&mut self, device_id: &str, timestamp: &str, twin: Value) {
        self.ops.push(Op::DeleteDevice {
            device_id: device_id.to_owned(),
        });
        self.deleted(IdentityKey::device(device_id), timestamp, twin);
    }

    /// The module was deleted. Announced as [`StoreEvent::IdentityDeleted`] (with its twin as
    /// it was) once committed.
    pub fn delete_module(
        &mut self,
        device_id: &str,
        module_id: &str,
        timestamp: &str,
        twin: Value,
    ) {
        self.ops.push(Op::DeleteModule {
            device_id: device_id.to_owned(),
            module_id: module_id.to_owned(),
        });
        self.deleted(
            IdentityKey::new(device_id, Some(module_id)),
            timestamp,
            twin,
        );
    }

    fn deleted(&mut self, key: IdentityKey, timestamp: &str, twin: Value) {
        self.events.push(StoreEvent::IdentityDeleted {
            key,
            timestamp: timestamp.to_owned(),
            twin,
        });
    }

    /// The identity was created with this twin; announced once committed.
    pub fn created(&mut self, key: &IdentityKey, timestamp: &str, twin: Value) {
        self.events.push(StoreEvent::IdentityCreated {
            key: key.clone(),
            timestamp: timestamp.to_owned(),
            twin,
        });
    }

    /// The twin of the device (or module) changed; announced once committed.
    pub fn twin_changed(&mut self, key: &IdentityKey, change: TwinChange) {
        self.events.push(StoreEvent::TwinChanged {
            key: key.clone(),
            change: Box::new(change),
        });
    }

    /// The identity was disabled; announced once committed.
    pub fn disabled(&mut self, key: &IdentityKey) {
        self.events
            .push(StoreEvent::IdentityDisabled { key: key.clone() });
    }

    fn is_empty(&self) -> bool {
        self.ops.is_empty() && self.events.is_empty()
    }
}

/// The registry plus its persistence. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    registry: RwLock<Registry>,
    /// `None` in memory.
    writer: Option<writer::Writer>,
    events: broadcast::Sender<StoreEvent>,
    closed: AtomicBool,
    /// Batches handed to the writer so far; bumped under the registry write lock.
    submitted: AtomicU64,
    /// The sequence number of the last batch the writer finished (committed, or failed and
    /// refused); `None` in memory, where nothing waits.
    committed: Option<watch::Receiver<u64>>,
}

impl Store {
    /// Opens the store in `data_dir` (creating it), or in memory when `None`. Returns the
    /// store and the hub's shared access policies (generated and saved on first start).
    pub fn open(data_dir: Option<&Path>) -> anyhow::Result<(Store, Policies)> {
        let (events, _) = broadcast::channel(65_536);
        let (writer, committed, registry, policies) = match data_dir {
            Some(dir) => {
                let (writer, committed, registry, policies) =
                    writer::Writer::open(dir, events.clone())?;
                (Some(writer), Some(committed), registry, policies)
            }
            None => (None, None, Registry::default(), Policies::generate()),
        };
        let store = Store {
            shared: Arc::new(Shared {
                registry: RwLock::new(registry),
                writer,
                events,
                closed: AtomicBool::new(false),
                submitted: AtomicU64::new(0),
                committed,
            }),
        };
        Ok((store, policies))
    }

    /// Runs `f` on the registry for reading, as it is in memory: it may hold writes not yet
    /// committed. For lookups that show a client nothing of that state (keys, connection
    /// strings); answers use [`Self::read_committed`].
    pub fn read<R>(&self, f: impl FnOnce(&Registry) -> R) -> R {
        let registry = self
            .shared
            .registry
            .read()
            .unwrap_or_else(|e| e.into_inner());
        f(&registry)
    }

    /// Runs `f` on the registry for reading and returns its result once every write it may
    /// have seen is committed (at once when none is pending).
    pub async fn read_committed<R>(&self, f: impl FnOnce(&Registry) -> R) -> R {
        let result = self.read(f);
        self.committed().await;
        result
    }

    /// Waits until every batch submitted so far is committed (or refused after a failed
    /// commit, or the writer is gone): then nothing in memory is ahead of the disk.
    async fn committed(&self) {
        let Some(committed) = &self.shared.committed else {
            return;
        };
        // Loaded after the caller's read lock was released: covers every write it saw.
        let target = self.shared.submitted.load(Ordering::Acquire);
        let mut committed = committed.clone();
        // An error means the writer thread ended (shutdown): nothing more will commit.
        let _ = committed.wait_for(|&done| done >= target).await;
    }

    /// Runs `f` on the registry for writing and returns once its changes are committed.
    ///
    /// `f` must leave the registry untouched when it returns an error: validate first, then
    /// mutate.
    pub async fn write<R>(
        &self,
        f: impl FnOnce(&mut Registry, &mut Changes) -> Result<R, HubError>,
    ) -> Result<R, HubError> {
        let (result, committed) = {
            let mut registry = self
                .shared
                .registry
                .write()
                .unwrap_or_else(|e| e.into_inner());
            if self.shared.closed.load(Ordering::Acquire) {
                return Err(HubError::unavailable("the store is shut down"));
            }
            let mut changes = Changes::default();
            let result = f(&mut registry, &mut changes)?;
            if changes.is_empty() {
                (result, None)
            } else {
                let Some(writer) = &self.shared.writer else {
                    // In memory: done. Publishing under the lock keeps commit order.
                    for event in changes.events {
                        let _ = self.shared.events.send(event);
                    }
                    return Ok(result);
                };
                let sequence = self.shared.submitted.fetch_add(1, Ordering::AcqRel) + 1;
                (result, Some(writer.submit(&registry, changes, sequence)?))
            }
        };
        let Some(committed) = committed else {
            // Nothing to commit, but the result may show writes that are not committed yet
            // (an MQTT twin GET runs here).
            self.committed().await;
            return Ok(result);
        };
        match committed.await {
            Ok(Ok(())) => Ok(result),
            Ok(Err(reason)) => Err(HubError::new(ErrorCode::ServiceUnavailable, reason)),
            Err(_) => Err(HubError::new(
                ErrorCode::ServiceUnavailable,
                "the store is shut down",
            )),
        }
    }

    /// The writer's commit gate, for tests that keep commits back.
    #[cfg(test)]
    fn commit_gate(&self) -> Arc<std::sync::Mutex<()>> {
        self.shared
            .writer
            .as_ref()
            .expect("a store on disk")
            .hold_commits()
    }

    /// Committed changes, in commit order, from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<StoreEvent> {
        self.shared.events.subscribe()
    }

    /// Stops accepting writes, commits what is queued and waits for the writer to finish.
    pub async fn close(&self) {
        self.shared.closed.store(true, Ordering::Release);
        if let Some(writer) = self.shared.writer.clone() {
            // Joining a thread blocks; do it off the async workers.
            let _ = tokio::task::spawn_blocking(move || writer.close()).await;
        }
    }
}

#[cfg(test)]
mod tests;
