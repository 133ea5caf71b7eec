//! Issue #10 item 1, crash safety: while half the clients patch reported properties over MQTT
//! (core `DeviceClient`s) and half patch desired properties over REST (core `ServiceClient`s),
//! the emulator binary is killed with SIGKILL at random moments and restarted on the same data
//! dir. The clients reach it through a proxy that is re-pointed at each restart's new ports, so
//! they must reconnect by themselves.
//!
//! Every write sets `seq`, `a` and `b.seq` of its section to the writer's next sequence number,
//! so after each restart the hub's state decides: every acknowledged write is there (`seq` not
//! below the last acknowledged one), nothing unacknowledged is half-applied (the three values
//! agree), and `$version`s never went backwards (not below the last acknowledged one nor the one
//! seen after the previous restart, nor the one a reader was shown: four more clients read
//! twins all along). At the end each device's view of desired (baseline read + desired stream)
//! must equal the hub's.
//!
//! Sizes: `RELIABILITY_KILLS` (3; the soak runs 10), `RELIABILITY_CRASH_CLIENTS` (50).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use iothub_twin::auth::HostPort;
use iothub_twin::tls::Trust;
use iothub_twin::twin::TwinCollection;
use iothub_twin::{
    DeviceClient, DeviceClientOptions, RetryPolicy, ServiceClient, ServiceClientOptions,
};
use iothub_twin_reliability::ledger::{Ledger, Section, totals};
use iothub_twin_reliability::proxy::ChaosProxy;
use iothub_twin_reliability::view::{DesiredView, keep_desired_view, lock};
use iothub_twin_reliability::writers::{Pace, write_desired, write_reported};
use iothub_twin_reliability::{env_size, seeded_rng, service_connection_string_via};
use iothub_twin_test_support::EmulatorProcess;
use rand::rngs::StdRng;
use rand::{RngExt as _, SeedableRng as _};
use serde_json::{Value, json};

/// Clients that only read twins (besides the writers).
const READERS: usize = 4;
/// A client gives up on a call after this long (the call then counts as unacknowledged).
const CALL_DEADLINE: Duration = Duration::from_secs(10);

fn write(seq: u64) -> Value {
    json!({"seq": seq, "a": seq, "b": {"seq": seq}})
}

fn quick_reconnect() -> RetryPolicy {
    RetryPolicy {
        initial_delay: Duration::from_millis(100),
        max_delay: Duration::from_secs(1),
        multiplier: 2.0,
        jitter: 0.2,
        max_retries: None,
    }
}

async fn start(dir: std::path::PathBuf, devices: Vec<String>) -> EmulatorProcess {
    tokio::task::spawn_blocking(move || EmulatorProcess::start(&dir, &devices))
        .await
        .expect("the start thread does not panic")
}

struct Clients {
    ledger: Arc<Ledger>,
    stop: Arc<AtomicBool>,
    /// Writers and readers.
    tasks: Vec<tokio::task::JoinHandle<()>>,
    /// Each device client with its application's view of desired properties.
    views: Vec<(String, DeviceClient, Arc<Mutex<DesiredView>>)>,
    view_tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Clients {
    async fn start(
        hub: &EmulatorProcess,
        devices: &[String],
        mqtt: u16,
        https: u16,
        seed: u64,
    ) -> Self {
        let ledger = Arc::new(Ledger::default());
        let stop = Arc::new(AtomicBool::new(false));
        let ca = hub.ca_pem();
        let service_cs = service_connection_string_via(&hub.service_connection_string(), https);
        let mut tasks = Vec::new();
        let mut views = Vec::new();
        let mut view_tasks = Vec::new();
        for (n, device) in devices.iter().enumerate() {
            let options = DeviceClientOptions {
                trust: Trust::Pem(ca.clone()),
                endpoint: Some(HostPort::new("localhost", Some(mqtt)).expect("a host")),
                operation_timeout: CALL_DEADLINE,
                reconnect: quick_reconnect(),
                ..Default::default()
            };
            let client = DeviceClient::connect(&hub.device_connection_string(device), options)
                .await
                .expect("the device connects");
            let service = proxied_service_client(&service_cs, &ca);
            let seed = seed.wrapping_add(n as u64 * 2);
            let view = Arc::new(Mutex::new(DesiredView::default()));
            view_tasks.push(tokio::spawn(keep_desired_view(
                client.clone(),
                view.clone(),
            )));
            views.push((device.clone(), client.clone(), view));
            let pace = |seed| Pace {
                ledger: ledger.clone(),
                stop: stop.clone(),
                rng: StdRng::seed_from_u64(seed),
                pause_ms: 10..=60,
            };
            let reported = write_reported(client, device.clone(), write, pace(seed));
            tasks.push(tokio::spawn(async move {
                reported.await;
            }));
            let desired = write_desired(service, vec![device.clone()], write, pace(seed + 1));
            tasks.push(tokio::spawn(desired));
        }
        for n in 0..READERS {
            let service = proxied_service_client(&service_cs, &ca);
            let rng = StdRng::seed_from_u64(seed.wrapping_sub(n as u64 + 1));
            tasks.push(tokio::spawn(reader(
                service,
                devices.to_vec(),
                ledger.clone(),
                stop.clone(),
                rng,
            )));
        }
        Self {
            ledger,
            stop,
            tasks,
            views,
            view_tasks,
        }
    }

    /// Waits (bounded) until `more` writes beyond `since` are acknowledged: the load flows.
    async fn wait_for_acks(&self, since: u64, more: u64, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.ledger.total_acks() < since + more {
            assert!(
                Instant::now() < deadline,
                "{what}: only {} of {more} writes acknowledged in 60 s: the clients did not recover",
                self.ledger.total_acks() - since
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops the writers and readers; then each device's view of desired must catch up with
    /// the hub's (bounded wait). Returns the ledger and the divergent devices.
    async fn stop(self, hub: &EmulatorProcess) -> (Arc<Ledger>, Vec<String>) {
        self.stop.store(true, Ordering::Relaxed);
        for task in self.tasks {
            task.await.expect("a writer or reader does not panic");
        }
        let direct = direct_client(hub);
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut divergent = Vec::new();
        for (device, client, view) in &self.views {
            loop {
                let twin = direct.get_twin(device).await.expect("the hub answers");
                let desired = twin.properties.expect("a twin has properties").desired;
                let seen = lock(view).clone();
                if seen.version == desired.version() && seen.properties == desired.to_properties() {
                    break;
                }
                if Instant::now() > deadline {
                    divergent.push(format!(
                        "{device}: the device sees desired {seen:?}, the hub has {:?}",
                        desired.0
                    ));
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            client.close().await;
        }
        for task in self.view_tasks {
            task.await.expect("a view task does not panic");
        }
        (self.ledger, divergent)
    }
}

/// Reads random twins and records the `$version`s it was shown: what a hub shows, even before
/// acknowledging it, must not go back after a crash.
async fn reader(
    service: ServiceClient,
    devices: Vec<String>,
    ledger: Arc<Ledger>,
    stop: Arc<AtomicBool>,
    mut rng: StdRng,
) {
    while !stop.load(Ordering::Relaxed) {
        let device = &devices[rng.random_range(0..devices.len())];
        if let Ok(twin) = service.get_twin(device).await
            && let Some(properties) = twin.properties
        {
            for (section, collection) in [
                (Section::Desired, &properties.desired),
                (Section::Reported, &properties.reported),
            ] {
                ledger.observe(device, section, collection.version().unwrap_or(0));
            }
        }
    }
}

/// The sequence number a section holds, or why it is inconsistent (half-applied).
fn section_seq(section: &TwinCollection) -> Result<u64, String> {
    let properties = section.to_properties();
    if properties.is_empty() {
        return Ok(0);
    }
    let seq = properties.get("seq").and_then(Value::as_u64);
    let a = properties.get("a").and_then(Value::as_u64);
    let b = properties.get("b").and_then(|b| b["seq"].as_u64());
    match (seq, a, b) {
        (Some(seq), Some(a), Some(b)) if seq == a && seq == b && properties.len() == 3 => Ok(seq),
        _ => Err(format!("half-applied: {}", Value::Object(properties))),
    }
}

/// A service client through the proxy (`service_cs` names the proxy's port), with the calls'
/// deadline.
fn proxied_service_client(service_cs: &str, ca: &str) -> ServiceClient {
    ServiceClient::from_connection_string(
        service_cs,
        ServiceClientOptions {
            trust: Trust::Pem(ca.to_owned()),
            timeout: CALL_DEADLINE,
            connect_timeout: Duration::from_secs(2),
            ..Default::default()
        },
    )
    .expect("a service client")
}

/// A service client straight to `hub`, not through the proxy.
fn direct_client(hub: &EmulatorProcess) -> ServiceClient {
    ServiceClient::from_connection_string(
        &hub.service_connection_string(),
        ServiceClientOptions {
            trust: Trust::Pem(hub.ca_pem()),
            ..Default::default()
        },
    )
    .expect("a direct service client")
}

/// Reads every twin straight from `hub` (not through the proxy) and checks it against the
/// ledger. `seen` holds each section's `$version` from the previous check. Returns the broken
/// promises.
async fn check(
    hub: &EmulatorProcess,
    ledger: &Ledger,
    seen: &mut BTreeMap<(String, Section), u64>,
    devices: &[String],
) -> Vec<String> {
    let direct = direct_client(hub);
    // Acknowledgements before the reads, attempts after: writes racing the reads cannot make
    // a correct hub look wrong.
    let acked = ledger.snapshot();
    let mut twins = BTreeMap::new();
    for device in devices {
        let twin = direct
            .get_twin(device)
            .await
            .expect("the restarted hub answers");
        twins.insert(
            device.clone(),
            twin.properties.expect("a twin has properties"),
        );
    }
    let attempted = ledger.snapshot();
    let mut broken = Vec::new();
    for (device, properties) in &twins {
        for (section, collection) in [
            (Section::Desired, &properties.desired),
            (Section::Reported, &properties.reported),
        ] {
            let key = (device.clone(), section);
            let version = collection.version().unwrap_or(0);
            let seq = match section_seq(collection) {
                Ok(seq) => seq,
                Err(why) => {
                    broken.push(format!("{device} {section:?}: {why}"));
                    continue;
                }
            };
            if let Some(last) = acked.get(&key).and_then(|e| e.acked) {
                if seq < last.seq {
                    broken.push(format!(
                        "{device} {section:?}: acknowledged write {} lost (hub has {seq})",
                        last.seq
                    ));
                }
                if version < last.version {
                    broken.push(format!(
                        "{device} {section:?}: $version {version} below the acknowledged {}",
                        last.version
                    ));
                }
            }
            let shown = acked.get(&key).map_or(0, |e| e.observed);
            if version < shown {
                broken.push(format!(
                    "{device} {section:?}: $version {version} below the {shown} a reader was shown"
                ));
            }
            let sent = attempted.get(&key).map_or(0, |e| e.attempted);
            if seq > sent {
                broken.push(format!(
                    "{device} {section:?}: holds write {seq}, never sent (last sent {sent})"
                ));
            }
            if let Some(before) = seen.insert(key, version)
                && version < before
            {
                broken.push(format!(
                    "{device} {section:?}: $version went back from {before} to {version}"
                ));
            }
        }
    }
    broken.extend(attempted.values().flat_map(|e| e.regressions.clone()));
    broken
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a reliability harness against the emulator binary: `make reliability` runs it"]
async fn kill_9_at_random_moments_loses_no_acknowledged_write() {
    let kills = env_size("RELIABILITY_KILLS", 3);
    let clients = env_size("RELIABILITY_CRASH_CLIENTS", 50).max(2);
    let (mut rng, seed) = seeded_rng("crash_safety");
    let dir = tempfile::tempdir().expect("a temp dir");
    let devices: Vec<String> = (0..clients / 2).map(|i| format!("crash{i:02}")).collect();
    let mut hub = start(dir.path().to_owned(), devices.clone()).await;
    let mqtt = ChaosProxy::start(hub.mqtt_addr(), seed);
    let https = ChaosProxy::start(hub.https_addr(), seed);
    let writers = Clients::start(
        &hub,
        &devices,
        mqtt.addr().port(),
        https.addr().port(),
        seed,
    )
    .await;
    let mut seen = BTreeMap::new();
    let mut broken = Vec::new();
    let mut restart_times = Vec::new();
    for kill in 1..=kills {
        writers
            .wait_for_acks(
                writers.ledger.total_acks(),
                50,
                &format!("before kill {kill}"),
            )
            .await;
        // The random moment: anywhere in the next two seconds of load.
        tokio::time::sleep(Duration::from_millis(rng.random_range(0..=2000))).await;
        assert!(
            hub.has_exited().is_none(),
            "the emulator crashed by itself before kill {kill}"
        );
        hub.kill_9();
        let restarting = Instant::now();
        hub = start(dir.path().to_owned(), devices.clone()).await;
        restart_times.push(restarting.elapsed());
        let found = check(&hub, &writers.ledger, &mut seen, &devices).await;
        println!(
            "crash_safety: kill {kill}: {} broken promises, {} writes acknowledged so far",
            found.len(),
            writers.ledger.total_acks()
        );
        broken.extend(found);
        mqtt.set_upstream(hub.mqtt_addr());
        https.set_upstream(hub.https_addr());
    }
    writers
        .wait_for_acks(writers.ledger.total_acks(), 50, "after the last restart")
        .await;
    let (ledger, divergent) = writers.stop(&hub).await;
    broken.extend(check(&hub, &ledger, &mut seen, &devices).await);
    assert!(hub.has_exited().is_none(), "the emulator crashed by itself");
    let (status, logs) = hub.terminate();
    assert!(
        status.success(),
        "a clean stop after the run: {status:?}\n{logs}"
    );

    let snapshot = ledger.snapshot();
    let (acked, failed, longest) = totals(&snapshot);
    let by_section = |section| {
        snapshot
            .iter()
            .filter(|((_, s), _)| *s == section)
            .map(|(_, e)| e.acks)
            .sum::<u64>()
    };
    let slowest_restart = restart_times.iter().max().copied().unwrap_or_default();
    println!(
        "crash_safety: seed {seed}, {kills} kills of the emulator, {} writers ({} device clients \
         over MQTT, {} service clients over REST) and {READERS} readers; writes acknowledged \
         {acked} (reported {}, desired {}), unacknowledged calls {failed}, writes lost {}, \
         broken promises {}, divergent devices {}, crashes 0, longest call {:.1} s, slowest \
         restart {:.2} s",
        devices.len() * 2,
        devices.len(),
        devices.len(),
        by_section(Section::Reported),
        by_section(Section::Desired),
        broken.iter().filter(|b| b.contains("lost")).count(),
        broken.len(),
        divergent.len(),
        longest.as_secs_f64(),
        slowest_restart.as_secs_f64(),
    );
    assert!(
        broken.is_empty(),
        "{} broken promises:\n{}",
        broken.len(),
        broken.join("\n")
    );
    assert!(
        divergent.is_empty(),
        "devices whose view of desired diverged:\n{}",
        divergent.join("\n")
    );
    assert!(acked > 0);
}
