//! Automatic device configurations on the core's service and device clients: a plant-wide
//! telemetry interval and a higher-priority one for a test ring overlap on one device; each
//! device reads the desired values that won, and the back end reads the metrics.
//!
//! Usage: `configurations SERVICE_CS CA_PEM_PATH PROD_DEVICE_CS TEST_DEVICE_CS PREFIX`. The
//! emulator applies configurations every `--configuration-interval`.

use std::error::Error;
use std::time::{Duration, Instant};

use iothub_twin::service::Configuration;
use iothub_twin::tls::Trust;
use iothub_twin::twin::JsonObject;
use iothub_twin::{DeviceClient, DeviceClientOptions, ServiceClient, ServiceClientOptions};
use serde_json::{Value, json};

fn content(path: &str, value: Value) -> JsonObject {
    JsonObject::from_iter([(path.to_owned(), value)])
}

fn device_id(connection_string: &str) -> &str {
    connection_string
        .split(';')
        .find_map(|part| part.strip_prefix("DeviceId="))
        .unwrap_or_default()
}

/// The configuration's `appliedCount`, as the hub evaluates it now.
async fn applied(service: &ServiceClient, id: &str) -> Result<u64, Box<dyn Error>> {
    let configuration = service.get_configuration(id).await?;
    let results = configuration
        .system_metrics
        .and_then(|m| m.results)
        .unwrap_or_default();
    Ok(results.get("appliedCount").copied().unwrap_or(0))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [service_cs, ca_path, prod_cs, test_cs, prefix] = args.as_slice() else {
        return Err(
            "usage: configurations SERVICE_CS CA_PEM_PATH PROD_DEVICE_CS TEST_DEVICE_CS PREFIX"
                .into(),
        );
    };
    let ca = std::fs::read_to_string(ca_path)?;
    let service = ServiceClient::from_connection_string(
        service_cs,
        ServiceClientOptions {
            trust: Trust::Pem(ca.clone()),
            ..Default::default()
        },
    )?;
    let plant = format!("{prefix}-north");
    for (cs, ring) in [(prod_cs, "prod"), (test_cs, "test")] {
        let tags = json!({"tags": {"plant": plant, "ring": ring}});
        service.update_twin(device_id(cs), &tags, None).await?;
    }
    let mut plant_wide = Configuration::new(
        format!("{prefix}-plant-wide"),
        format!("tags.plant = '{plant}'"),
        content(
            "properties.desired.telemetry",
            json!({"interval": 60, "unit": "s"}),
        ),
        1,
    );
    plant_wide.labels = Some([("scope".to_owned(), "plant".to_owned())].into());
    let plant_wide = service.create_configuration(&plant_wide).await?;
    let test_ring = service
        .create_configuration(&Configuration::new(
            format!("{prefix}-test-ring"),
            format!("tags.plant = '{plant}' AND tags.ring = 'test'"),
            content("properties.desired.telemetry.interval", json!(5)),
            10,
        ))
        .await?;
    println!(
        "created {} (priority {:?}) and {} (priority {:?})",
        plant_wide.id, plant_wide.priority, test_ring.id, test_ring.priority
    );

    // The hub applies configurations on its own schedule: wait until both are applied everywhere.
    let deadline = Instant::now() + Duration::from_secs(30);
    while applied(&service, &plant_wide.id).await? < 2
        || applied(&service, &test_ring.id).await? < 1
    {
        if Instant::now() > deadline {
            return Err("the configurations were not applied within 30 s".into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    for cs in [prod_cs, test_cs] {
        let options = DeviceClientOptions {
            trust: Trust::Pem(ca.clone()),
            ..Default::default()
        };
        let device = DeviceClient::connect(cs, options).await?;
        let twin = device.get_twin().await?;
        let telemetry = twin.desired.get("telemetry").cloned().unwrap_or_default();
        println!("[device {}] desired telemetry {telemetry}", device_id(cs));
        device.close().await;
    }

    for id in [&plant_wide.id, &test_ring.id] {
        let configuration = service.get_configuration(id).await?;
        let results = configuration.system_metrics.and_then(|m| m.results);
        println!("{id}: system metrics {}", json!(results));
    }
    let statistics = service.get_device_registry_statistics().await?;
    println!(
        "registry: {} devices, {} enabled",
        statistics.total_device_count, statistics.enabled_device_count
    );
    Ok(())
}
