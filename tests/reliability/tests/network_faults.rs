//! Issue #10 item 2, network faults: 20 devices (core `DeviceClient`s) patch reported
//! properties while service clients patch their desired properties, all through proxies in
//! front of the emulator binary's MQTT and HTTPS ports that drop, stall and reset connections
//! at random. After the faults stop (bounded waits): each device's reported state is exactly
//! its last acknowledged patch at the acknowledged `$version`, each device's view of desired
//! (baseline read + desired stream) equals the hub's, no call outlived its deadline, and the
//! emulator's and this process's RSS and the client runtime's alive tasks did not grow.
//!
//! Sizes: `RELIABILITY_SECS` (60; the soak runs 300), `RELIABILITY_DEVICES` (20).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use iothub_twin::auth::HostPort;
use iothub_twin::tls::Trust;
use iothub_twin::{
    DeviceClient, DeviceClientOptions, RetryPolicy, ServiceClient, ServiceClientOptions,
};
use iothub_twin_reliability::ledger::{Ledger, Section, totals};
use iothub_twin_reliability::proxy::{Chaos, ChaosProxy};
use iothub_twin_reliability::sampling::Samples;
use iothub_twin_reliability::view::{DesiredView, keep_desired_view, lock};
use iothub_twin_reliability::writers::{Pace, write_desired, write_reported};
use iothub_twin_reliability::{env_secs, env_size, seeded_rng, service_connection_string_via};
use iothub_twin_test_support::EmulatorProcess;
use rand::SeedableRng as _;
use rand::rngs::StdRng;
use serde_json::{Value, json};

/// Every call's deadline (device operations and service calls alike).
const DEADLINE: Duration = Duration::from_secs(3);
/// What a call may take beyond its deadline: timer and scheduling delay on a busy machine.
const DEADLINE_SLACK: Duration = Duration::from_secs(2);
/// Service writers; each owns every `SERVICE_WRITERS`-th device.
const SERVICE_WRITERS: usize = 4;
/// Bounded waits once the faults stop.
const SETTLE: Duration = Duration::from_secs(60);

fn reported(seq: u64) -> Value {
    json!({"seq": seq, "a": seq, "b": {"seq": seq}})
}

/// Sets `seq`, one of four keys, and removes another, so views must follow removals too.
fn desired(seq: u64) -> Value {
    json!({"seq": seq, format!("k{}", seq % 4): {"n": seq}, format!("k{}", (seq + 2) % 4): null})
}

struct Device {
    id: String,
    client: DeviceClient,
    view: Arc<Mutex<DesiredView>>,
}

/// Retries `call` (each try bounded by its own deadline) until it succeeds or `SETTLE` ends.
async fn settle<T, E: std::fmt::Display, F: std::future::Future<Output = Result<T, E>>>(
    what: &str,
    mut call: impl FnMut() -> F,
) -> T {
    let until = Instant::now() + SETTLE;
    loop {
        match call().await {
            Ok(value) => return value,
            Err(e) if Instant::now() < until => {
                eprintln!("network_faults: {what} failed after the faults stopped, retrying: {e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("{what} still fails {SETTLE:?} after the faults stopped: {e}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a reliability harness against the emulator binary: `make reliability` runs it"]
async fn devices_and_service_survive_drops_stalls_and_resets() {
    let run_for = env_secs("RELIABILITY_SECS", 60);
    let device_count = env_size("RELIABILITY_DEVICES", 20) as usize;
    let (_, seed) = seeded_rng("network_faults");
    let dir = tempfile::tempdir().expect("a temp dir");
    let ids: Vec<String> = (0..device_count).map(|i| format!("net{i:02}")).collect();
    let hub = {
        let (dir, ids) = (dir.path().to_owned(), ids.clone());
        tokio::task::spawn_blocking(move || EmulatorProcess::start(&dir, &ids))
            .await
            .expect("started")
    };
    let mqtt = ChaosProxy::start(hub.mqtt_addr(), seed);
    let https = ChaosProxy::start(hub.https_addr(), seed.wrapping_add(1 << 32));
    let ca = hub.ca_pem();
    let service_options = ServiceClientOptions {
        trust: Trust::Pem(ca.clone()),
        timeout: DEADLINE,
        connect_timeout: Duration::from_secs(1),
        ..Default::default()
    };
    let direct = ServiceClient::from_connection_string(
        &hub.service_connection_string(),
        ServiceClientOptions {
            trust: Trust::Pem(ca.clone()),
            ..Default::default()
        },
    )
    .expect("a direct client");
    let proxied_cs =
        service_connection_string_via(&hub.service_connection_string(), https.addr().port());

    let mut devices = Vec::new();
    let mut tasks = Vec::new();
    for id in &ids {
        let options = DeviceClientOptions {
            trust: Trust::Pem(ca.clone()),
            endpoint: Some(HostPort::new("localhost", Some(mqtt.addr().port())).expect("a host")),
            operation_timeout: DEADLINE,
            reconnect: RetryPolicy {
                initial_delay: Duration::from_millis(100),
                max_delay: Duration::from_secs(2),
                multiplier: 2.0,
                jitter: 0.2,
                max_retries: None,
            },
            ..Default::default()
        };
        let client = DeviceClient::connect(&hub.device_connection_string(id), options)
            .await
            .expect("the device connects");
        let view = Arc::new(Mutex::new(DesiredView::default()));
        tasks.push(tokio::spawn(keep_desired_view(
            client.clone(),
            view.clone(),
        )));
        devices.push(Device {
            id: id.clone(),
            client,
            view,
        });
    }

    let ledger = Arc::new(Ledger::default());
    let stop = Arc::new(AtomicBool::new(false));
    let mut samples = Samples::new(hub.pid());
    samples.sample();
    mqtt.set_chaos(Some(Chaos {
        interval: (Duration::from_millis(500), Duration::from_secs(6)),
        stall: (Duration::from_millis(100), Duration::from_secs(4)),
    }));
    https.set_chaos(Some(Chaos {
        interval: (Duration::from_millis(200), Duration::from_secs(3)),
        stall: (Duration::from_millis(100), Duration::from_secs(4)),
    }));
    let pace = |seed| Pace {
        ledger: ledger.clone(),
        stop: stop.clone(),
        rng: StdRng::seed_from_u64(seed),
        pause_ms: 20..=200,
    };
    let writers: Vec<_> = devices
        .iter()
        .enumerate()
        .map(|(n, d)| {
            tokio::spawn(write_reported(
                d.client.clone(),
                d.id.clone(),
                reported,
                pace(seed.wrapping_add(n as u64)),
            ))
        })
        .collect();
    let services: Vec<_> = (0..SERVICE_WRITERS)
        .map(|k| {
            let service =
                ServiceClient::from_connection_string(&proxied_cs, service_options.clone())
                    .expect("a service client");
            let owned = ids
                .iter()
                .skip(k)
                .step_by(SERVICE_WRITERS)
                .cloned()
                .collect();
            tokio::spawn(write_desired(
                service,
                owned,
                desired,
                pace(seed.wrapping_sub(k as u64 + 1)),
            ))
        })
        .collect();

    // The run: one sample a second while the faults go on.
    let started = Instant::now();
    while started.elapsed() < run_for {
        tokio::time::sleep(Duration::from_secs(1)).await;
        samples.sample();
    }
    mqtt.set_chaos(None);
    https.set_chaos(None);
    let faults = (mqtt.counts(), https.counts());
    stop.store(true, Ordering::Relaxed);
    let mut last_seq = Vec::new();
    for writer in writers {
        last_seq.push(writer.await.expect("a device writer does not panic"));
    }
    for service in services {
        service.await.expect("a service writer does not panic");
    }

    // Settle: one more acknowledged write each way per device, then views must catch up.
    let final_service = ServiceClient::from_connection_string(&proxied_cs, service_options.clone())
        .expect("a service client");
    for (device, seq) in devices.iter().zip(&last_seq) {
        let seq = seq + 1;
        let body = reported(seq);
        let version = settle("a final reported patch", || {
            device.client.patch_twin_reported_properties(&body)
        })
        .await;
        ledger.ack(&device.id, Section::Reported, seq, version, Duration::ZERO);
        let patch = json!({"properties": {"desired": {"final": true}}});
        settle("a final desired patch", || {
            final_service.update_twin(&device.id, &patch, None)
        })
        .await;
    }
    let settle_deadline = Instant::now() + SETTLE;
    let mut divergent = Vec::new();
    for device in &devices {
        loop {
            let hub_desired = direct
                .get_twin(&device.id)
                .await
                .expect("the hub answers")
                .properties
                .expect("properties")
                .desired;
            let view = lock(&device.view).clone();
            let matches = view.version == hub_desired.version()
                && view.properties == hub_desired.to_properties();
            if matches {
                break;
            }
            if Instant::now() > settle_deadline {
                divergent.push(format!(
                    "{}: device sees {:?} {}, hub has {:?} {}",
                    device.id,
                    view.version,
                    Value::Object(view.properties),
                    hub_desired.version(),
                    Value::Object(hub_desired.to_properties())
                ));
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    // Reported: exactly the last acknowledged patch, at its $version.
    let snapshot = ledger.snapshot();
    let mut lost = Vec::new();
    for device in &devices {
        let acked = snapshot[&(device.id.clone(), Section::Reported)]
            .acked
            .expect("acknowledged");
        let hub_reported = direct
            .get_twin(&device.id)
            .await
            .expect("the hub answers")
            .properties
            .expect("properties")
            .reported;
        if hub_reported.to_properties() != *reported(acked.seq).as_object().expect("an object")
            || hub_reported.version() != Some(acked.version)
        {
            lost.push(format!(
                "{}: last acknowledged write {} at $version {}, hub has {:?} {}",
                device.id,
                acked.seq,
                acked.version,
                hub_reported.version(),
                Value::Object(hub_reported.to_properties())
            ));
        }
    }
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        samples.sample();
    }
    let mut hub = hub;
    let crashed = hub.has_exited();

    let (acked, failed, longest) = totals(&snapshot);
    let regressions: Vec<String> = snapshot
        .values()
        .flat_map(|e| e.regressions.clone())
        .collect();
    let mib = |kib: u64| kib / 1024;
    let emulator = samples.figures(|s| s.emulator_kib);
    let client = samples.figures(|s| s.client_kib);
    let alive = samples.figures(|s| s.tasks as u64);
    println!(
        "network_faults: seed {seed}, {device_count} devices, {} s of faults; faults injected: MQTT {:?}, HTTPS {:?}; \
         writes acknowledged {acked}, unacknowledged calls {failed}, writes lost {}, divergent devices {}, \
         version regressions {}, crashes {}, longest call {:.2} s (deadline {DEADLINE:?}); RSS MiB start/peak/final: \
         emulator {}/{}/{}, client {}/{}/{}; client tasks start/peak/final {}/{}/{}",
        run_for.as_secs(),
        faults.0,
        faults.1,
        lost.len(),
        divergent.len(),
        regressions.len(),
        u8::from(crashed.is_some()),
        longest.as_secs_f64(),
        mib(emulator.start),
        mib(emulator.peak),
        mib(emulator.last),
        mib(client.start),
        mib(client.peak),
        mib(client.last),
        alive.start,
        alive.peak,
        alive.last,
    );
    println!(
        "network_faults: samples (emulator RSS MiB / client RSS MiB / client tasks): {}",
        samples.series(12)
    );
    assert!(crashed.is_none(), "the emulator crashed: {crashed:?}");
    assert!(
        lost.is_empty(),
        "reported state is not the last acknowledged patch:\n{}",
        lost.join("\n")
    );
    assert!(
        divergent.is_empty(),
        "devices whose view of desired diverged:\n{}",
        divergent.join("\n")
    );
    assert!(regressions.is_empty(), "{}", regressions.join("\n"));
    assert!(
        longest <= DEADLINE + DEADLINE_SLACK,
        "a call took {longest:?}, past its {DEADLINE:?} deadline"
    );
    for (name, counts) in [("MQTT", faults.0), ("HTTPS", faults.1)] {
        assert!(
            counts.drops > 0 && counts.stalls > 0 && counts.resets > 0,
            "{name}: not every kind of fault was injected: {counts:?}"
        );
    }
    assert!(
        acked > 0 && failed > 0,
        "faults must have failed some calls and let others through"
    );
    // Leaks grow with the run; churn under faults does not (generous bounds, debug build).
    let warm_up = 5;
    samples.assert_no_growth("emulator RSS (KiB)", warm_up, 1.5, 16 * 1024, |s| {
        s.emulator_kib
    });
    samples.assert_no_growth("client RSS (KiB)", warm_up, 1.5, 16 * 1024, |s| {
        s.client_kib
    });
    samples.assert_no_growth("client alive tasks", warm_up, 1.25, 20, |s| s.tasks as u64);

    for device in &devices {
        device.client.close().await;
    }
    for task in tasks {
        task.await.expect("a view task does not panic");
    }
    let (status, logs) = hub.terminate();
    assert!(status.success(), "a clean stop: {status:?}\n{logs}");
}
