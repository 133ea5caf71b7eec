//! The emulator binary as users run it: the CLI contract, TLS, restarts and `kill -9`.

use iothub_twin_test_support::{Launch, ReadyLine, Service, tls_config};
use reqwest::Method;
use serde_json::json;

/// This crate's emulator binary, logging at `info`.
fn binary() -> Launch {
    Launch::new(env!("CARGO_BIN_EXE_iothub-twin-emulator")).log("info")
}

#[tokio::test]
async fn ready_line_follows_the_contract() {
    let hub = binary()
        .args(["--in-memory", "--device", "dev1", "--device", "dev2"])
        .free_ports()
        .start();
    // The line as printed, fields in order.
    let ready = &serde_json::to_value(&hub.ready).unwrap();
    let fields: Vec<&str> = ready
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields,
        [
            "event",
            "hostname",
            "mqtt_port",
            "https_port",
            "ca_cert",
            "service_connection_string",
            "devices",
            "explorer_url"
        ]
    );
    assert_eq!(ready["event"], "ready");
    let https_port = ready["https_port"].as_u64().unwrap();
    let explorer = ready["explorer_url"].as_str().unwrap();
    let token = explorer
        .strip_prefix(&format!("https://localhost:{https_port}/explorer/?token="))
        .unwrap_or_else(|| panic!("{explorer}"));
    assert_eq!(token.len(), 64, "256 random bits as hex");
    let mqtt_port = ready["mqtt_port"].as_u64().unwrap();
    assert!(std::path::Path::new(ready["ca_cert"].as_str().unwrap()).is_absolute());
    assert!(
        ready["service_connection_string"]
            .as_str()
            .unwrap()
            .starts_with(&format!(
                "HostName=localhost:{https_port};SharedAccessKeyName=iothubowner;SharedAccessKey="
            ))
    );
    let dev1 = ready["devices"]["dev1"].as_str().unwrap();
    assert!(
        dev1.starts_with("HostName=localhost;DeviceId=dev1;SharedAccessKey="),
        "{dev1}"
    );
    assert!(
        dev1.ends_with(&format!(";GatewayHostName=localhost:{mqtt_port}")),
        "{dev1}"
    );
    let parsed: iothub_twin::auth::DeviceConnectionString = dev1.parse().unwrap();
    assert_eq!(parsed.connect_host().port(), Some(mqtt_port as u16));

    // The devices exist, with the keys of their connection strings.
    let (status, device) = hub
        .service()
        .send(Method::GET, "/devices/dev1", None, None)
        .await
        .unwrap();
    assert_eq!(status, 200);
    let key = device["authentication"]["symmetricKey"]["primaryKey"]
        .as_str()
        .unwrap();
    assert!(dev1.contains(key));
}

#[tokio::test]
async fn restart_keeps_devices_twins_keys_and_the_ca() {
    let dir = tempfile::tempdir().unwrap();
    let first = binary()
        .data_dir(dir.path())
        .free_ports()
        .args(["--device", "dev1"])
        .start();
    let service = first.service();
    let (status, _) = service
        .send(Method::PUT, "/devices/dev2", Some(&json!({})), None)
        .await
        .unwrap();
    assert_eq!(status, 200);
    let patch = json!({"tags": {"location": {"region": "US"}}, "properties": {"desired": {"power_level": 1}}});
    let (status, twin) = service
        .send(Method::PATCH, "/twins/dev2", Some(&patch), None)
        .await
        .unwrap();
    assert_eq!(status, 200);
    let ca = first.ca_pem();
    let ready_before = first.ready.clone();
    let (exit, logs) = first.terminate();
    assert!(exit.success(), "SIGTERM is a clean stop: {exit:?}\n{logs}");
    assert!(logs.contains("emulator stopped"), "{logs}");

    let second = binary()
        .data_dir(dir.path())
        .free_ports()
        .args(["--device", "dev1"])
        .start();
    assert_eq!(second.ca_pem(), ca);
    let key_of = |ready: &ReadyLine| {
        ready
            .service_connection_string
            .rsplit('=')
            .nth(1)
            .map(str::to_owned)
    };
    assert_eq!(
        key_of(&second.ready),
        key_of(&ready_before),
        "policy keys are kept"
    );
    let without_port = |ready: &ReadyLine| {
        ready.devices["dev1"]
            .split(";GatewayHostName")
            .next()
            .map(str::to_owned)
    };
    assert_eq!(
        without_port(&second.ready),
        without_port(&ready_before),
        "--device keeps an existing device"
    );
    // The old service client (old CA, old key) still works against the restarted hub.
    let old_client = Service::new(&second.ready.service_connection_string, &ca);
    let (status, again) = old_client
        .send(Method::GET, "/twins/dev2", None, None)
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(again["tags"], twin["tags"]);
    assert_eq!(again["properties"]["desired"]["power_level"], 1);
    assert_eq!(again["etag"], twin["etag"]);
}

#[tokio::test]
async fn kill_9_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let hub = binary().data_dir(dir.path()).free_ports().start();
    let service = std::sync::Arc::new(hub.service());
    // 40 devices created concurrently, then 160 desired patches spread over them, 8 at a time.
    let creates: Vec<_> = (0..40)
        .map(|i| {
            let service = service.clone();
            tokio::spawn(async move {
                service
                    .send(
                        Method::PUT,
                        &format!("/devices/crash{i:02}"),
                        Some(&json!({})),
                        None,
                    )
                    .await
                    .unwrap()
                    .0
            })
        })
        .collect();
    for create in creates {
        assert_eq!(create.await.unwrap(), 200);
    }
    let mut acknowledged = std::collections::BTreeMap::new();
    for round in 0..20 {
        let patches: Vec<_> = (0..8)
            .map(|j| {
                let service = service.clone();
                let id = format!("crash{:02}", (round * 8 + j) % 40);
                tokio::spawn(async move {
                    let body = json!({"properties": {"desired": {"round": round}}});
                    let (status, twin) = service
                        .send(Method::PATCH, &format!("/twins/{id}"), Some(&body), None)
                        .await
                        .unwrap();
                    (
                        id,
                        status,
                        twin["properties"]["desired"]["$version"].as_u64(),
                    )
                })
            })
            .collect();
        for patch in patches {
            let (id, status, version) = patch.await.unwrap();
            assert_eq!(status, 200);
            acknowledged.insert(id, (round, version.unwrap()));
        }
    }
    // Right after the last acknowledgement: no flush, no goodbye.
    hub.kill_9();

    let restarted = binary().data_dir(dir.path()).free_ports().start();
    let service = restarted.service();
    for i in 0..40 {
        let id = format!("crash{i:02}");
        let (status, twin) = service
            .send(Method::GET, &format!("/twins/{id}"), None, None)
            .await
            .unwrap();
        assert_eq!(status, 200, "{id} lost");
        let (round, version) = acknowledged[&id];
        assert_eq!(twin["properties"]["desired"]["round"], round, "{id}");
        assert_eq!(twin["properties"]["desired"]["$version"], version, "{id}");
    }
}

#[tokio::test]
async fn tls_1_2_and_1_3_are_served_and_other_cas_are_refused() {
    let hub = binary().args(["--in-memory"]).free_ports().start();
    let cs = hub.ready.service_connection_string.as_str();
    let ca = hub.ca_pem();
    for version in [&rustls::version::TLS12, &rustls::version::TLS13] {
        let client = Service::with_tls(cs, tls_config(&ca, &[version]));
        let (status, _) = client
            .send(Method::GET, "/devices", None, None)
            .await
            .unwrap();
        assert_eq!(status, 200, "{version:?}");
    }
    let stranger = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    let other_ca = stranger
        .self_signed(&rcgen::KeyPair::generate().unwrap())
        .unwrap()
        .pem();
    let client = Service::new(cs, &other_ca);
    assert!(
        client
            .send(Method::GET, "/devices", None, None)
            .await
            .is_err(),
        "an untrusted server must be refused"
    );
}

#[test]
fn ports_that_cannot_be_bound_name_their_flag() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    for flag in ["--https-port", "--mqtt-port"] {
        let other = if flag == "--https-port" {
            "--mqtt-port"
        } else {
            "--https-port"
        };
        let (status, stderr) = binary()
            .args(["--in-memory", flag, &port, other, "0"])
            .fail();
        assert_eq!(status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(flag) && stderr.contains("in use"),
            "{stderr}"
        );
    }
}

#[test]
fn bad_flags_are_refused_with_a_message() {
    for (args, expected) in [
        (vec!["--in-memory", "--hostname", "bad host"], "--hostname"),
        (
            vec![
                "--in-memory",
                "--https-port",
                "0",
                "--mqtt-port",
                "0",
                "--device",
                "a b",
            ],
            "--device",
        ),
        (vec!["--https-port", "99999"], "99999"),
    ] {
        let (status, stderr) = binary().args(&args).fail();
        assert!(!status.success(), "{args:?}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

#[tokio::test]
async fn in_memory_writes_nothing_to_disk() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("never-created");
    let hub = binary()
        .args(["--in-memory", "--device", "d1"])
        .data_dir(&dir)
        .free_ports()
        .start();
    let (status, _) = hub
        .service()
        .send(
            Method::PATCH,
            "/twins/d1",
            Some(&json!({"tags": {"a": 1}})),
            None,
        )
        .await
        .unwrap();
    assert_eq!(status, 200);
    let (exit, _) = hub.terminate();
    assert!(exit.success());
    assert!(!dir.exists());
}
