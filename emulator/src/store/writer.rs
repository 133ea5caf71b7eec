//! The writer thread: group commit into SQLite (WAL, `synchronous=NORMAL`). Rows are cloned
//! under the registry lock and serialized here, off the request path.

use std::path::Path;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use iothub_twin::ErrorCode;
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, oneshot, watch};

use super::configurations::{self, ConfigurationRow};
use super::{Changes, Op, StoreEvent};
use crate::error::HubError;
use crate::policies::Policies;
use crate::registry::{Device, Identity, Module, Registry};
use crate::twin_state::TwinState;

/// Largest number of writes committed in one transaction.
const MAX_BATCH: usize = 4096;

/// The database file inside the data dir.
pub(crate) const DATABASE_FILE: &str = "iothub-twin.sqlite";

/// One persisted row: an identity and its twin.
#[derive(Serialize, Deserialize)]
struct Record {
    identity: Identity,
    twin: TwinState,
}

#[derive(Debug)]
enum RowOp {
    Put {
        device_id: String,
        module_id: String,
        doc: String,
    },
    DeleteDevice {
        device_id: String,
    },
    DeleteModule {
        device_id: String,
        module_id: String,
    },
    Job(super::jobs::JobRows),
    Configuration(ConfigurationRow),
}

struct Batch {
    /// Its place in submission order (see `Store::committed`).
    sequence: u64,
    rows: Vec<RowOp>,
    events: Vec<StoreEvent>,
    done: oneshot::Sender<Result<(), String>>,
}

/// Handle on the writer thread. Cloning shares it.
#[derive(Clone, Debug)]
pub(super) struct Writer {
    inner: Arc<Mutex<WriterInner>>,
}

#[derive(Debug)]
struct WriterInner {
    queue: Option<mpsc::Sender<Batch>>,
    thread: Option<JoinHandle<()>>,
    /// Held by the thread while it commits; a test holds it to keep commits back.
    #[cfg(test)]
    gate: Arc<Mutex<()>>,
}

impl Writer {
    /// Opens the database, loads the registry and policies, starts the thread. The receiver
    /// tells the sequence number of the last batch the thread finished.
    pub(super) fn open(
        data_dir: &Path,
        events: broadcast::Sender<StoreEvent>,
    ) -> anyhow::Result<(Writer, watch::Receiver<u64>, Registry, Policies)> {
        let connection = open_database(data_dir)?;
        let policies = load_policies(&connection)?;
        let registry = load_registry(&connection)?;
        let (queue, batches) = mpsc::channel::<Batch>();
        let (finished, finished_rx) = watch::channel(0);
        let gate = Arc::new(Mutex::new(()));
        let thread_gate = gate.clone();
        let thread = std::thread::Builder::new()
            .name("iothub-twin-store".into())
            .spawn(move || run(connection, batches, events, finished, &thread_gate))?;
        #[cfg(not(test))]
        drop(gate);
        let writer = Writer {
            inner: Arc::new(Mutex::new(WriterInner {
                queue: Some(queue),
                thread: Some(thread),
                #[cfg(test)]
                gate,
            })),
        };
        Ok((writer, finished_rx, registry, policies))
    }

    /// The gate the thread holds while committing: a test that locks it keeps commits back.
    #[cfg(test)]
    pub(super) fn hold_commits(&self) -> Arc<Mutex<()>> {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .gate
            .clone()
    }

    /// Queues the rows `changes` touched (read from `registry`, under the caller's write lock).
    pub(super) fn submit(
        &self,
        registry: &Registry,
        changes: Changes,
        sequence: u64,
    ) -> Result<oneshot::Receiver<Result<(), String>>, HubError> {
        let rows = changes
            .ops
            .into_iter()
            .filter_map(|op| row(registry, op))
            .collect();
        let (done, committed) = oneshot::channel();
        let batch = Batch {
            sequence,
            rows,
            events: changes.events,
            done,
        };
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        match &inner.queue {
            Some(queue) if queue.send(batch).is_ok() => Ok(committed),
            _ => Err(HubError::new(
                ErrorCode::ServiceUnavailable,
                "the store is shut down",
            )),
        }
    }

    /// Closes the queue and waits until everything queued is committed.
    pub(super) fn close(&self) {
        let thread = {
            let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            inner.queue = None;
            inner.thread.take()
        };
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }
}

fn row(registry: &Registry, op: Op) -> Option<RowOp> {
    match op {
        Op::Put(key) => {
            let (identity, twin) = registry.find(&key).ok()?;
            let doc =
                serde_json::to_string(&RecordRef { identity, twin }).expect("records serialize");
            Some(RowOp::Put {
                device_id: key.device_id,
                module_id: key.module_id.unwrap_or_default(),
                doc,
            })
        }
        Op::DeleteDevice { device_id } => Some(RowOp::DeleteDevice { device_id }),
        Op::DeleteModule {
            device_id,
            module_id,
        } => Some(RowOp::DeleteModule {
            device_id,
            module_id,
        }),
        Op::PutJob {
            job_id,
            targets,
            ids,
        } => super::jobs::rows(registry, &job_id, targets, ids).map(RowOp::Job),
        Op::Configuration { id } => Some(RowOp::Configuration(configurations::row(registry, id))),
    }
}

#[derive(Serialize)]
struct RecordRef<'a> {
    identity: &'a Identity,
    twin: &'a TwinState,
}

fn run(
    mut connection: Connection,
    batches: mpsc::Receiver<Batch>,
    events: broadcast::Sender<StoreEvent>,
    finished: watch::Sender<u64>,
    gate: &Mutex<()>,
) {
    let mut failure: Option<String> = None;
    while let Ok(first) = batches.recv() {
        let mut group = vec![first];
        while group.len() < MAX_BATCH {
            match batches.try_recv() {
                Ok(more) => group.push(more),
                Err(_) => break,
            }
        }
        let _committing = gate.lock().unwrap_or_else(|e| e.into_inner());
        let last = group.last().map_or(0, |batch| batch.sequence);
        let result = match &failure {
            Some(reason) => Err(reason.clone()),
            None => commit(&mut connection, &group).map_err(|e| {
                let reason = format!("the store could not commit ({e}); restart the emulator");
                tracing::error!("{reason}");
                failure = Some(reason.clone());
                reason
            }),
        };
        for batch in group {
            if result.is_ok() {
                for event in batch.events {
                    // No receiver yet is fine: events are never queued for offline devices.
                    let _ = events.send(event);
                }
            }
            let _ = batch.done.send(result.clone());
        }
        // Readers of what this group wrote may answer now (after a failure too: writes are
        // refused from here on, and nothing would ever commit what they wait for).
        finished.send_replace(last);
    }
}

fn commit(connection: &mut Connection, group: &[Batch]) -> rusqlite::Result<()> {
    let tx = connection.transaction()?;
    {
        let mut put = tx.prepare_cached(
            "INSERT INTO identities (device_id, module_id, doc) VALUES (?1, ?2, ?3)
             ON CONFLICT (device_id, module_id) DO UPDATE SET doc = excluded.doc",
        )?;
        let mut delete_device = tx.prepare_cached("DELETE FROM identities WHERE device_id = ?1")?;
        let mut delete_module =
            tx.prepare_cached("DELETE FROM identities WHERE device_id = ?1 AND module_id = ?2")?;
        for row in group.iter().flat_map(|b| &b.rows) {
            match row {
                RowOp::Put {
                    device_id,
                    module_id,
                    doc,
                } => {
                    put.execute(params![device_id, module_id, doc])?;
                }
                RowOp::DeleteDevice { device_id } => {
                    delete_device.execute(params![device_id])?;
                }
                RowOp::DeleteModule {
                    device_id,
                    module_id,
                } => {
                    delete_module.execute(params![device_id, module_id])?;
                }
                RowOp::Job(rows) => super::jobs::commit(&tx, rows)?,
                RowOp::Configuration(_) => {}
            }
        }
    }
    let configuration_rows = group
        .iter()
        .flat_map(|b| &b.rows)
        .filter_map(|row| match row {
            RowOp::Configuration(row) => Some(row),
            _ => None,
        });
    configurations::write(&tx, configuration_rows)?;
    tx.commit()
}

fn open_database(dir: &Path) -> anyhow::Result<Connection> {
    use anyhow::Context as _;
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating the data dir {}", dir.display()))?;
    let path = dir.join(DATABASE_FILE);
    let connection =
        Connection::open(&path).with_context(|| format!("opening {}", path.display()))?;
    // WAL + NORMAL: a commit survives a crash of this process (see store.rs). EXCLUSIVE: one
    // emulator per data dir.
    connection
        .execute_batch(
            "PRAGMA locking_mode = EXCLUSIVE;
             PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS identities (
                 device_id TEXT NOT NULL,
                 module_id TEXT NOT NULL,
                 doc TEXT NOT NULL,
                 PRIMARY KEY (device_id, module_id)
             );",
        )
        .and_then(|()| connection.execute_batch(super::jobs::SCHEMA))
        .and_then(|()| connection.execute_batch(configurations::SCHEMA))
        .with_context(|| {
            format!(
                "initialising {} (is another emulator using this --data-dir?)",
                path.display()
            )
        })?;
    Ok(connection)
}

fn load_policies(connection: &Connection) -> anyhow::Result<Policies> {
    let stored: Option<String> = connection
        .query_row("SELECT value FROM meta WHERE key = 'policies'", [], |r| {
            r.get(0)
        })
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            other => Err(other),
        })?;
    match stored {
        Some(text) => Policies::from_json(&text),
        None => {
            let policies = Policies::generate();
            connection.execute(
                "INSERT INTO meta (key, value) VALUES ('policies', ?1)",
                params![policies.to_json()],
            )?;
            Ok(policies)
        }
    }
}

fn load_registry(connection: &Connection) -> anyhow::Result<Registry> {
    let mut registry = Registry::default();
    // Devices ('' module id) sort before their modules.
    let mut rows = connection.prepare(
        "SELECT device_id, module_id, doc FROM identities ORDER BY device_id, module_id",
    )?;
    let mut rows = rows.query([])?;
    while let Some(row) = rows.next()? {
        let (device_id, module_id, doc): (String, String, String) =
            (row.get(0)?, row.get(1)?, row.get(2)?);
        let Record { mut identity, twin } = serde_json::from_str(&doc)?;
        // Nothing is connected to a hub that just started.
        identity.connected = false;
        if module_id.is_empty() {
            registry.devices.insert(
                device_id,
                Device {
                    identity,
                    twin,
                    modules: Default::default(),
                },
            );
        } else if let Some(device) = registry.devices.get_mut(&device_id) {
            device.modules.insert(module_id, Module { identity, twin });
        } else {
            anyhow::bail!("stored module {device_id}/{module_id} has no device");
        }
    }
    super::jobs::load(connection, &mut registry)?;
    configurations::load(connection, &mut registry)?;
    Ok(registry)
}
