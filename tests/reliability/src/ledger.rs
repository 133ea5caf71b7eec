//! What the clients were told: per device and twin section, the writes attempted, the last one
//! acknowledged (with the `$version` the hub returned), the failures, and how long calls took.
//! The harnesses check the hub's state against it.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

/// A twin section one client writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Section {
    /// Written by a service client over REST.
    Desired,
    /// Written by the device over MQTT.
    Reported,
}

/// An acknowledged write: its sequence number and the section `$version` the hub returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Acked {
    /// The writer's sequence number (carried in the written values).
    pub seq: u64,
    /// The `$version` of the section after the write.
    pub version: u64,
}

/// One writer's record.
#[derive(Clone, Debug, Default)]
pub struct Entry {
    /// The highest sequence number sent (acknowledged or not).
    pub attempted: u64,
    /// The last acknowledged write.
    pub acked: Option<Acked>,
    /// Writes acknowledged.
    pub acks: u64,
    /// Calls that failed (timeout, connection, 503): unacknowledged, maybe applied.
    pub failures: u64,
    /// The highest `$version` a reader was shown (acknowledged or not).
    pub observed: u64,
    /// The longest call, acknowledged or failed.
    pub longest_call: Duration,
    /// Acknowledged `$version`s that did not grow: each is a broken promise.
    pub regressions: Vec<String>,
}

/// Every writer's record. Shared by the writer tasks.
#[derive(Debug, Default)]
pub struct Ledger {
    entries: Mutex<BTreeMap<(String, Section), Entry>>,
}

impl Ledger {
    /// Write `seq` is about to be sent.
    pub fn attempt(&self, device: &str, section: Section, seq: u64) {
        self.with(device, section, |e| e.attempted = e.attempted.max(seq));
    }

    /// Write `seq` was acknowledged with `version` after `took`.
    pub fn ack(&self, device: &str, section: Section, seq: u64, version: u64, took: Duration) {
        self.with(device, section, |e| {
            if let Some(last) = e.acked
                && version <= last.version
            {
                e.regressions.push(format!(
                    "{device} {section:?}: write {seq} acknowledged at $version {version}, \
                     not above write {}'s {}",
                    last.seq, last.version
                ));
            }
            e.acked = Some(Acked { seq, version });
            e.acks += 1;
            e.longest_call = e.longest_call.max(took);
        });
    }

    /// A write failed after `took`.
    pub fn fail(&self, device: &str, section: Section, took: Duration) {
        self.with(device, section, |e| {
            e.failures += 1;
            e.longest_call = e.longest_call.max(took);
        });
    }

    /// A reader was shown `version` of the section: a hub that shows a version must keep it.
    pub fn observe(&self, device: &str, section: Section, version: u64) {
        self.with(device, section, |e| e.observed = e.observed.max(version));
    }

    /// A copy of every record.
    pub fn snapshot(&self) -> BTreeMap<(String, Section), Entry> {
        self.lock().clone()
    }

    /// Writes acknowledged so far, all writers together.
    pub fn total_acks(&self) -> u64 {
        self.lock().values().map(|e| e.acks).sum()
    }

    fn with(&self, device: &str, section: Section, f: impl FnOnce(&mut Entry)) {
        f(self.lock().entry((device.to_owned(), section)).or_default());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<(String, Section), Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Totals over a snapshot: (acknowledged, failed, longest call).
pub fn totals(snapshot: &BTreeMap<(String, Section), Entry>) -> (u64, u64, Duration) {
    snapshot
        .values()
        .fold((0, 0, Duration::ZERO), |(a, f, l), e| {
            (a + e.acks, f + e.failures, l.max(e.longest_call))
        })
}
