//! The twin change feed (`GET /emulator/twin-events`, server-sent events) read by a client
//! while twins change under load: every committed change exactly once, in commit order;
//! resume with `Last-Event-ID`; a client too far behind is told so.

use std::collections::HashMap;
use std::time::Duration;

use iothub_twin_emulator::{EmulatorConfig, IdentityKey, RunningEmulator};
use iothub_twin_test_support::{Service, tls_config};
use reqwest::Method;
use serde_json::{Value, json};

/// The feed's backlog (`rest/twin_events.rs`).
const BACKLOG: usize = 4096;
/// Longest wait for one event; a stall fails the test instead of hanging it.
const EVENT_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug)]
struct SseEvent {
    id: Option<u64>,
    kind: String,
    data: Value,
}

/// A minimal server-sent events reader over a streaming response.
struct Feed {
    response: reqwest::Response,
    buffer: String,
}

impl Feed {
    async fn open(service: &Service, last_event_id: Option<&str>) -> Self {
        let mut request = service.request(Method::GET, "/emulator/twin-events");
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200, "the feed answers");
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next event; `None` when the stream ended.
    async fn next(&mut self) -> Option<SseEvent> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut id, mut kind, mut data) = (None, String::from("message"), String::new());
                for line in block.lines() {
                    if let Some(value) = line.strip_prefix("id:") {
                        id = Some(value.trim().parse().unwrap());
                    } else if let Some(value) = line.strip_prefix("event:") {
                        kind = value.trim().to_owned();
                    } else if let Some(value) = line.strip_prefix("data:") {
                        data.push_str(value.trim_start());
                    }
                }
                if data.is_empty() {
                    continue; // a keep-alive comment
                }
                let data = serde_json::from_str(&data).unwrap();
                return Some(SseEvent { id, kind, data });
            }
            let chunk = tokio::time::timeout(EVENT_TIMEOUT, self.response.chunk())
                .await
                .expect("an event within the timeout")
                .unwrap()?;
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }

    async fn expect(&mut self) -> SseEvent {
        self.next().await.expect("the stream goes on")
    }
}

async fn start() -> (RunningEmulator, Service, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let config = EmulatorConfig {
        data_dir: Some(dir.path().to_owned()),
        ..EmulatorConfig::ephemeral()
    };
    let emulator = RunningEmulator::start(config).await.unwrap();
    let service = Service::new(&emulator.service_connection_string(), &emulator.ca_cert_pem);
    (emulator, service, dir)
}

async fn create(service: &Service, id: &str) {
    let (status, body) = service
        .send(
            Method::PUT,
            &format!("/devices/{id}"),
            Some(&json!({})),
            None,
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
}

async fn patch(service: &Service, id: &str, body: Value) {
    let (status, answer) = service
        .send(Method::PATCH, &format!("/twins/{id}"), Some(&body), None)
        .await
        .unwrap();
    assert_eq!(status, 200, "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_change_arrives_once_in_commit_order_under_load() {
    const DEVICES: usize = 4;
    const DESIRED_WRITES: u64 = 60;
    const TAG_WRITES: u64 = 30;
    let (emulator, service, _dir) = start().await;
    let mut feed = Feed::open(&service, None).await;
    let ids: Vec<String> = (0..DEVICES).map(|i| format!("load-{i}")).collect();
    for id in &ids {
        create(&service, id).await;
    }
    let mut writers = Vec::new();
    for id in &ids {
        for kind in ["desired", "tags"] {
            let service =
                Service::new(&emulator.service_connection_string(), &emulator.ca_cert_pem);
            let id = id.clone();
            writers.push(tokio::spawn(async move {
                let writes = if kind == "desired" {
                    DESIRED_WRITES
                } else {
                    TAG_WRITES
                };
                for n in 1..=writes {
                    let body = if kind == "desired" {
                        json!({"properties": {"desired": {"n": n}}})
                    } else {
                        json!({"tags": {"n": n}})
                    };
                    patch(&service, &id, body).await;
                }
            }));
        }
    }

    let expected = DEVICES * (1 + DESIRED_WRITES as usize + TAG_WRITES as usize);
    let mut previous_id = None;
    let mut twin_version: HashMap<String, u64> = HashMap::new();
    let mut desired_seen: HashMap<String, Vec<u64>> = HashMap::new();
    let mut tags_seen: HashMap<String, Vec<u64>> = HashMap::new();
    let mut created = 0;
    for _ in 0..expected {
        let event = feed.expect().await;
        let id = event.id.expect("every event has an id");
        if let Some(previous) = previous_id {
            assert_eq!(
                id,
                previous + 1,
                "ids follow each other: nothing skipped or repeated"
            );
        }
        previous_id = Some(id);
        let properties = &event.data["properties"];
        let device = properties["deviceId"].as_str().unwrap().to_owned();
        assert_eq!(properties["hubName"], "localhost");
        assert!(properties["operationTimestamp"].is_string());
        assert_eq!(properties["iothub-message-schema"], event.kind.as_str());
        let body = &event.data["body"];
        match event.kind.as_str() {
            "deviceLifecycleNotification" => {
                assert_eq!(properties["opType"], "createDeviceIdentity");
                assert_eq!(body["deviceId"], device.as_str());
                created += 1;
            }
            "twinChangeNotification" => {
                assert_eq!(properties["opType"], "updateTwin");
                let version = body["version"].as_u64().unwrap();
                let last = twin_version.insert(device.clone(), version);
                assert!(
                    last.is_none_or(|last| version > last),
                    "a twin's versions rise in commit order: {last:?} then {version}"
                );
                if let Some(desired) = body["properties"].get("desired") {
                    assert_eq!(
                        desired["$version"].as_u64(),
                        Some(desired["n"].as_u64().unwrap() + 1)
                    );
                    assert!(desired["$metadata"]["n"]["$lastUpdated"].is_string());
                    desired_seen
                        .entry(device.clone())
                        .or_default()
                        .push(desired["n"].as_u64().unwrap());
                }
                if let Some(tags) = body.get("tags") {
                    tags_seen
                        .entry(device)
                        .or_default()
                        .push(tags["n"].as_u64().unwrap());
                }
            }
            other => panic!("unexpected event {other}: {}", event.data),
        }
    }
    for writer in writers {
        writer.await.unwrap();
    }
    assert_eq!(created, DEVICES);
    let desired: Vec<u64> = (1..=DESIRED_WRITES).collect();
    let tags: Vec<u64> = (1..=TAG_WRITES).collect();
    for id in &ids {
        assert_eq!(
            desired_seen[id], desired,
            "{id}: each desired write once, in order"
        );
        assert_eq!(tags_seen[id], tags, "{id}: each tags write once, in order");
    }
    // Nothing more was queued: the next event is the next change.
    patch(&service, &ids[0], json!({"tags": {"last": true}})).await;
    let marker = feed.expect().await;
    assert_eq!(marker.id, previous_id.map(|id| id + 1));
    assert_eq!(marker.data["body"]["tags"], json!({"last": true}));
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_client_resumes_with_last_event_id_and_sees_lifecycle_and_replace() {
    let (emulator, service, _dir) = start().await;
    let mut feed = Feed::open(&service, None).await;
    create(&service, "resume").await;
    let created = feed.expect().await;
    assert_eq!(created.kind, "deviceLifecycleNotification");
    patch(
        &service,
        "resume",
        json!({"properties": {"desired": {"a": 1}}}),
    )
    .await;
    let first = feed.expect().await;
    drop(feed);

    let (status, _) = service
        .send(
            Method::PUT,
            "/twins/resume",
            Some(&json!({"tags": {"t": 1}, "properties": {"desired": {"b": 2}}})),
            None,
        )
        .await
        .unwrap();
    assert_eq!(status, 200);
    let (status, _) = service
        .send(Method::DELETE, "/devices/resume", None, Some("*"))
        .await
        .unwrap();
    assert_eq!(status, 204);

    let mut feed = Feed::open(&service, Some(&first.id.unwrap().to_string())).await;
    let replaced = feed.expect().await;
    assert_eq!(replaced.id, first.id.map(|id| id + 1));
    assert_eq!(replaced.data["properties"]["opType"], "replaceTwin");
    assert_eq!(replaced.data["body"]["tags"], json!({"t": 1}));
    assert_eq!(replaced.data["body"]["properties"]["desired"]["b"], 2);
    assert!(
        replaced.data["body"]["properties"]["desired"]
            .get("a")
            .is_none()
    );
    let deleted = feed.expect().await;
    assert_eq!(deleted.id, first.id.map(|id| id + 2));
    assert_eq!(deleted.data["properties"]["opType"], "deleteDeviceIdentity");
    assert_eq!(
        deleted.data["body"]["properties"]["desired"]["b"], 2,
        "the twin as it was"
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn module_changes_name_the_module_and_reported_patches_are_updates() {
    let (emulator, service, _dir) = start().await;
    create(&service, "parent").await;
    let mut feed = Feed::open(&service, None).await;
    let (status, _) = service
        .send(
            Method::PUT,
            "/devices/parent/modules/m1",
            Some(&json!({})),
            None,
        )
        .await
        .unwrap();
    assert_eq!(status, 200);
    let created = feed.expect().await;
    assert_eq!(created.data["properties"]["opType"], "createDeviceIdentity");
    assert_eq!(created.data["properties"]["moduleId"], "m1");
    patch(&service, "parent/modules/m1", json!({"tags": {"k": "v"}})).await;
    let tagged = feed.expect().await;
    assert_eq!(tagged.data["properties"]["moduleId"], "m1");
    assert_eq!(tagged.data["body"]["tags"], json!({"k": "v"}));
    assert!(
        tagged.data["body"].get("properties").is_none(),
        "only the changed section"
    );

    let key = IdentityKey::new("parent", Some("m1"));
    let hub = emulator.hub();
    hub.device_patch_reported(&key, br#"{"t": 1, "gone": null}"#, None)
        .await
        .unwrap();
    let reported = feed.expect().await;
    assert_eq!(reported.data["properties"]["opType"], "updateTwin");
    let section = &reported.data["body"]["properties"]["reported"];
    assert_eq!(
        (section["t"].clone(), section["$version"].clone()),
        (json!(1), json!(2))
    );
    assert!(section["$metadata"]["t"]["$lastUpdated"].is_string());
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_client_that_fell_behind_the_backlog_is_told_so() {
    let emulator = RunningEmulator::start(EmulatorConfig::ephemeral())
        .await
        .unwrap();
    let service = Service::new(&emulator.service_connection_string(), &emulator.ca_cert_pem);
    let mut watcher = Feed::open(&service, None).await;
    create(&service, "busy").await;
    let key = IdentityKey::device("busy");
    for n in 0..BACKLOG + 10 {
        let body = json!({"properties": {"desired": {"n": n}}});
        emulator.hub().patch_twin(&key, &body, None).await.unwrap();
    }
    // Once a live reader has seen the last change, the feed holds it too.
    for _ in 0..BACKLOG + 11 {
        watcher.expect().await;
    }
    for stale in ["1", "999999"] {
        let mut feed = Feed::open(&service, Some(stale)).await;
        let told = feed.expect().await;
        assert_eq!(told.kind, "fell-behind", "Last-Event-ID {stale}");
        assert_eq!(told.data["lastEventId"], stale.parse::<u64>().unwrap());
        assert_eq!(told.data["newest"], (BACKLOG + 11) as u64);
        assert!(
            feed.next().await.is_none(),
            "the stream ends after fell-behind"
        );
    }
    // The oldest event still kept resumes fine.
    let oldest = (BACKLOG + 11 - BACKLOG + 1) as u64;
    let mut feed = Feed::open(&service, Some(&(oldest - 1).to_string())).await;
    assert_eq!(feed.expect().await.id, Some(oldest));
    emulator.shutdown().await;
}

#[tokio::test]
async fn the_feed_needs_the_owner_policy() {
    let emulator = RunningEmulator::start(EmulatorConfig::ephemeral())
        .await
        .unwrap();
    let url = format!(
        "https://localhost:{}/emulator/twin-events",
        emulator.https_addr.port()
    );
    let http = reqwest::Client::builder()
        .tls_backend_preconfigured(tls_config(&emulator.ca_cert_pem, rustls::DEFAULT_VERSIONS))
        .build()
        .unwrap();
    let anonymous = http.get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let forged = http
        .get(&url)
        .header("cookie", "iothub-twin-explorer=0000")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401, "an unknown session cookie is nobody");
    let service = Service::new(&emulator.service_connection_string(), &emulator.ca_cert_pem);
    let bad = service
        .request(Method::GET, "/emulator/twin-events")
        .header("last-event-id", "soon")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    emulator.shutdown().await;
}
