//! A scheduled twin-update job over 10k and 100k devices: time from acceptance to `completed`,
//! and how the emulator serves other requests meanwhile (GET /twins from concurrent clients:
//! count and p99, compared with the same load before the job).
//!
//! In-process emulator on a temporary data dir (durable: every batch is committed), devices
//! inserted straight into the store (setup, not measured), HTTPS on loopback through the core's
//! `ServiceClient`. Usage: `jobs [DEVICES...]` (default 10000 100000); run it as a release
//! build: `cargo run --release -p iothub-twin-bench --bin jobs`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use iothub_twin::ServiceClientOptions;
use iothub_twin::service::ServiceClient;
use iothub_twin::tls::Trust;
use iothub_twin_bench::{load_average, percentile_ms};
use iothub_twin_emulator::registry::{Device, IdentityBody};
use iothub_twin_emulator::{EmulatorConfig, RunningEmulator};
use serde_json::json;

const NOW: &str = "2026-12-04T00:00:00.0000000Z";
const LOAD_CLIENTS: usize = 4;
const BASELINE: Duration = Duration::from_secs(3);

async fn fleet(hub: &RunningEmulator, devices: usize) -> anyhow::Result<()> {
    let tags = json!({"plant": "Redmond43"});
    for start in (0..devices).step_by(10_000) {
        hub.store()
            .write(|registry, changes| {
                for i in start..(start + 10_000).min(devices) {
                    let id = format!("device-{i:06}");
                    let body = IdentityBody::parse(&json!({}), &id, None, None)?;
                    let mut device = Device::create(&id, body, NOW);
                    device.twin.service_patch(tags.as_object(), None, NOW)?;
                    registry.devices.insert(id.clone(), device);
                    changes.touch(&id, None);
                }
                Ok(())
            })
            .await?;
    }
    Ok(())
}

/// GET /twins from `LOAD_CLIENTS` clients until `stop`: every latency, in microseconds.
async fn load(client: &ServiceClient, devices: usize, stop: Arc<AtomicBool>) -> Vec<u64> {
    let tasks: Vec<_> = (0..LOAD_CLIENTS)
        .map(|c| {
            let (client, stop) = (client.clone(), stop.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut i = c * 7919;
                while !stop.load(Ordering::Relaxed) {
                    i = (i + 104_729) % devices;
                    let started = Instant::now();
                    if client.get_twin(&format!("device-{i:06}")).await.is_ok() {
                        latencies.push(started.elapsed().as_micros() as u64);
                    }
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap_or_default());
    }
    all.sort_unstable();
    all
}

async fn scenario(devices: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let config = EmulatorConfig {
        data_dir: Some(dir.path().to_owned()),
        ..EmulatorConfig::ephemeral()
    };
    let hub = RunningEmulator::start(config).await?;
    fleet(&hub, devices).await?;
    let options = ServiceClientOptions {
        trust: Trust::Pem(hub.ca_cert_pem.clone()),
        ..Default::default()
    };
    let client = ServiceClient::from_connection_string(&hub.service_connection_string(), options)?;

    let stop = Arc::new(AtomicBool::new(false));
    let baseline = {
        let running = tokio::spawn({
            let (client, stop) = (client.clone(), stop.clone());
            async move { load(&client, devices, stop).await }
        });
        tokio::time::sleep(BASELINE).await;
        stop.store(true, Ordering::Relaxed);
        running.await?
    };

    let stop = Arc::new(AtomicBool::new(false));
    let during = tokio::spawn({
        let (client, stop) = (client.clone(), stop.clone());
        async move { load(&client, devices, stop).await }
    });
    let jobs = client.jobs();
    let patch = json!({"properties": {"desired": {"firmware": {"version": "2.0"}}}});
    let started = Instant::now();
    jobs.schedule_twin_update("bench", "tags.plant = 'Redmond43'", patch, None, Some(3600))
        .await?;
    let job = loop {
        let job = jobs.get_job("bench").await?;
        if job.is_finished() {
            break job;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let took = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let during = during.await?;
    let stats = job.device_job_statistics.unwrap_or_default();
    anyhow::ensure!(
        job.status.as_deref() == Some("completed") && stats.succeeded_count == devices as u64,
        "the job did not patch every device: {:?} {stats:?}",
        job.status
    );
    let line = json!({
        "devices": devices,
        "job_seconds": took.as_secs_f64(),
        "twins_per_second": devices as f64 / took.as_secs_f64(),
        "baseline_requests_per_second": baseline.len() as f64 / BASELINE.as_secs_f64(),
        "baseline_p99_ms": percentile_ms(&baseline, 0.99),
        "during_requests": during.len(),
        "during_requests_per_second": during.len() as f64 / took.as_secs_f64(),
        "during_p50_ms": percentile_ms(&during, 0.50),
        "during_p99_ms": percentile_ms(&during, 0.99),
        "during_max_ms": during.last().map_or(0.0, |&us| us as f64 / 1000.0),
        "load_average": load_average(),
    });
    println!("{line}");
    hub.shutdown().await;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let sizes = if sizes.is_empty() {
        vec![10_000, 100_000]
    } else {
        sizes
    };
    for devices in sizes {
        scenario(devices).await?;
    }
    Ok(())
}
