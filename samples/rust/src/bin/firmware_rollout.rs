//! A fleet firmware rollout with a scheduled twin-update job: the back end tags the fleet as
//! plant Redmond43 in one bulk call (`update_twins`), schedules a job setting desired
//! `firmware.version` on every device there, follows the job and a `GROUP BY` over
//! `properties.reported.firmware.status` until every device reports `done`. Each device (one
//! client each) reports `applying`, then `done`, as it receives the patch.
//!
//! Usage: `[FIRMWARE_VERSION=2.0] firmware_rollout SERVICE_CS CA_PEM_PATH DEVICE_CS [DEVICE_CS ...]`.

use std::error::Error;
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use iothub_twin::service::{QueryOptions, TwinUpdate};
use iothub_twin::tls::Trust;
use iothub_twin::{DeviceClient, DeviceClientOptions, ServiceClient, ServiceClientOptions};
use serde_json::{Value, json};

/// Devices that report `version`, by status: `applying` first, then `done`.
fn status_query(version: &str) -> String {
    format!(
        "SELECT properties.reported.firmware.status AS status, COUNT() AS devices FROM devices \
         WHERE tags.plant = 'Redmond43' AND properties.reported.firmware.version = '{version}' \
         GROUP BY properties.reported.firmware.status"
    )
}

/// Connects a device that reports `applying`, then `done`, for each firmware version it is sent.
async fn start_device(connection_string: &str, ca: &str) -> Result<DeviceClient, Box<dyn Error>> {
    let options = DeviceClientOptions {
        trust: Trust::Pem(ca.to_owned()),
        ..Default::default()
    };
    let client = DeviceClient::connect(connection_string, options).await?;
    let mut desired = client.desired_property_updates();
    let device = client.clone();
    tokio::spawn(async move {
        while let Some(change) = desired.next().await {
            let Some(version) = change.patch.get("firmware").and_then(|f| f.get("version")) else {
                continue;
            };
            for status in ["applying", "done"] {
                let report = json!({"firmware": {"version": version, "status": status}});
                if let Err(e) = device.patch_twin_reported_properties(&report).await {
                    eprintln!("reporting {status} failed: {e}");
                }
            }
        }
    });
    Ok(client)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: firmware_rollout SERVICE_CS CA_PEM_PATH DEVICE_CS [DEVICE_CS ...]";
    let service_cs = args.next().ok_or(usage)?;
    let ca = std::fs::read_to_string(args.next().ok_or(usage)?)?;
    let device_css: Vec<String> = args.collect();
    let firmware = std::env::var("FIRMWARE_VERSION").unwrap_or_else(|_| "2.0".into());
    let mut devices = Vec::new();
    for cs in &device_css {
        devices.push(start_device(cs, &ca).await?);
    }
    let ids: Vec<String> = device_css
        .iter()
        .filter_map(|cs| cs.split(';').find_map(|f| f.strip_prefix("DeviceId=")))
        .map(str::to_owned)
        .collect();
    let client = ServiceClient::from_connection_string(
        &service_cs,
        ServiceClientOptions {
            trust: Trust::Pem(ca),
            ..Default::default()
        },
    )?;

    let tags = json!({"plant": "Redmond43"}).as_object().cloned();
    let updates: Vec<TwinUpdate> = ids
        .iter()
        .map(|id| TwinUpdate {
            device_id: id.clone(),
            tags: tags.clone(),
            ..TwinUpdate::default()
        })
        .collect();
    let tagged = client.update_twins(&updates, true).await?;
    println!(
        "tagged {} devices as plant Redmond43 in one bulk call: success={}",
        ids.len(),
        tagged.is_successful
    );

    let jobs = client.jobs();
    let job_id = format!("firmware-{firmware}-{}", std::process::id());
    let patch = json!({"properties": {"desired": {"firmware": {"version": firmware}}}});
    let job = jobs
        .schedule_twin_update(&job_id, "tags.plant = 'Redmond43'", patch, None, Some(600))
        .await?;
    println!("job {job_id}: {}", job.status.unwrap_or_default());

    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let job = jobs.get_job(&job_id).await?;
        let stats = job.device_job_statistics.clone().unwrap_or_default();
        println!(
            "job {job_id}: {}, {}/{} devices patched",
            job.status.as_deref().unwrap_or("?"),
            stats.succeeded_count,
            stats.device_count
        );
        if job.is_finished() {
            break;
        }
        if Instant::now() > deadline {
            return Err("gave up waiting for the job".into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    loop {
        let page = client
            .query_page(&status_query(&firmware), &QueryOptions::default())
            .await?;
        let groups: Vec<Value> = page.items.into_iter().map(|i| i.into_json()).collect();
        let shown: Vec<String> = groups
            .iter()
            .map(|g| {
                format!(
                    "{}={}",
                    g["status"].as_str().unwrap_or("none"),
                    g["devices"]
                )
            })
            .collect();
        println!("firmware.status: {}", shown.join(", "));
        if groups
            .iter()
            .any(|g| g["status"] == "done" && g["devices"] == ids.len())
        {
            break;
        }
        if Instant::now() > deadline {
            return Err("gave up waiting for every device to report done".into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for device in devices {
        device.close().await;
    }
    println!("firmware {firmware} rolled out to every device in Redmond43");
    Ok(())
}
