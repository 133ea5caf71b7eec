//! Reported-patch round trips over MQTT through the emulator, against mosquitto's QoS 1
//! publish/PUBACK round trips as the raw-MQTT baseline, from 1 and from N concurrent
//! connections (default 1,000), plus each server's RSS per connected idle client.
//!
//! Usage: `mqtt_twin EMULATOR_BINARY [SECONDS_PER_SCENARIO] [CLIENTS]` (`make bench` passes
//! the release build; `mosquitto` must be on `PATH`). Every connection is its own device (SAS)
//! and its own TLS connection; one multi-threaded tokio runtime drives them all with the same
//! lean generator (`iothub_twin_bench::raw`) for both servers. A twin round trip publishes
//! `$iothub/twin/PATCH/properties/reported/?$rid=N` at QoS 0 and waits for
//! `$iothub/twin/res/204/?$rid=N&$version=…` (subscription at QoS 0); a baseline round trip
//! publishes the same topic and payload at QoS 1 to mosquitto and waits for the PUBACK. Both
//! are one packet each way. `--with-in-memory` adds a pass with the emulator `--in-memory`, to
//! separate the cost of durable commits. Prints one JSON line per measurement and a summary
//! table.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use iothub_twin::topics::{DESIRED_PATCHES, TWIN_RESPONSES};
use iothub_twin_bench::mosquitto::Mosquitto;
use iothub_twin_bench::raw::{self, RawClient, RoundTrip};
use iothub_twin_bench::{Emulator, cpu_time, load_average, percentile_ms, rss_kib, threads};
use rumqttc::mqttbytes::QoS;
use rumqttc::mqttbytes::v4::Connect;
use serde_json::json;
use tokio::task::JoinSet;

/// TLS handshakes + CONNECTs in flight while a fleet connects.
const CONNECT_CONCURRENCY: usize = 64;
/// Unrecorded load before each measurement.
const WARM_UP: Duration = Duration::from_secs(1);

struct Outcome {
    round_trips: usize,
    seconds: f64,
    sorted_us: Vec<u64>,
    server_cores: f64,
    generator_cores: f64,
}

impl Outcome {
    fn rate(&self) -> f64 {
        self.round_trips as f64 / self.seconds
    }
}

/// Every client does round trips of `kind`, one at a time, for `seconds`.
async fn load(
    clients: Vec<RawClient>,
    kind: RoundTrip,
    seconds: f64,
    server_pid: &str,
) -> anyhow::Result<(Vec<RawClient>, Outcome)> {
    let (server_cpu, own_cpu) = (cpu_time(server_pid)?, cpu_time("self")?);
    let start = Instant::now() + Duration::from_millis(50);
    let deadline = start + Duration::from_secs_f64(seconds);
    let mut tasks = JoinSet::new();
    for mut client in clients {
        tasks.spawn(async move {
            tokio::time::sleep_until(start.into()).await;
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let took = client.round_trip(kind).await?;
                latencies.push(took.as_micros() as u64);
            }
            anyhow::Ok((client, latencies))
        });
    }
    let mut clients = Vec::new();
    let mut sorted_us = Vec::new();
    while let Some(result) = tasks.join_next().await {
        let (client, latencies) = result??;
        clients.push(client);
        sorted_us.extend(latencies);
    }
    let wall = start.elapsed().as_secs_f64();
    let server_cores = (cpu_time(server_pid)? - server_cpu).as_secs_f64() / wall;
    let generator_cores = (cpu_time("self")? - own_cpu).as_secs_f64() / wall;
    sorted_us.sort_unstable();
    let outcome = Outcome {
        round_trips: sorted_us.len(),
        seconds: wall,
        sorted_us,
        server_cores,
        generator_cores,
    };
    Ok((clients, outcome))
}

/// Opens one connection per CONNECT, `CONNECT_CONCURRENCY` at a time, subscribing to the twin
/// filters (QoS 0) when `twin`.
async fn connect_all(
    port: u16,
    tls: &Arc<rustls::ClientConfig>,
    connects: Vec<Connect>,
    twin: bool,
) -> anyhow::Result<Vec<RawClient>> {
    let permits = Arc::new(tokio::sync::Semaphore::new(CONNECT_CONCURRENCY));
    let mut tasks = JoinSet::new();
    for connect in connects {
        let (tls, permits) = (tls.clone(), permits.clone());
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await?;
            let mut client = RawClient::connect(port, tls, connect).await?;
            if twin {
                client
                    .subscribe(&[
                        (TWIN_RESPONSES, QoS::AtMostOnce),
                        (DESIRED_PATCHES, QoS::AtMostOnce),
                    ])
                    .await?;
            }
            anyhow::Ok(client)
        });
    }
    let mut clients = Vec::new();
    while let Some(client) = tasks.join_next().await {
        clients.push(client??);
    }
    Ok(clients)
}

async fn disconnect_all(clients: Vec<RawClient>) {
    let mut tasks = JoinSet::new();
    for client in clients {
        tasks.spawn(client.disconnect());
    }
    while tasks.join_next().await.is_some() {}
}

/// What one server measured: (clients, outcome) and idle RSS per connection (KiB).
struct ServerRun {
    outcomes: Vec<(usize, Outcome)>,
    rss_per_connection_kib: f64,
}

/// The same sequence for either server: 1 client, then `n` idle clients (RSS), then `n` busy.
async fn measure(
    server: &str,
    pid: &str,
    port: u16,
    tls: Arc<rustls::ClientConfig>,
    connects: Vec<Connect>,
    kind: RoundTrip,
    seconds: f64,
) -> anyhow::Result<ServerRun> {
    let twin = kind == RoundTrip::TwinPatch;
    let n = connects.len();
    let mut outcomes = Vec::new();
    let one = connect_all(port, &tls, connects[..1].to_vec(), twin).await?;
    let (one, _) = load(one, kind, WARM_UP.as_secs_f64(), pid).await?;
    let (one, outcome) = load(one, kind, seconds, pid).await?;
    print_outcome(server, 1, &outcome);
    outcomes.push((1, outcome));
    disconnect_all(one).await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    let before = rss_kib(pid)?;
    let connecting = Instant::now();
    let fleet = connect_all(port, &tls, connects, twin).await?;
    let connect_seconds = connecting.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = rss_kib(pid)?;
    let rss_per_connection_kib = (after as f64 - before as f64) / n as f64;
    println!(
        "{}",
        json!({
            "benchmark": "mqtt_idle_rss", "server": server, "connections": n,
            "connect_seconds": round2(connect_seconds),
            "rss_before_kib": before, "rss_after_kib": after,
            "rss_per_connection_kib": round2(rss_per_connection_kib),
            "server_threads": threads(pid)?,
        })
    );
    let (fleet, _) = load(fleet, kind, WARM_UP.as_secs_f64(), pid).await?;
    let (fleet, outcome) = load(fleet, kind, seconds, pid).await?;
    print_outcome(server, n, &outcome);
    outcomes.push((n, outcome));
    println!(
        "{}",
        json!({"benchmark": "mqtt_busy_rss", "server": server, "connections": n, "rss_kib": rss_kib(pid)?})
    );
    disconnect_all(fleet).await;
    Ok(ServerRun {
        outcomes,
        rss_per_connection_kib,
    })
}

fn print_outcome(server: &str, clients: usize, outcome: &Outcome) {
    println!(
        "{}",
        json!({
            "benchmark": "mqtt_round_trips", "server": server, "clients": clients,
            "round_trips": outcome.round_trips, "seconds": round2(outcome.seconds),
            "per_second": outcome.rate().round(),
            "p50_ms": percentile_ms(&outcome.sorted_us, 0.5),
            "p99_ms": percentile_ms(&outcome.sorted_us, 0.99),
            "server_cpu_cores": round2(outcome.server_cores),
            "generator_cpu_cores": round2(outcome.generator_cores),
            "load_average": load_average(),
        })
    );
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: mqtt_twin EMULATOR_BINARY [SECONDS] [CLIENTS] [--with-in-memory]";
    let binary = args.next().context(usage)?;
    let seconds: f64 = args.next().map_or(Ok(5.0), |s| s.parse())?;
    let n: usize = args.next().map_or(Ok(1000), |s| s.parse())?;
    println!(
        "{}",
        json!({"benchmark": "mqtt_twin", "load_average": load_average(), "mosquitto": Mosquitto::version()})
    );

    let in_memory_too = args.next().as_deref() == Some("--with-in-memory");

    let devices: Vec<String> = (0..n).map(|i| format!("bench{i:05}")).collect();
    let mut runs = Vec::new();
    let stores: &[bool] = if in_memory_too {
        &[false, true]
    } else {
        &[false]
    };
    for &in_memory in stores {
        let emulator = Emulator::start(&binary, &devices, in_memory)?;
        let connects = devices
            .iter()
            .map(|d| raw::device_connect(emulator.device_connection_string(d)?))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let name = if in_memory {
            "emulator-in-memory"
        } else {
            "emulator"
        };
        let run = measure(
            name,
            &emulator.pid().to_string(),
            emulator.mqtt_port()?,
            raw::tls_config(&emulator.ca_pem()?)?,
            connects,
            RoundTrip::TwinPatch,
            seconds,
        )
        .await?;
        runs.push((name, run));
    }

    let mosquitto = Mosquitto::start()?;
    let connects = devices.iter().map(|d| raw::plain_connect(d)).collect();
    let baseline = measure(
        "mosquitto",
        &mosquitto.pid().to_string(),
        mosquitto.port,
        raw::tls_config(&mosquitto.ca_pem)?,
        connects,
        RoundTrip::Qos1Publish,
        seconds,
    )
    .await?;
    drop(mosquitto);
    let baseline_rates: Vec<f64> = baseline.outcomes.iter().map(|(_, o)| o.rate()).collect();
    runs.push(("mosquitto", baseline));

    println!();
    println!(
        "| server | clients | round trips/s | / mosquitto | p50 / p99 | idle RSS per connection |"
    );
    println!("|---|---|---|---|---|---|");
    for (name, run) in &runs {
        for ((clients, outcome), baseline) in run.outcomes.iter().zip(&baseline_rates) {
            println!(
                "| {name} | {clients} | {:.0} | {:.2} | {:.2} / {:.2} ms | {:.1} KiB |",
                outcome.rate(),
                outcome.rate() / baseline,
                percentile_ms(&outcome.sorted_us, 0.5),
                percentile_ms(&outcome.sorted_us, 0.99),
                run.rss_per_connection_kib,
            );
        }
    }
    Ok(())
}
