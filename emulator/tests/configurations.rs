//! Automatic device configurations in the emulator binary: applied by the periodic run that
//! `--configuration-interval` sets, and durable across `kill -9`.

use std::time::{Duration, Instant};

use iothub_twin_test_support::{Launch, Service};
use reqwest::Method;
use serde_json::{Value, json};

/// This crate's emulator binary.
fn binary() -> Launch {
    Launch::new(env!("CARGO_BIN_EXE_iothub-twin-emulator"))
}

async fn twin(service: &Service, id: &str) -> Value {
    let (status, twin) = service
        .send(Method::GET, &format!("/twins/{id}"), None, None)
        .await
        .unwrap();
    assert_eq!(status, 200, "{twin}");
    twin
}

async fn setup(service: &Service) {
    for (id, plant) in [("dev1", "north"), ("dev2", "north"), ("dev3", "south")] {
        let (status, _) = service
            .send(
                Method::PUT,
                &format!("/devices/{id}"),
                Some(&json!({})),
                None,
            )
            .await
            .unwrap();
        assert_eq!(status, 200);
        let tags = json!({"tags": {"plant": plant}});
        let (status, _) = service
            .send(Method::PATCH, &format!("/twins/{id}"), Some(&tags), None)
            .await
            .unwrap();
        assert_eq!(status, 200);
    }
    let configuration = json!({
        "content": {"deviceContent": {"properties.desired.telemetry.interval": 30}},
        "targetCondition": "tags.plant = 'north'",
        "priority": 1,
    });
    let (status, created) = service
        .send(
            Method::PUT,
            "/configurations/plant-wide",
            Some(&configuration),
            None,
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{created}");
}

#[tokio::test]
async fn the_periodic_run_applies_configurations_without_being_asked() {
    let hub = binary()
        .args(["--in-memory", "--configuration-interval", "50ms"])
        .free_ports()
        .start();
    let service = hub.service();
    setup(&service).await;
    // Polled with a deadline: the run is the emulator's own, on its clock.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let twin = twin(&service, "dev1").await;
        if twin["configurations"]["plant-wide"]["status"] == "Applied" {
            assert_eq!(twin["properties"]["desired"]["telemetry"]["interval"], 30);
            break;
        }
        assert!(Instant::now() < deadline, "not applied in 10 s: {twin}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(twin(&service, "dev3").await.get("configurations").is_none());
}

#[tokio::test]
async fn configurations_and_what_they_applied_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    // A long interval: only the control API's call applies here.
    let hub = binary()
        .data_dir(dir.path())
        .args(["--configuration-interval", "10m"])
        .free_ports()
        .start();
    let service = hub.service();
    setup(&service).await;
    let (status, applied) = service
        .send(Method::POST, "/emulator/configurations/apply", None, None)
        .await
        .unwrap();
    assert_eq!((status, applied), (200, json!({"twinsChanged": 2})));
    let (status, updated) = service
        .send(
            Method::PUT,
            "/configurations/plant-wide",
            Some(&json!({
                "content": {"deviceContent": {"properties.desired.telemetry.interval": 30}},
                "targetCondition": "tags.plant = 'north'",
                "priority": 7,
                "labels": {"owner": "ops"},
            })),
            Some("MQ=="),
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{updated}");
    let before = twin(&service, "dev1").await;
    hub.kill_9();

    let restarted = binary()
        .data_dir(dir.path())
        .args(["--configuration-interval", "10m"])
        .free_ports()
        .start();
    let service = restarted.service();
    let (status, configuration) = service
        .send(Method::GET, "/configurations/plant-wide", None, None)
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(configuration["priority"], 7);
    assert_eq!(configuration["labels"], json!({"owner": "ops"}));
    assert_eq!(configuration["etag"], "Mg==");
    assert_eq!(
        configuration["systemMetrics"]["results"],
        json!({"targetedCount": 2, "appliedCount": 2})
    );
    let after = twin(&service, "dev1").await;
    assert_eq!(after["configurations"], before["configurations"]);
    assert_eq!(
        after["properties"]["desired"],
        before["properties"]["desired"]
    );
}
