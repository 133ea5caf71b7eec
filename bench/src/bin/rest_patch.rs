//! Twin PATCH throughput of the emulator's REST API, durable (SQLite, group commit) versus
//! `--in-memory`, from 1 client and from 64 concurrent clients.
//!
//! Usage: `rest_patch EMULATOR_BINARY [SECONDS_PER_SCENARIO]` (`make bench` passes the release
//! build). Each scenario starts a fresh emulator process, creates one device per client, then
//! has each client PATCH desired properties of its own device in a loop, waiting for each
//! answer, over its own HTTP/1.1 keep-alive connection (as the official SDKs do). Prints one
//! JSON line per scenario and a summary table with the durable/in-memory ratios.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use iothub_twin::auth::{SasToken, ServiceAuth, ServiceConnectionString, unix_time_now};
use iothub_twin_bench::Emulator;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use serde_json::{Value, json};

struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    fn new(ready: &Value) -> anyhow::Result<Self> {
        let cs: ServiceConnectionString = ready["service_connection_string"]
            .as_str()
            .context("cs")?
            .parse()?;
        let ServiceAuth::SharedAccessKey(key) = &cs.auth else {
            anyhow::bail!("key expected")
        };
        let token = SasToken::generate(
            &cs.host_name.to_string(),
            key,
            Some(&cs.key_name),
            unix_time_now() + 3600,
        );
        let ca = std::fs::read(ready["ca_cert"].as_str().context("ca")?)?;
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(&ca) {
            roots.add(cert?)?;
        }
        let mut tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            http: reqwest::Client::builder()
                .tls_backend_preconfigured(tls)
                .http1_only()
                .build()?,
            base: format!("https://{}", cs.host_name),
            token: token.expose_secret().to_owned(),
        })
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: &Value) -> anyhow::Result<()> {
        let response = self
            .http
            .request(
                method,
                format!("{}{path}?api-version=2021-04-12", self.base),
            )
            .header("authorization", &self.token)
            .json(body)
            .send()
            .await?;
        anyhow::ensure!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.bytes().await?;
        Ok(())
    }
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
        let client = Client::new(&emulator.ready)?;
        client
            .send(
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
                    client
                        .send(reqwest::Method::PATCH, &format!("/twins/bench{i}"), &body)
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
