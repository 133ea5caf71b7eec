//! The example of emulator/README.md, "Testing your twin app": the emulator as a
//! dev-dependency, `RunningEmulator` as the test's hub, a device app and a back-end call, a
//! dropped connection. The README shows this file verbatim (checked below).

use std::sync::Arc;

use iothub_twin::tls::{Trust, client_config};
use iothub_twin::{DeviceClient, DeviceClientOptions, ServiceClient, ServiceClientOptions};
use iothub_twin_emulator::{EmulatorConfig, RunningEmulator};
use serde_json::{Value, json};

const TOKEN: &str = "a-test-token"; // the emulator's stand-in for Entra: owner rights

/// The device app under test: reports the temperature it was asked for.
async fn thermostat(client: &DeviceClient) -> iothub_twin::Result<()> {
    let twin = client.get_twin().await?;
    let target = twin.desired.get("target").cloned().unwrap_or(json!(20));
    client
        .patch_twin_reported_properties(&json!({ "temperature": target }))
        .await?;
    Ok(())
}

/// Closes the device's MQTT connection through the control API, as a network failure would.
async fn drop_connection(hub: &RunningEmulator, device_id: &str) {
    let tls = client_config(&Trust::Pem(hub.ca_cert_pem.clone()), &[b"http/1.1"], None).unwrap();
    let http = reqwest::Client::builder()
        .tls_backend_preconfigured(Arc::unwrap_or_clone(tls))
        .build()
        .unwrap();
    let port = hub.https_addr.port();
    let url =
        format!("https://localhost:{port}/emulator/connections/{device_id}?api-version=2021-04-12");
    let response = http.delete(url).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(response.status(), 204);
}

async fn reported_temperature(service: &ServiceClient, device_id: &str) -> Option<Value> {
    let twin = service.get_twin(device_id).await.unwrap();
    twin.properties?.reported.get("temperature").cloned()
}

#[tokio::test]
async fn the_thermostat_reports_its_target() {
    // In memory, on free ports of 127.0.0.1; the device exists from the start.
    let hub = RunningEmulator::start(EmulatorConfig {
        devices: vec!["thermostat-1".to_owned()],
        entra_token: Some(TOKEN.to_owned()),
        ..EmulatorConfig::ephemeral()
    })
    .await
    .unwrap();
    let trust = Trust::Pem(hub.ca_cert_pem.clone());
    let service_options = ServiceClientOptions {
        trust: trust.clone(),
        ..Default::default()
    };
    let service =
        ServiceClient::from_connection_string(&hub.service_connection_string(), service_options)
            .unwrap();
    let desired = |target| json!({ "properties": { "desired": { "target": target } } });
    service
        .update_twin("thermostat-1", &desired(21), None)
        .await
        .unwrap();

    let device_cs = hub.device_connection_string("thermostat-1").unwrap();
    let device_options = DeviceClientOptions {
        trust,
        ..Default::default()
    };
    let client = DeviceClient::connect(&device_cs, device_options)
        .await
        .unwrap();
    thermostat(&client).await.unwrap();
    assert_eq!(
        reported_temperature(&service, "thermostat-1").await,
        Some(json!(21))
    );

    drop_connection(&hub, "thermostat-1").await; // the network fails
    service
        .update_twin("thermostat-1", &desired(23), None)
        .await
        .unwrap();
    thermostat(&client).await.unwrap(); // the client reconnects by itself
    assert_eq!(
        reported_temperature(&service, "thermostat-1").await,
        Some(json!(23))
    );

    client.close().await;
    hub.shutdown().await;
}

#[test]
fn the_readme_shows_this_file() {
    let readme = include_str!("../README.md");
    let this = include_str!("testing_your_twin_app.rs");
    let example = this
        .split("\n#[test]\nfn the_readme_shows_this_file")
        .next()
        .unwrap();
    assert!(
        readme.contains(&format!("```rust\n{example}\n```")),
        "emulator/README.md must show tests/testing_your_twin_app.rs up to its README check"
    );
}
