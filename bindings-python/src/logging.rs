//! Core `tracing` events into Python's `logging` (logger `iothub_twin`) without running Python
//! on the threads that log: a subscriber layer queues `(level, target, message)` records, and
//! a Python thread of the facade drains them with [`next_log_records`]. `IOTHUB_TWIN_LOG`
//! (an `EnvFilter` directive, e.g. `debug`) chooses what is recorded; default `info` for this
//! crate and the core.

use std::fmt::Write as _;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::sync::{Mutex, OnceLock};

use pyo3::prelude::*;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Registry};

/// Records waiting for Python; past this, new ones are dropped rather than blocking the client.
const QUEUE_CAPACITY: usize = 4096;

type Record = (u8, String, String);

static RECORDS: OnceLock<Mutex<Receiver<Record>>> = OnceLock::new();

/// Installs the forwarding subscriber (once per process; a second module init is a no-op).
pub(crate) fn install() {
    let (sender, receiver) = sync_channel(QUEUE_CAPACITY);
    if RECORDS.set(Mutex::new(receiver)).is_err() {
        return;
    }
    let filter = std::env::var("IOTHUB_TWIN_LOG")
        .ok()
        .filter(|directives| !directives.trim().is_empty())
        .and_then(|directives| EnvFilter::try_new(directives).ok())
        .unwrap_or_else(|| EnvFilter::new("iothub_twin=info,_native=info"))
        // tungstenite logs each sent WebSocket frame at TRACE, the CONNECT with its SAS token
        // included: never let that through, whatever the user's filter says.
        .add_directive("tungstenite=debug".parse().expect("a valid directive"));
    // Another subscriber may already be global (an embedding Rust program): keep it.
    let _ = Registry::default()
        .with(filter)
        .with(Forward { sender })
        .try_init();
}

/// Waits up to `timeout` seconds for log records; returns those queued (at most `limit`), as
/// `(python_level, target, message)`. The GIL is released while waiting.
#[pyfunction]
#[pyo3(signature = (timeout, limit = 256))]
pub(crate) fn next_log_records(
    py: Python<'_>,
    timeout: f64,
    limit: usize,
) -> PyResult<Vec<Record>> {
    let wait =
        iothub_twin::options::seconds("timeout", timeout).map_err(crate::error::to_py_err)?;
    let Some(records) = RECORDS.get() else {
        return Ok(Vec::new());
    };
    Ok(py.detach(|| {
        let Ok(receiver) = records.lock() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        match receiver.recv_timeout(wait) {
            Ok(record) => out.push(record),
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return out,
        }
        while out.len() < limit {
            match receiver.try_recv() {
                Ok(record) => out.push(record),
                Err(_) => break,
            }
        }
        out
    }))
}

struct Forward {
    sender: SyncSender<Record>,
}

impl<S: Subscriber> Layer<S> for Forward {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let metadata = event.metadata();
        let mut message = Message(String::new());
        event.record(&mut message);
        let _ = self.sender.try_send((
            python_level(*metadata.level()),
            metadata.target().to_owned(),
            message.0,
        ));
    }
}

/// `logging.DEBUG` … `logging.ERROR`.
fn python_level(level: Level) -> u8 {
    match level {
        Level::ERROR => 40,
        Level::WARN => 30,
        Level::INFO => 20,
        Level::DEBUG => 10,
        Level::TRACE => 5,
    }
}

/// The event's message, then its other fields as ` key=value`.
struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let rest = std::mem::take(&mut self.0);
            let _ = write!(self.0, "{value:?}{rest}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.insert_str(0, value);
        } else {
            let _ = write!(self.0, " {}={value}", field.name());
        }
    }
}
