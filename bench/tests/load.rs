//! Load: a fleet of connected core `DeviceClient`s held for a while, the
//! core `ServiceClient` patching desired properties of every device in rounds (a burst for the
//! whole fleet every `LOAD_ROUND_SECONDS`), the emulator binary as a separate process.
//!
//! Measured per interval: p50/p99 latency from just before the service PATCH to the device's
//! receipt, emulator RSS (`/proc/<pid>/status`) and this process's RSS. Asserted: correctness
//! only — every device received every round exactly once and in order, stayed connected, and
//! its view of desired (the patches merged onto its first GET) equals the hub's, `$version`
//! included. Never timing.
//!
//! Run by `make load` (CI size) and `make soak-sec` (long); configured with `LOAD_DEVICES`
//! (1000), `LOAD_SECONDS` (60), `LOAD_ROUND_SECONDS` (10), `LOAD_SAMPLE_SECONDS` (10) and
//! `IOTHUB_TWIN_EMULATOR` (the emulator binary; default the debug build).

#[path = "load/fleet.rs"]
mod fleet;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use iothub_twin::service::{ServiceClient, ServiceClientOptions};
use iothub_twin::tls::Trust;
use iothub_twin_bench::{Emulator, load_average, percentile_ms, rss_kib};
use serde_json::json;
use tokio::task::JoinSet;

use fleet::{Fleet, Samples};

/// Service PATCHes in flight at once.
const PATCH_CONCURRENCY: usize = 32;

struct Config {
    devices: usize,
    duration: Duration,
    round_every: Duration,
    sample_every: Duration,
    emulator: String,
}

impl Config {
    fn from_env() -> Self {
        let number = |name: &str, default: u64| -> u64 {
            std::env::var(name).map_or(default, |v| {
                v.parse()
                    .unwrap_or_else(|_| panic!("{name}={v} is not a number"))
            })
        };
        let default_binary = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../target/x86_64-unknown-linux-gnu/debug/iothub-twin-emulator"
        );
        Self {
            devices: number("LOAD_DEVICES", 1000) as usize,
            duration: Duration::from_secs(number("LOAD_SECONDS", 60)),
            round_every: Duration::from_secs(number("LOAD_ROUND_SECONDS", 10)),
            sample_every: Duration::from_secs(number("LOAD_SAMPLE_SECONDS", 10)),
            emulator: std::env::var("IOTHUB_TWIN_EMULATOR")
                .unwrap_or_else(|_| default_binary.to_owned()),
        }
    }
}

/// Open files this process may have (the soft limit), from `/proc/self/limits`.
fn open_files_limit() -> u64 {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    line.split_whitespace().nth(3).unwrap().parse().unwrap()
}

/// One row of the time series.
struct Row {
    at: f64,
    rounds: u64,
    patched: u64,
    received: usize,
    /// p50 and p99 of the pushes received in this interval (none: `-`).
    latency_ms: Option<(f64, f64)>,
    emulator_rss_kib: u64,
    client_rss_kib: u64,
    connected: usize,
}

impl Row {
    fn print(&self) {
        println!(
            "| {:>6.0} | {:>6} | {:>9} | {:>9} | {:>8} | {:>8} | {:>11.1} | {:>10.1} | {:>9} |",
            self.at,
            self.rounds,
            self.patched,
            self.received,
            self.latency_ms
                .map_or("-".into(), |(p50, _)| format!("{p50:.1}")),
            self.latency_ms
                .map_or("-".into(), |(_, p99)| format!("{p99:.1}")),
            self.emulator_rss_kib as f64 / 1024.0,
            self.client_rss_kib as f64 / 1024.0,
            self.connected
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn desired_fan_out_to_a_connected_fleet() {
    let config = Config::from_env();
    let needed = config.devices as u64 + 256;
    assert!(
        open_files_limit() >= needed,
        "{} devices need {needed} open files; raise the limit (ulimit -n {needed}, as `make load` does)",
        config.devices
    );
    let ids: Vec<String> = (0..config.devices).map(|i| format!("load{i:05}")).collect();
    let setup = Instant::now();
    let emulator = Emulator::start(&config.emulator, &ids, false).unwrap();
    let emulator_pid = emulator.pid().to_string();
    let ca = emulator.ca_pem().unwrap();
    let fleet = Fleet::connect(&emulator, &ids, &ca).await;
    let setup_seconds = setup.elapsed().as_secs_f64();
    let service = ServiceClient::from_connection_string(
        &emulator.ready().service_connection_string,
        ServiceClientOptions {
            trust: Trust::Pem(ca),
            ..ServiceClientOptions::default()
        },
    )
    .unwrap();
    println!(
        "load: {} devices connected in {setup_seconds:.1} s (emulator {}, load average {})",
        ids.len(),
        config.emulator,
        load_average()
    );
    println!(
        "| t (s)  | rounds | patches   | pushes    | p50 (ms) | p99 (ms) | hub RSS MiB | client MiB | connected |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");

    let start = Instant::now();
    let samples = fleet.samples.clone();
    let progress = Arc::new(Progress::default());
    let service_side = tokio::spawn(patch_rounds(
        service.clone(),
        ids.clone(),
        samples.origin,
        start + config.duration,
        config.round_every,
        progress.clone(),
    ));
    let (mut rows, mut sampled_up_to) = (Vec::new(), 0);
    let mut next_sample = start + config.sample_every;
    while !service_side.is_finished() {
        // Pacing the samples (fixed times), not waiting for an outcome.
        tokio::time::sleep_until(next_sample.into()).await;
        next_sample += config.sample_every;
        let row = sample(
            &samples,
            &mut sampled_up_to,
            start,
            &progress,
            &emulator_pid,
            &fleet,
        );
        row.print();
        rows.push(row);
    }
    service_side.await.unwrap();
    let (rounds, patched) = (
        progress.rounds.load(Ordering::Relaxed),
        progress.patched.load(Ordering::Relaxed),
    );

    // Every push of the last round must arrive (bounded).
    let expected = rounds as usize * ids.len();
    let deadline = Instant::now() + Duration::from_secs(120);
    while samples.count() < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let row = sample(
        &samples,
        &mut sampled_up_to,
        start,
        &progress,
        &emulator_pid,
        &fleet,
    );
    row.print();
    rows.push(row);

    let report = fleet.check_against(&service, rounds).await;
    let mut all: Vec<u64> = samples.latencies_since(0).into_iter().collect();
    all.sort_unstable();
    let peak_hub = rows.iter().map(|r| r.emulator_rss_kib).max().unwrap_or(0);
    let peak_client = rows.iter().map(|r| r.client_rss_kib).max().unwrap_or(0);
    let last = rows.last().unwrap();
    println!(
        "{}",
        json!({
            "load": "summary", "devices": ids.len(), "seconds": config.duration.as_secs(),
            "rounds": rounds, "patches_acknowledged": patched, "pushes_received": samples.count(),
            "pushes_expected": expected, "devices_missing_pushes": report.missing,
            "devices_divergent": report.divergent, "devices_disconnected": report.disconnected,
            "p50_ms": percentile_ms(&all, 0.5), "p99_ms": percentile_ms(&all, 0.99),
            "emulator_rss_peak_mib": round1(peak_hub), "emulator_rss_final_mib": round1(last.emulator_rss_kib),
            "client_rss_peak_mib": round1(peak_client), "client_rss_final_mib": round1(last.client_rss_kib),
            "load_average": load_average(),
        })
    );
    assert_eq!(
        patched,
        rounds * ids.len() as u64,
        "every PATCH was acknowledged"
    );
    assert_eq!(report.missing, 0, "devices that missed or repeated a round");
    assert_eq!(
        report.divergent, 0,
        "devices whose desired differs from the hub's"
    );
    assert_eq!(report.disconnected, 0, "devices that lost their connection");
    assert_eq!(samples.count(), expected, "pushes received");
    fleet.close().await;
}

fn round1(kib: u64) -> f64 {
    (kib as f64 / 1024.0 * 10.0).round() / 10.0
}

/// How far the service side got.
#[derive(Default)]
struct Progress {
    rounds: AtomicU64,
    patched: AtomicU64,
}

/// Rounds until `until`, one every `every` (or right after the previous one when a round
/// takes longer).
async fn patch_rounds(
    service: ServiceClient,
    ids: Vec<String>,
    origin: Instant,
    until: Instant,
    every: Duration,
    progress: Arc<Progress>,
) {
    let mut next_round = Instant::now();
    let mut round = 0;
    while Instant::now() < until {
        let began = Instant::now();
        let acknowledged = patch_round(&service, &ids, round, origin).await;
        println!(
            "load: round {round}: {acknowledged} PATCHes acknowledged in {:.1} s",
            began.elapsed().as_secs_f64()
        );
        progress.patched.fetch_add(acknowledged, Ordering::Relaxed);
        round += 1;
        progress.rounds.store(round, Ordering::Relaxed);
        next_round += every;
        // Pacing the workload, not waiting for an outcome.
        tokio::time::sleep_until(next_round.max(Instant::now()).min(until).into()).await;
    }
}

/// Patches every device's desired `load` once (round `round`, `sent_us` counted from
/// `origin`); how many were acknowledged.
async fn patch_round(service: &ServiceClient, ids: &[String], round: u64, origin: Instant) -> u64 {
    let permits = Arc::new(tokio::sync::Semaphore::new(PATCH_CONCURRENCY));
    let mut tasks = JoinSet::new();
    for id in ids {
        let (service, id, permits) = (service.clone(), id.clone(), permits.clone());
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.unwrap();
            let sent_us = origin.elapsed().as_micros() as u64;
            let patch =
                json!({"properties": {"desired": {"load": {"round": round, "sent_us": sent_us}}}});
            service.update_twin(&id, &patch, None).await
        });
    }
    let mut acknowledged = 0;
    while let Some(result) = tasks.join_next().await {
        match result.unwrap() {
            Ok(_) => acknowledged += 1,
            Err(e) => println!("load: a PATCH failed: {e}"),
        }
    }
    acknowledged
}

fn sample(
    samples: &Samples,
    sampled_up_to: &mut usize,
    start: Instant,
    progress: &Progress,
    emulator_pid: &str,
    fleet: &Fleet,
) -> Row {
    let mut latencies = samples.latencies_since(*sampled_up_to);
    *sampled_up_to += latencies.len();
    latencies.sort_unstable();
    Row {
        at: start.elapsed().as_secs_f64(),
        rounds: progress.rounds.load(Ordering::Relaxed),
        patched: progress.patched.load(Ordering::Relaxed),
        received: *sampled_up_to,
        latency_ms: (!latencies.is_empty()).then(|| {
            (
                percentile_ms(&latencies, 0.5),
                percentile_ms(&latencies, 0.99),
            )
        }),
        emulator_rss_kib: rss_kib(emulator_pid).unwrap(),
        client_rss_kib: rss_kib("self").unwrap(),
        connected: fleet.connected(),
    }
}
