//! Jobs across `kill -9`: a job killed while it runs resumes after restart and patches every
//! matching twin exactly once.

use std::time::{Duration, Instant};

use iothub_twin_test_support::{EmulatorProcess, Launch, Service};
use reqwest::Method;
use serde_json::{Value, json};

const DEVICES: usize = 5_000;

async fn job(service: &Service, id: &str) -> Value {
    let (status, body) = service
        .send(Method::GET, &format!("/jobs/v2/{id}"), None, None)
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

async fn count(service: &Service, query: &str) -> u64 {
    let (status, body) = service
        .send(
            Method::POST,
            "/devices/query",
            Some(&json!({"query": query})),
            None,
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    body[0]["n"].as_u64().unwrap()
}

/// This crate's emulator binary on free ports, with its data in `dir`.
fn emulator(dir: &std::path::Path) -> EmulatorProcess {
    Launch::new(env!("CARGO_BIN_EXE_iothub-twin-emulator"))
        .data_dir(dir)
        .free_ports()
        .start()
}

#[tokio::test]
async fn kill_9_during_a_5000_device_job_then_every_twin_is_patched_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let hub = emulator(dir.path());
    let service = hub.service();
    for chunk in 0..DEVICES / 100 {
        let items: Vec<Value> = (0..100)
            .map(|i| {
                json!({"id": format!("fleet{:05}", chunk * 100 + i), "importMode": "create",
                       "tags": {"plant": "Redmond43"}})
            })
            .collect();
        let (status, body) = service
            .send(Method::POST, "/devices", Some(&Value::Array(items)), None)
            .await
            .unwrap();
        assert_eq!(status, 200, "{body}");
    }
    let request = json!({
        "jobId": "rollout",
        "type": "scheduleUpdateTwin",
        "queryCondition": "tags.plant = 'Redmond43'",
        "updateTwin": {"properties": {"desired": {"firmware": {"version": "2.0"}}}},
        "startTime": "2000-01-01T00:00:00Z",
        "maxExecutionTimeInSeconds": 3600,
    });
    let (status, body) = service
        .send(Method::PUT, "/jobs/v2/rollout", Some(&request), None)
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");

    // Killed as soon as the job is seen part-way through.
    let deadline = Instant::now() + Duration::from_secs(60);
    let seen = loop {
        let state = job(&service, "rollout").await;
        let succeeded = state["deviceJobStatistics"]["succeededCount"]
            .as_u64()
            .unwrap_or(0);
        if state["status"] == "running" && succeeded > 0 {
            break succeeded;
        }
        assert!(
            matches!(state["status"].as_str(), Some("queued" | "running")),
            "the job ended before it could be killed: {state}"
        );
        assert!(Instant::now() < deadline, "the job never ran: {state}");
    };
    hub.kill_9();
    assert!(seen < DEVICES as u64);

    let restarted = emulator(dir.path());
    let service = restarted.service();
    let deadline = Instant::now() + Duration::from_secs(120);
    let done = loop {
        let state = job(&service, "rollout").await;
        if state["status"] == "completed" {
            break state;
        }
        assert_eq!(state["status"], "running", "{state}");
        assert!(Instant::now() < deadline, "the job did not finish: {state}");
        tokio::task::yield_now().await;
    };
    assert_eq!(
        done["deviceJobStatistics"],
        json!({"deviceCount": DEVICES, "failedCount": 0, "succeededCount": DEVICES,
               "runningCount": 0, "pendingCount": 0})
    );
    // Created with desired $version 1; patched once makes 2, twice would make 3.
    let patched_once = "SELECT COUNT() AS n FROM devices WHERE properties.desired.$version = 2 \
                        AND properties.desired.firmware.version = '2.0'";
    assert_eq!(count(&service, patched_once).await, DEVICES as u64);
    restarted.kill_9();
}
