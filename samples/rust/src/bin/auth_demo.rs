//! `make demo`, part one: parse the connection strings of a sample hub, sign a SAS token for a
//! device the way the official SDKs do, and verify it the way the hub does.
//!
//! Usage: `auth_demo [DEVICE_CONNECTION_STRING [SERVICE_CONNECTION_STRING]]`; without
//! arguments it uses a made-up hub and key.

use std::error::Error;

use iothub_twin::auth::{
    ConnectionString, DeviceAuth, DeviceConnectionString, SasToken, ServiceAuth,
    ServiceConnectionString, unix_time_now,
};
use iothub_twin::twin::{self, Section};
use serde_json::json;

const SAMPLE_DEVICE: &str = "HostName=myhub.azure-devices.net;DeviceId=myDeviceId;SharedAccessKey=MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const SAMPLE_SERVICE: &str = "HostName=myhub.azure-devices.net;SharedAccessKeyName=iothubowner;SharedAccessKey=c2VydmljZS1rZXktc2VydmljZS1rZXktc2VydmljZSE=";

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let device: DeviceConnectionString = args.next().as_deref().unwrap_or(SAMPLE_DEVICE).parse()?;
    let service: ServiceConnectionString =
        args.next().as_deref().unwrap_or(SAMPLE_SERVICE).parse()?;

    println!("device connection string (redacted): {device}");
    println!(
        "  hub {}  device {}  connects to {}",
        device.host_name,
        device.device_id,
        device.connect_host()
    );
    println!("service connection string (redacted): {service}");
    println!("  hub {}  policy {}", service.host_name, service.key_name);

    let expiry = unix_time_now() + 3600;
    if let DeviceAuth::SharedAccessKey { key, key_name } = &device.auth {
        let token = SasToken::generate(&device.sas_resource(), key, key_name.as_deref(), expiry);
        println!("device SAS token (signature redacted): {token}");
        let parsed = SasToken::parse(token.expose_secret())?;
        parsed.verify(
            &[key],
            device.host_name.host(),
            &["devices", &device.device_id],
            unix_time_now(),
        )?;
        println!("  verified as the hub would: signature, expiry and resource all match");
        let wrong =
            "HostName=x;DeviceId=y;SharedAccessKey=AAAA".parse::<DeviceConnectionString>()?;
        if let DeviceAuth::SharedAccessKey { key: wrong_key, .. } = &wrong.auth {
            println!(
                "  with another key: {}",
                parsed
                    .verify(
                        &[wrong_key],
                        device.host_name.host(),
                        &["devices", &device.device_id],
                        unix_time_now()
                    )
                    .unwrap_err()
            );
        }
    }
    if let ServiceAuth::SharedAccessKey(key) = &service.auth {
        let token = SasToken::generate(
            &service.host_name.to_string(),
            key,
            Some(&service.key_name),
            expiry,
        );
        println!("service SAS token (signature redacted): {token}");
    }

    for bad in [
        "HostName=h;DeviceId=d",
        "HostName=h;DeviceId=d;SharedAccessKey=%%%",
        "DeviceId=d;x509=true",
    ] {
        println!(
            "bad connection string -> {}",
            bad.parse::<ConnectionString>().unwrap_err()
        );
    }

    let patch = json!({"connectivity": {"type": "cellular"}});
    twin::validate(Section::Reported, &patch)?;
    println!("reported patch {patch} is within IoT Hub's twin limits");
    let bad_patch = json!({"connectivity": {"$type": "cellular"}});
    println!(
        "reported patch {bad_patch} -> {}",
        twin::validate(Section::Reported, &bad_patch).unwrap_err()
    );
    Ok(())
}
