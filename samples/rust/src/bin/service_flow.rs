//! The back-end flow of Microsoft's "Get started with device twins" guides, on the service
//! client: tag the device with its location and set desired `power_level = 1` conditional on
//! the twin's etag, then run the guides' two queries.
//!
//! Usage: `service_flow [SERVICE_CONNECTION_STRING [CA_PEM_PATH [DEVICE_ID]]]`, or the
//! environment variables `IOTHUB_SERVICE_CONNECTION_STRING`, `IOTHUB_CA_CERT` (a PEM file, e.g.
//! the emulator's `ca.pem`; without it the system's roots are trusted) and `IOTHUB_DEVICE_ID`
//! (default `myDeviceId`; created with SAS keys if missing).

use std::error::Error;

use futures::TryStreamExt as _;
use iothub_twin::service::{Authentication, Device};
use iothub_twin::tls::Trust;
use iothub_twin::{ServiceClient, ServiceClientOptions};
use serde_json::json;

const QUERIES: [&str; 2] = [
    "SELECT * FROM devices WHERE tags.location.plant = 'Redmond43'",
    "SELECT * FROM devices WHERE tags.location.plant = 'Redmond43' AND properties.reported.connectivity.type = 'cellular'",
];

fn setting(args: &mut impl Iterator<Item = String>, env: &str) -> Option<String> {
    args.next()
        .or_else(|| std::env::var(env).ok())
        .filter(|v| !v.is_empty())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let connection_string = setting(&mut args, "IOTHUB_SERVICE_CONNECTION_STRING").ok_or(
        "usage: service_flow SERVICE_CONNECTION_STRING [CA_PEM_PATH [DEVICE_ID]] \
         (or set IOTHUB_SERVICE_CONNECTION_STRING)",
    )?;
    let trust = match setting(&mut args, "IOTHUB_CA_CERT") {
        Some(path) => Trust::Pem(
            std::fs::read_to_string(&path).map_err(|e| format!("reading the CA {path}: {e}"))?,
        ),
        None => Trust::System,
    };
    let device_id = setting(&mut args, "IOTHUB_DEVICE_ID").unwrap_or_else(|| "myDeviceId".into());

    let client = ServiceClient::from_connection_string(
        &connection_string,
        ServiceClientOptions {
            trust,
            ..Default::default()
        },
    )?;
    println!("service client for {}", client.host_name());

    match client.get_device(&device_id).await {
        Ok(device) => println!("device {device_id} exists (etag {:?})", device.etag),
        Err(e) if e.is_not_found() => {
            let device = client
                .create_device(&Device::new(&device_id, Authentication::sas()))
                .await?;
            println!("device {device_id} created (etag {:?})", device.etag);
        }
        Err(e) => return Err(e.into()),
    }

    let twin = client.get_twin(&device_id).await?;
    println!(
        "twin of {device_id}: etag {:?}, version {:?}, tags {}",
        twin.etag,
        twin.version,
        json!(twin.tags)
    );

    let patch = json!({
        "tags": {"location": {"region": "US", "plant": "Redmond43"}},
        "properties": {"desired": {"power_level": 1}}
    });
    let updated = client
        .update_twin(&device_id, &patch, twin.etag.as_deref())
        .await?;
    let desired = updated
        .properties
        .as_ref()
        .map(|p| p.desired.to_properties())
        .unwrap_or_default();
    println!(
        "updated with If-Match {:?}: etag {:?}, tags {}, desired {} ($version {:?})",
        twin.etag,
        updated.etag,
        json!(updated.tags),
        json!(desired),
        updated
            .properties
            .as_ref()
            .and_then(|p| p.desired.version())
    );

    // The old etag no longer matches: optimistic concurrency at work.
    match client
        .update_twin(&device_id, &patch, twin.etag.as_deref())
        .await
    {
        Err(e) if e.is_precondition_failed() => {
            println!("the same update with the old etag is refused: {e}")
        }
        other => println!("unexpected: the stale update gave {other:?}"),
    }

    for sql in QUERIES {
        let ids: Vec<String> = client
            .query_twins(sql, Some(100))
            .map_ok(|t| t.device_id.unwrap_or_default())
            .try_collect()
            .await
            .map_err(|e| format!("query {sql:?} failed: {e}"))?;
        println!("{sql}\n  -> {} device(s): {}", ids.len(), ids.join(", "));
    }
    Ok(())
}
