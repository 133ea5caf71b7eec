//! The device side of the "Get started with device twins" guides, on iothub-twin: connect, read
//! the twin, report connectivity, then react to desired-property changes.
//!
//! Usage: `device_flow [--ca CA_PEM] [--wait-desired SECONDS] CONNECTION_STRING`, or the
//! connection string in `IOTHUB_DEVICE_CONNECTION_STRING`. With `--ca` (e.g. the emulator's
//! `ca.pem`) only that CA is trusted; otherwise the system's roots.

use std::time::Duration;

use futures::StreamExt as _;
use iothub_twin::tls::Trust;
use iothub_twin::{DeviceClient, DeviceClientOptions};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut ca = None;
    let mut wait = Duration::from_secs(0);
    let mut connection_string = std::env::var("IOTHUB_DEVICE_CONNECTION_STRING").ok();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--ca" => {
                ca = Some(std::fs::read_to_string(
                    args.next().ok_or("--ca needs a path")?,
                )?)
            }
            "--wait-desired" => {
                wait =
                    Duration::from_secs(args.next().ok_or("--wait-desired needs seconds")?.parse()?)
            }
            _ => connection_string = Some(arg),
        }
    }
    let connection_string = connection_string.ok_or("give a device connection string")?;
    let options = DeviceClientOptions {
        trust: ca.map_or(Trust::System, Trust::Pem),
        ..Default::default()
    };

    let client = DeviceClient::connect(&connection_string, options).await?;
    println!("[device] connected");
    let mut desired = client.desired_property_updates();

    let twin = client.get_twin().await?;
    println!(
        "[device] twin: desired {} reported {}",
        json!(twin.desired),
        json!(twin.reported)
    );

    let version = client
        .patch_twin_reported_properties(&json!({"connectivity": {"type": "cellular"}}))
        .await?;
    println!("[device] reported connectivity.type = cellular (reported $version {version})");

    if !wait.is_zero() {
        println!(
            "[device] waiting up to {}s for a desired-property change",
            wait.as_secs()
        );
        match tokio::time::timeout(wait, desired.next()).await {
            Ok(Some(patch)) => println!("[device] desired patch received: {}", patch.to_json()),
            Ok(None) => println!("[device] the client closed"),
            Err(_) => println!("[device] no desired change within {}s", wait.as_secs()),
        }
    }
    client.close().await;
    println!("[device] closed");
    Ok(())
}
