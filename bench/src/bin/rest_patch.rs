//! Twin PATCH throughput of the emulator's REST API, durable (SQLite, group commit) versus
//! `--in-memory`, from 1 client and from 64 concurrent clients.
//!
//! Usage: `rest_patch EMULATOR_BINARY [SECONDS_PER_SCENARIO]` (`make bench` passes the release
//! build). Each scenario starts a fresh emulator process, creates one device per client, then
//! has each client PATCH desired properties of its own device in a loop, waiting for each
//! answer, over its own HTTP/1.1 keep-alive connection (as the official SDKs do). Prints one
//! JSON line per scenario and a summary table with the durable/in-memory ratios.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use iothub_twin_bench::Emulator;
use iothub_twin_test_support::{Service, tls_config};
use serde_json::{Value, json};

/// One client: the shared REST client over its own HTTP/1.1 keep-alive connection.
fn client(emulator: &Emulator) -> anyhow::Result<Service> {
    let mut tls = tls_config(&emulator.ca_pem()?, rustls::DEFAULT_VERSIONS);
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Service::with_tls(
        &emulator.ready().service_connection_string,
        tls,
    ))
}

/// Sends `method path body`; an error unless the hub answered with success.
async fn send(
    client: &Service,
    method: reqwest::Method,
    path: &str,
    body: &Value,
) -> anyhow::Result<()> {
    let (status, _) = client.send(method, path, Some(body), None).await?;
    anyhow::ensure!((200..300).contains(&status), "{path}: {status}");
    Ok(())
}

struct Outcome {
    requests: usize,
    seconds: f64,
    latencies_us: Vec<u64>,
}

async fn scenario(
    binary: &str,
    durable: bool,
    clients: usize,
    seconds: f64,
) -> anyhow::Result<Outcome> {
    let emulator = Emulator::start(binary, &[], !durable)?;
    let mut workers = Vec::new();
    for i in 0..clients {
        let client = client(&emulator)?;
        send(
            &client,
            reqwest::Method::PUT,
            &format!("/devices/bench{i}"),
            &json!({}),
        )
        .await?;
        workers.push(client);
    }
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(seconds);
    let tasks: Vec<_> = workers
        .into_iter()
        .enumerate()
        .map(|(i, client)| {
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut n = 0u64;
                while Instant::now() < deadline {
                    let body =
                        json!({"properties": {"desired": {"power_level": n, "mode": "bench"}}});
                    let sent = Instant::now();
                    send(
                        &client,
                        reqwest::Method::PATCH,
                        &format!("/twins/bench{i}"),
                        &body,
                    )
                    .await?;
                    latencies.push(sent.elapsed().as_micros() as u64);
                    n += 1;
                }
                anyhow::Ok(latencies)
            })
        })
        .collect();
    let mut latencies_us = Vec::new();
    for task in tasks {
        latencies_us.extend(task.await??);
    }
    let seconds = start.elapsed().as_secs_f64();
    latencies_us.sort_unstable();
    Ok(Outcome {
        requests: latencies_us.len(),
        seconds,
        latencies_us,
    })
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index] as f64 / 1000.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let binary = args
        .next()
        .context("usage: rest_patch EMULATOR_BINARY [SECONDS]")?;
    let seconds: f64 = args.next().map_or(Ok(5.0), |s| s.parse())?;
    let mut rates = std::collections::BTreeMap::new();
    for clients in [1, 64] {
        for durable in [true, false] {
            let outcome = scenario(&binary, durable, clients, seconds).await?;
            let rate = outcome.requests as f64 / outcome.seconds;
            let line = json!({
                "benchmark": "rest_twin_patch",
                "store": if durable { "durable" } else { "in-memory" },
                "clients": clients,
                "requests": outcome.requests,
                "seconds": (outcome.seconds * 100.0).round() / 100.0,
                "requests_per_second": rate.round(),
                "p50_ms": percentile(&outcome.latencies_us, 0.5),
                "p99_ms": percentile(&outcome.latencies_us, 0.99),
            });
            println!("{line}");
            rates.insert((clients, durable), rate);
        }
    }
    println!();
    println!("| clients | durable req/s | in-memory req/s | durable / in-memory |");
    println!("|---|---|---|---|");
    for clients in [1, 64] {
        let (durable, memory) = (rates[&(clients, true)], rates[&(clients, false)]);
        println!(
            "| {clients} | {durable:.0} | {memory:.0} | {:.2} |",
            durable / memory
        );
    }
    Ok(())
}
