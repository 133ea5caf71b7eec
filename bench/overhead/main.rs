//! The binding overhead, one run: one device, sequential reported-patch round trips on one
//! emulator (release, `--in-memory`, free ports), through the raw wire generator
//! (`bench/src/raw.rs`: rumqttc's codec over tokio-rustls, nothing else), the Rust
//! `DeviceClient`, the Python package (aio) and the Node package. Each prints its round trips
//! per second, mean µs per round trip and CPU µs per round trip (its own process; the Rust
//! figures are this process's CPU over each phase). The ratios are the targets': Rust / raw,
//! Python / Rust, Node / Rust.
//!
//! Usage: `overhead EMULATOR_BINARY SECONDS PYTHON NODE_ADDON` (PYTHON: a Python with the
//! iothub-twin wheel installed; NODE_ADDON: the release `.node` file; `-` for either skips it).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use iothub_twin::tls::Trust;
use iothub_twin::{DeviceClient, DeviceClientOptions};
use iothub_twin_bench::raw::{self, RawClient, RoundTrip};
use iothub_twin_bench::{Emulator, cpu_time, load_average};
use rumqttc::mqttbytes::QoS;
use serde_json::{Value, json};

/// Unrecorded round trips before each measurement.
const WARM_UP: Duration = Duration::from_secs(1);

/// Runs `op` for `seconds` after a warm-up; (round trips, wall µs each, CPU µs each).
async fn measure<F, Fut>(seconds: f64, mut op: F) -> anyhow::Result<Value>
where
    F: FnMut(u64) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let warm = Instant::now();
    let mut n = 0;
    while warm.elapsed() < WARM_UP {
        op(n).await?;
        n += 1;
    }
    let (started, cpu_before) = (Instant::now(), cpu_time("self")?);
    let deadline = started + Duration::from_secs_f64(seconds);
    let mut count = 0u64;
    while Instant::now() < deadline {
        op(n).await?;
        n += 1;
        count += 1;
    }
    let wall = started.elapsed().as_secs_f64();
    let cpu = (cpu_time("self")? - cpu_before).as_secs_f64();
    Ok(json!({
        "round_trips": count,
        "per_s": (count as f64 / wall).round(),
        "mean_us": round1(wall * 1e6 / count as f64),
        "cpu_us": round1(cpu * 1e6 / count as f64),
    }))
}

async fn raw_generator(emulator: &Emulator, seconds: f64) -> anyhow::Result<Value> {
    let tls = raw::tls_config(&emulator.ca_pem()?)?;
    let connect = raw::device_connect(emulator.device_connection_string("raw")?)?;
    let mut client = RawClient::connect(emulator.mqtt_port()?, tls, connect).await?;
    client
        .subscribe(&[("$iothub/twin/res/#", QoS::AtMostOnce)])
        .await?;
    let client = tokio::sync::Mutex::new(client);
    let result = measure(seconds, |_| async {
        client.lock().await.round_trip(RoundTrip::TwinPatch).await?;
        Ok(())
    })
    .await?;
    client.into_inner().disconnect().await?;
    Ok(result)
}

async fn rust_client(emulator: &Emulator, seconds: f64) -> anyhow::Result<Value> {
    let options = DeviceClientOptions {
        trust: Trust::Pem(emulator.ca_pem()?),
        ..Default::default()
    };
    let client = DeviceClient::connect(emulator.device_connection_string("rust")?, options).await?;
    let result = measure(seconds, |n| {
        let client = &client;
        async move {
            let patch = json!({"bench": {"n": n, "mode": "steady", "ok": true}});
            client.patch_twin_reported_properties(&patch).await?;
            Ok(())
        }
    })
    .await?;
    client.close().await;
    Ok(result)
}

/// A client script's one JSON line.
fn child(mut command: Command) -> anyhow::Result<Value> {
    let output = command.output().with_context(|| format!("{command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let stdout = String::from_utf8(output.stdout)?;
    let line = stdout.lines().last().context("no output")?;
    Ok(serde_json::from_str(line)?)
}

fn ratio(a: &Value, b: &Value, key: &str) -> f64 {
    let (a, b) = (
        a[key].as_f64().unwrap_or(f64::NAN),
        b[key].as_f64().unwrap_or(f64::NAN),
    );
    (a / b * 100.0).round() / 100.0
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: overhead EMULATOR_BINARY SECONDS PYTHON NODE_ADDON";
    let binary = args.next().context(usage)?;
    let seconds: f64 = args.next().context(usage)?.parse()?;
    let python = args.next().context(usage)?;
    let addon = args.next().context(usage)?;
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("overhead");
    let devices = ["raw", "rust", "python", "node"].map(str::to_owned);
    let emulator = Emulator::start(&binary, &devices, true)?;
    let ca = emulator.ready().ca_cert.clone();

    let raw = raw_generator(&emulator, seconds).await?;
    let rust = rust_client(&emulator, seconds).await?;
    let python = if python == "-" {
        Value::Null
    } else {
        let mut command = Command::new(&python);
        command
            .arg(here.join("python_client.py"))
            .arg(emulator.device_connection_string("python")?)
            .arg(&ca)
            .arg(seconds.to_string());
        child(command)?
    };
    let node = if addon == "-" {
        Value::Null
    } else {
        let mut command = Command::new("node");
        command
            .arg(here.join("node_client.js"))
            .arg(emulator.device_connection_string("node")?)
            .arg(seconds.to_string())
            .env("NODE_EXTRA_CA_CERTS", &ca)
            .env(
                "NAPI_RS_NATIVE_LIBRARY_PATH",
                std::fs::canonicalize(&addon)?,
            )
            .env("IOTHUB_TWIN_PACKAGE", here.join("../../bindings-node"));
        child(command)?
    };

    for (name, figures) in [
        ("raw", &raw),
        ("rust", &rust),
        ("python", &python),
        ("node", &node),
    ] {
        println!(
            "{}",
            json!({"benchmark": "overhead", "client": name, "figures": figures})
        );
    }
    println!(
        "{}",
        json!({
            "benchmark": "overhead_ratios", "seconds": seconds, "load_average": load_average(),
            "rust_over_raw_mean": ratio(&rust, &raw, "mean_us"),
            "rust_over_raw_cpu": ratio(&rust, &raw, "cpu_us"),
            "python_over_rust_mean": ratio(&python, &rust, "mean_us"),
            "python_over_rust_cpu": ratio(&python, &rust, "cpu_us"),
            "node_over_rust_mean": ratio(&node, &rust, "mean_us"),
            "node_over_rust_cpu": ratio(&node, &rust, "cpu_us"),
        })
    );
    Ok(())
}
