//! The core `DeviceClient` against the emulator (release binary, durable data dir): reported
//! patch round trips of one client, sequential and pipelined (64 in flight on clones of one
//! client), then a fleet of device clients in this one process: time to connect them all,
//! this process's CPU while the fleet sits idle, and RSS per device.
//!
//! Usage: `device_client EMULATOR_BINARY [SECONDS_PER_SCENARIO] [FLEET]` (defaults 5 s and
//! 10,000 devices). Every device is created up front with `--device`. Prints one JSON line per
//! measurement.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use iothub_twin::device::ConnectionState;
use iothub_twin::tls::Trust;
use iothub_twin::{DeviceClient, DeviceClientOptions};
use iothub_twin_bench::{Emulator, cpu_time, load_average, percentile_ms, rss_kib, threads};
use iothub_twin_bench::{probe, raw};
use serde_json::{Value, json};
use tokio::task::JoinSet;

/// Patches in flight in the pipelined scenario.
const PIPELINE: usize = 64;
/// Fleet connects in flight at once.
const CONNECT_CONCURRENCY: usize = 64;
/// How long the connected fleet sits idle while this process's CPU is measured.
const IDLE: Duration = Duration::from_secs(10);
/// Unrecorded load before each measurement.
const WARM_UP: f64 = 1.0;

fn patch(n: u64) -> Value {
    json!({"bench": {"n": n, "mode": "steady", "ok": true}})
}

/// `workers` clones of `client` patch in a loop for `seconds`; (round trips/s, sorted µs).
async fn patches(
    client: &DeviceClient,
    workers: usize,
    seconds: f64,
) -> anyhow::Result<(f64, Vec<u64>)> {
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(seconds);
    let mut tasks = JoinSet::new();
    for worker in 0..workers {
        let client = client.clone();
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            let mut n = worker as u64 * 1_000_000_000;
            while Instant::now() < deadline {
                let sent = Instant::now();
                client.patch_twin_reported_properties(&patch(n)).await?;
                latencies.push(sent.elapsed().as_micros() as u64);
                n += 1;
            }
            anyhow::Ok(latencies)
        });
    }
    let mut sorted = Vec::new();
    while let Some(latencies) = tasks.join_next().await {
        sorted.extend(latencies??);
    }
    let rate = sorted.len() as f64 / start.elapsed().as_secs_f64();
    sorted.sort_unstable();
    Ok((rate, sorted))
}

async fn single_client(
    emulator: &Emulator,
    options: &DeviceClientOptions,
    seconds: f64,
) -> anyhow::Result<()> {
    let cs = emulator.device_connection_string("single")?;
    let client = DeviceClient::connect(cs, options.clone()).await?;
    for (mode, workers) in [("sequential", 1), ("pipelined", PIPELINE)] {
        patches(&client, workers, WARM_UP).await?;
        let (rate, sorted) = patches(&client, workers, seconds).await?;
        println!(
            "{}",
            json!({
                "benchmark": "device_client_patch", "mode": mode, "in_flight": workers,
                "round_trips": sorted.len(), "per_second": rate.round(),
                "p50_ms": percentile_ms(&sorted, 0.5), "p99_ms": percentile_ms(&sorted, 0.99),
                "load_average": load_average(),
            })
        );
    }
    client.close().await;
    Ok(())
}

/// The same sequential round trip with a bare rumqttc client, `TCP_NODELAY` off and on.
async fn probe(emulator: &Emulator, seconds: f64) -> anyhow::Result<()> {
    let tls = raw::tls_config(&emulator.ca_pem()?)?;
    for (device, nodelay) in [("probe-nagle", false), ("probe-nodelay", true)] {
        let cs = emulator.device_connection_string(device)?;
        let sorted =
            probe::sequential_patches(cs, emulator.mqtt_port()?, tls.clone(), nodelay, seconds)
                .await?;
        println!(
            "{}",
            json!({
                "benchmark": "rumqttc_patch", "mode": "sequential", "tcp_nodelay": nodelay,
                "round_trips": sorted.len(), "per_second": (sorted.len() as f64 / seconds).round(),
                "p50_ms": percentile_ms(&sorted, 0.5), "p99_ms": percentile_ms(&sorted, 0.99),
            })
        );
    }
    Ok(())
}

async fn fleet(
    emulator: &Emulator,
    options: &DeviceClientOptions,
    ids: &[String],
) -> anyhow::Result<()> {
    let emulator_pid = emulator.pid().to_string();
    let connection_strings = ids
        .iter()
        .map(|id| Ok(emulator.device_connection_string(id)?.to_owned()))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let rss_before = rss_kib("self")?;
    let emulator_rss_before = rss_kib(&emulator_pid)?;
    let (threads_before, cpu_before) = (threads("self")?, cpu_time("self")?);

    let permits = Arc::new(tokio::sync::Semaphore::new(CONNECT_CONCURRENCY));
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for cs in connection_strings {
        let (options, permits) = (options.clone(), permits.clone());
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await?;
            let sent = Instant::now();
            let client = DeviceClient::connect(&cs, options).await?;
            anyhow::Ok((client, sent.elapsed().as_micros() as u64))
        });
    }
    let (mut clients, mut connect_us, mut failures) = (Vec::new(), Vec::new(), Vec::new());
    while let Some(joined) = tasks.join_next().await {
        match joined? {
            Ok((client, us)) => {
                clients.push(client);
                connect_us.push(us);
            }
            Err(e) => failures.push(e.to_string()),
        }
    }
    let connect_seconds = started.elapsed().as_secs_f64();
    let connect_cpu = (cpu_time("self")? - cpu_before).as_secs_f64();
    connect_us.sort_unstable();

    // Let the post-connect twin reads (resync) finish before measuring.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss_after = rss_kib("self")?;
    let (cpu_idle_start, emulator_cpu_start) = (cpu_time("self")?, cpu_time(&emulator_pid)?);
    let idle_started = Instant::now();
    tokio::time::sleep(IDLE).await;
    let idle_wall = idle_started.elapsed().as_secs_f64();
    let idle_cpu = (cpu_time("self")? - cpu_idle_start).as_secs_f64();
    let emulator_idle_cpu = (cpu_time(&emulator_pid)? - emulator_cpu_start).as_secs_f64();
    let connected = clients
        .iter()
        .filter(|c| c.connection_state() == ConnectionState::Connected)
        .count();
    let emulator_rss_after = rss_kib(&emulator_pid)?;
    let n = ids.len() as f64;
    println!(
        "{}",
        json!({
            "benchmark": "device_client_fleet", "devices": ids.len(),
            "connected": clients.len(), "still_connected_after_idle": connected,
            "failures": failures.len(), "first_failure": failures.first(),
            "connect_concurrency": CONNECT_CONCURRENCY,
            "connect_seconds": round2(connect_seconds),
            "connects_per_second": (clients.len() as f64 / connect_seconds).round(),
            "connect_p50_ms": percentile_ms(&connect_us, 0.5),
            "connect_p99_ms": percentile_ms(&connect_us, 0.99),
            "connect_cpu_seconds": round2(connect_cpu),
            "idle_seconds": round2(idle_wall),
            "idle_cpu_seconds": round2(idle_cpu),
            "idle_cpu_percent_of_one_core": round2(100.0 * idle_cpu / idle_wall),
            "emulator_idle_cpu_percent_of_one_core": round2(100.0 * emulator_idle_cpu / idle_wall),
            "rss_before_kib": rss_before, "rss_after_kib": rss_after,
            "rss_per_device_kib": round2((rss_after as f64 - rss_before as f64) / n),
            "threads_before": threads_before, "threads_after": threads("self")?,
            "emulator_rss_per_device_kib":
                round2((emulator_rss_after as f64 - emulator_rss_before as f64) / n),
            "load_average": load_average(),
        })
    );

    let closing = Instant::now();
    let mut tasks = JoinSet::new();
    for client in clients {
        tasks.spawn(async move { client.close().await });
    }
    while tasks.join_next().await.is_some() {}
    println!(
        "{}",
        json!({"benchmark": "device_client_fleet_close", "seconds": round2(closing.elapsed().as_secs_f64())})
    );
    Ok(())
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: device_client EMULATOR_BINARY [SECONDS] [FLEET]";
    let binary = args.next().context(usage)?;
    let seconds: f64 = args.next().map_or(Ok(5.0), |s| s.parse())?;
    let fleet_size: usize = args.next().map_or(Ok(10_000), |s| s.parse())?;
    println!(
        "{}",
        json!({"benchmark": "device_client", "load_average": load_average()})
    );
    let ids: Vec<String> = (0..fleet_size).map(|i| format!("fleet{i:05}")).collect();
    let mut devices = ids.clone();
    devices.extend(["single", "probe-nagle", "probe-nodelay"].map(str::to_owned));
    let created = Instant::now();
    let emulator = Emulator::start(&binary, &devices, false)?;
    println!(
        "{}",
        json!({"benchmark": "device_client_setup", "devices_created": devices.len(),
               "emulator_start_seconds": round2(created.elapsed().as_secs_f64())})
    );
    let options = DeviceClientOptions {
        trust: Trust::Pem(emulator.ca_pem()?),
        ..Default::default()
    };
    single_client(&emulator, &options, seconds).await?;
    probe(&emulator, seconds).await?;
    fleet(&emulator, &options, &ids).await
}
