//! Latency of the emulator's twin queries: a selective `WHERE` (one match, so the whole fleet
//! is scanned), a full scan with a projection (every page, following continuations) and a
//! `GROUP BY` with `COUNT()`, over 10k and 100k twins, measured on the query engine directly
//! and, for 10k, through `POST /devices/query` (in-process emulator, HTTPS on loopback, one
//! keep-alive HTTP/1.1 connection, as the official SDKs use).
//!
//! Usage: `query [SAMPLES]` (default 30); run it as a release build:
//! `cargo run --release -p iothub-twin-bench --bin query`. Prints one JSON line per scenario
//! and a Markdown table.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use iothub_twin::auth::{SasToken, ServiceAuth, ServiceConnectionString, unix_time_now};
use iothub_twin_emulator::registry::{Device, IdentityBody, Registry};
use iothub_twin_emulator::{EmulatorConfig, RunningEmulator, query};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use serde_json::{Value, json};

const NOW: &str = "2026-11-27T10:00:00.0000000Z";

/// (name, query text, whether to follow every continuation).
fn scenarios(twins: usize) -> [(&'static str, String, bool); 3] {
    [
        (
            "selective WHERE",
            format!(
                "SELECT * FROM devices WHERE tags.serial = 'SN-{:06}'",
                twins / 2
            ),
            false,
        ),
        (
            "full scan, projection",
            "SELECT deviceId, tags.location.region AS region, properties.reported.firmware \
             FROM devices"
                .to_owned(),
            true,
        ),
        (
            "GROUP BY + COUNT",
            "SELECT properties.reported.telemetryConfig.status AS status, COUNT() AS n \
             FROM devices GROUP BY properties.reported.telemetryConfig.status"
                .to_owned(),
            false,
        ),
    ]
}

/// Device `i` of the benchmark fleet: tags, desired and reported like the guides' twins.
fn device(i: usize) -> anyhow::Result<(String, Device)> {
    let id = format!("device-{i:06}");
    let body = IdentityBody::parse(&json!({}), &id, None, None)?;
    let mut device = Device::create(&id, body, NOW);
    let region = ["US", "EU", "APAC"][i % 3];
    let status = ["Success", "Pending", "Error"][i % 3];
    let connectivity = ["wifi", "cellular"][i % 2];
    let tags = json!({
        "location": {"region": region, "plant": format!("plant{}", i % 50)},
        "serial": format!("SN-{i:06}"),
    });
    let desired = json!({"power_level": i % 10, "telemetryConfig": {"sendFrequencyInSecs": 60}});
    device
        .twin
        .service_patch(tags.as_object(), desired.as_object(), NOW)?;
    let reported = json!({
        "firmware": format!("1.{}", i % 7),
        "telemetryConfig": {"sendFrequencyInSecs": 30 * (i % 5), "status": status},
        "connectivity": {"type": connectivity},
    });
    device.twin.reported_patch(&reported, None, NOW)?;
    Ok((id, device))
}

fn fleet(twins: usize) -> anyhow::Result<Registry> {
    let mut registry = Registry::default();
    for i in 0..twins {
        let (id, device) = device(i)?;
        registry.devices.insert(id, device);
    }
    Ok(registry)
}

/// Items of one run on the engine: prepare, then one page or every page.
fn run_engine(registry: &Registry, text: &str, all_pages: bool) -> anyhow::Result<usize> {
    let prepared = query::prepare(text)?;
    Ok(if all_pages {
        prepared.all(registry)?.len()
    } else {
        prepared
            .page(registry, query::MAX_PAGE_SIZE, None)?
            .items
            .len()
    })
}

struct Client {
    http: reqwest::Client,
    url: String,
    token: String,
}

impl Client {
    fn new(hub: &RunningEmulator) -> anyhow::Result<Self> {
        let cs: ServiceConnectionString = hub.service_connection_string().parse()?;
        let ServiceAuth::SharedAccessKey(key) = &cs.auth else {
            anyhow::bail!("key expected")
        };
        let token = SasToken::generate(
            &cs.host_name.to_string(),
            key,
            Some(&cs.key_name),
            unix_time_now() + 3600,
        );
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(hub.ca_cert_pem.as_bytes()) {
            roots.add(cert?)?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            http: reqwest::Client::builder()
                .tls_backend_preconfigured(tls)
                .http1_only()
                .build()?,
            url: format!(
                "https://{}/devices/query?api-version=2021-04-12",
                cs.host_name
            ),
            token: token.expose_secret().to_owned(),
        })
    }

    /// Items of one run through REST, following continuations when `all_pages`.
    async fn run(&self, text: &str, all_pages: bool) -> anyhow::Result<usize> {
        let mut items = 0;
        let mut continuation: Option<String> = None;
        loop {
            let mut request = self
                .http
                .post(&self.url)
                .header("authorization", &self.token)
                .json(&json!({"query": text}));
            if let Some(token) = &continuation {
                request = request.header("x-ms-continuation", token);
            }
            let response = request.send().await?;
            anyhow::ensure!(
                response.status().is_success(),
                "{text}: {}",
                response.status()
            );
            continuation = response
                .headers()
                .get("x-ms-continuation")
                .map(|v| v.to_str().map(str::to_owned))
                .transpose()?;
            items += response.json::<Vec<Value>>().await?.len();
            if !all_pages || continuation.is_none() {
                return Ok(items);
            }
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// (p50, p99) in ms of `samples` timed runs after one warm-up run.
async fn measure<F, Fut>(samples: usize, mut run: F) -> anyhow::Result<(f64, f64, usize)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<usize>>,
{
    let items = run().await?;
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples {
        let start = Instant::now();
        anyhow::ensure!(run().await? == items, "results changed between runs");
        times.push(start.elapsed());
    }
    times.sort_unstable();
    Ok((percentile(&times, 0.5), percentile(&times, 0.99), items))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let samples: usize = std::env::args()
        .nth(1)
        .map_or(Ok(30), |s| s.parse())
        .context("usage: query [SAMPLES]")?;
    let mut rows = Vec::new();
    for twins in [10_000, 100_000] {
        let built = Instant::now();
        let registry = Arc::new(fleet(twins)?);
        eprintln!(
            "built {twins} twins in {:.1} s",
            built.elapsed().as_secs_f64()
        );
        for (name, text, all_pages) in scenarios(twins) {
            let registry = Arc::clone(&registry);
            let (p50, p99, items) = measure(samples, || {
                let registry = Arc::clone(&registry);
                let text = text.clone();
                async move { run_engine(&registry, &text, all_pages) }
            })
            .await?;
            println!(
                "{}",
                json!({"benchmark": "query", "via": "engine", "twins": twins, "query": name, "items": items, "p50_ms": p50, "p99_ms": p99})
            );
            rows.push((name, twins, "engine", p50, p99));
        }
    }

    let hub = RunningEmulator::start(EmulatorConfig::ephemeral()).await?;
    let twins = 10_000;
    hub.store()
        .write(|registry, changes| {
            for i in 0..twins {
                let (id, device) = device(i)
                    .map_err(|e| iothub_twin_emulator::HubError::invalid(e.to_string()))?;
                registry.devices.insert(id.clone(), device);
                changes.touch(&id, None);
            }
            Ok(())
        })
        .await?;
    let client = Client::new(&hub)?;
    for (name, text, all_pages) in scenarios(twins) {
        let (p50, p99, items) = measure(samples, || client.run(&text, all_pages)).await?;
        println!(
            "{}",
            json!({"benchmark": "query", "via": "rest", "twins": twins, "query": name, "items": items, "p50_ms": p50, "p99_ms": p99})
        );
        rows.push((name, twins, "REST", p50, p99));
    }
    hub.shutdown().await;

    println!();
    println!("| query | twins | via | p50 ms | p99 ms |");
    println!("|---|---|---|---|---|");
    for (name, twins, via, p50, p99) in rows {
        println!("| {name} | {twins} | {via} | {p50:.2} | {p99:.2} |");
    }
    Ok(())
}
