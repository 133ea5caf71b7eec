//! The writing clients of both harnesses: one loop per device client patching reported
//! properties over MQTT, and service clients patching desired properties over REST, each
//! recording in the [`Ledger`] what was sent, acknowledged (with `$version`) or failed, and how
//! long every call took.

use std::ops::RangeInclusive;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use iothub_twin::{DeviceClient, ServiceClient};
use rand::RngExt as _;
use rand::rngs::StdRng;
use serde_json::{Value, json};

use crate::ledger::{Ledger, Section};

/// What a writer shares with the harness, and its pace.
#[derive(Debug)]
pub struct Pace {
    /// Where the writer records its calls.
    pub ledger: Arc<Ledger>,
    /// Set by the harness: finish the current call, then stop.
    pub stop: Arc<AtomicBool>,
    /// Picks the pauses (and the devices of a service writer).
    pub rng: StdRng,
    /// Milliseconds between two writes, uniform in this range.
    pub pause_ms: RangeInclusive<u64>,
}

impl Pace {
    fn running(&self) -> bool {
        !self.stop.load(Ordering::Relaxed)
    }

    async fn pause(&mut self) {
        let pause = self.rng.random_range(self.pause_ms.clone());
        tokio::time::sleep(Duration::from_millis(pause)).await;
    }
}

/// Patches `device`'s reported properties with `body(seq)` for seq = 1, 2, ... until stopped;
/// returns the last seq sent.
pub async fn write_reported(
    client: DeviceClient,
    device: String,
    body: fn(u64) -> Value,
    mut pace: Pace,
) -> u64 {
    let mut seq = 0;
    while pace.running() {
        seq += 1;
        pace.ledger.attempt(&device, Section::Reported, seq);
        let started = Instant::now();
        match client.patch_twin_reported_properties(&body(seq)).await {
            Ok(version) => {
                let took = started.elapsed();
                pace.ledger
                    .ack(&device, Section::Reported, seq, version, took);
            }
            Err(_) => pace
                .ledger
                .fail(&device, Section::Reported, started.elapsed()),
        }
        pace.pause().await;
    }
    seq
}

/// Patches the desired properties of a random one of `devices` with `body(seq)` for seq = 1,
/// 2, ... until stopped.
pub async fn write_desired(
    service: ServiceClient,
    devices: Vec<String>,
    body: fn(u64) -> Value,
    mut pace: Pace,
) {
    let mut seq = 0;
    while pace.running() {
        seq += 1;
        let device = &devices[pace.rng.random_range(0..devices.len())];
        pace.ledger.attempt(device, Section::Desired, seq);
        let started = Instant::now();
        let patch = json!({"properties": {"desired": body(seq)}});
        match service.update_twin(device, &patch, None).await {
            Ok(twin) => {
                let took = started.elapsed();
                let version = twin
                    .properties
                    .and_then(|p| p.desired.version())
                    .expect("an updated twin has desired $version");
                pace.ledger
                    .ack(device, Section::Desired, seq, version, took);
            }
            Err(_) => pace
                .ledger
                .fail(device, Section::Desired, started.elapsed()),
        }
        pace.pause().await;
    }
}
