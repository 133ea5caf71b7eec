//! Service-client round trips per second: iothub-twin's `ServiceClient` against the official
//! Python service SDK (azure-iot-hub 2.7.0), same emulator, same calls, in one run.
//!
//! Usage: `service_client EMULATOR_BINARY [SECONDS_PER_CALL [PYTHON]]` (`make bench` passes the
//! release build; PYTHON defaults to the repo's `.venv/bin/python`, which `make tools` creates).
//!
//! One emulator process (release build, `--in-memory`, so both clients are measured rather than
//! the disk) with one device. Each client makes one call at a time, waiting for each answer,
//! for SECONDS per call: `get_twin`, `update_twin` (desired patch, `If-Match: "*"`) and, when
//! the emulator answers `POST /devices/query`, a one-device query. Prints one JSON line per
//! client and call, then a table with the ratios.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use iothub_twin::service::{Authentication, Device, QueryOptions};
use iothub_twin::tls::Trust;
use iothub_twin::{ServiceClient, ServiceClientOptions};
use iothub_twin_bench::Emulator;
use serde_json::{Value, json};

const DEVICE: &str = "bench-device";
const QUERY: &str = "SELECT * FROM devices WHERE deviceId = 'bench-device'";

struct Rate {
    calls: usize,
    per_second: f64,
    p50_ms: f64,
}

/// Calls `call` one at a time for `seconds` (after 3 warm-up calls).
async fn measure<F, Fut>(seconds: f64, mut call: F) -> anyhow::Result<Rate>
where
    F: FnMut(u64) -> Fut,
    Fut: Future<Output = iothub_twin::Result<()>>,
{
    for n in 0..3 {
        call(n).await?;
    }
    let mut latencies = Vec::new();
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(seconds);
    let mut n = 3;
    while Instant::now() < deadline {
        let sent = Instant::now();
        call(n).await?;
        latencies.push(sent.elapsed());
        n += 1;
    }
    let elapsed = start.elapsed().as_secs_f64();
    latencies.sort_unstable();
    Ok(Rate {
        calls: latencies.len(),
        per_second: latencies.len() as f64 / elapsed,
        p50_ms: latencies
            .get(latencies.len() / 2)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0),
    })
}

async fn rust_client(
    client: &ServiceClient,
    seconds: f64,
    with_query: bool,
) -> anyhow::Result<BTreeMap<&'static str, Rate>> {
    let mut rates = BTreeMap::new();
    rates.insert(
        "get_twin",
        measure(seconds, |_| async {
            client.get_twin(DEVICE).await.map(drop)
        })
        .await?,
    );
    rates.insert(
        "update_twin",
        measure(seconds, |n| async move {
            let patch = json!({"properties": {"desired": {"power_level": n, "mode": "bench"}}});
            client.update_twin(DEVICE, &patch, None).await.map(drop)
        })
        .await?,
    );
    if with_query {
        let options = QueryOptions {
            page_size: Some(100),
            continuation: None,
        };
        rates.insert(
            "query",
            measure(seconds, |_| async {
                client.query_page(QUERY, &options).await.map(drop)
            })
            .await?,
        );
    }
    Ok(rates)
}

fn python_sdk(
    python: &str,
    emulator: &Emulator,
    seconds: f64,
    with_query: bool,
) -> anyhow::Result<BTreeMap<String, Value>> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("service_sdk.py");
    let mut command = Command::new(python);
    command
        .arg(&script)
        .arg(&emulator.ready().service_connection_string)
        .arg(&emulator.ready().ca_cert)
        .arg(DEVICE)
        .arg(seconds.to_string());
    if with_query {
        command.arg(QUERY);
    }
    let output = command
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("running {python} {}", script.display()))?;
    anyhow::ensure!(output.status.success(), "{} failed", script.display());
    String::from_utf8(output.stdout)?
        .lines()
        .map(|line| {
            let value: Value = serde_json::from_str(line)?;
            Ok((value["call"].as_str().unwrap_or_default().to_owned(), value))
        })
        .collect()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let binary = args
        .next()
        .context("usage: service_client EMULATOR_BINARY [SECONDS [PYTHON]]")?;
    let seconds: f64 = args.next().map_or(Ok(5.0), |s| s.parse())?;
    let python = args.next().unwrap_or_else(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        root.join(".venv/bin/python").display().to_string()
    });

    let emulator = Emulator::start(&binary, &[], true)?;
    let options = ServiceClientOptions {
        trust: Trust::Pem(emulator.ca_pem()?),
        ..Default::default()
    };
    let client = ServiceClient::from_connection_string(
        &emulator.ready().service_connection_string,
        options,
    )?;
    client
        .create_device(&Device::new(DEVICE, Authentication::sas()))
        .await?;
    let with_query = match client.query_page(QUERY, &QueryOptions::default()).await {
        Ok(_) => true,
        Err(e) => {
            eprintln!(
                "query is not measured: the emulator does not answer POST /devices/query ({e})"
            );
            false
        }
    };

    let rust = rust_client(&client, seconds, with_query).await?;
    for (call, rate) in &rust {
        let line = json!({"benchmark": "service_client", "client": "iothub-twin (Rust)", "call": call,
            "calls": rate.calls, "per_second": rate.per_second.round(), "p50_ms": rate.p50_ms});
        println!("{line}");
    }
    let python = python_sdk(&python, &emulator, seconds, with_query)?;
    for value in python.values() {
        let line = json!({"benchmark": "service_client", "client": "azure-iot-hub 2.7.0 (Python)",
            "call": value["call"], "calls": value["calls"], "per_second": value["per_second"].as_f64().unwrap_or(0.0).round(), "p50_ms": value["p50_ms"]});
        println!("{line}");
    }

    println!();
    println!(
        "| call | iothub-twin calls/s | azure-iot-hub calls/s | ratio | p50 iothub-twin / azure-iot-hub |"
    );
    println!("|---|---|---|---|---|");
    for (call, rate) in &rust {
        let theirs = &python[*call];
        let their_rate = theirs["per_second"].as_f64().unwrap_or(f64::NAN);
        let their_p50 = theirs["p50_ms"].as_f64().unwrap_or(f64::NAN);
        println!(
            "| {call} | {:.0} | {their_rate:.0} | {:.1}x | {:.2} / {their_p50:.2} ms |",
            rate.per_second,
            rate.per_second / their_rate,
            rate.p50_ms
        );
    }
    Ok(())
}
