//! The guides' flows with the core clients (device over MQTT/TLS and WebSockets, service over
//! HTTPS) and the core clients' own failed attempts, everything logged at `trace` on both
//! sides; no key, token or signature may reach either log.

use std::time::Duration;

use futures::StreamExt as _;
use iothub_twin::device::Transport;
use iothub_twin::service::{Authentication, Device, ServiceClient, ServiceClientOptions};
use iothub_twin::tls::Trust;
use iothub_twin::{DeviceClient, DeviceClientOptions};
use serde_json::json;

use crate::hub::Hub;

fn device_options(hub: &Hub, transport: Transport) -> DeviceClientOptions {
    DeviceClientOptions {
        transport,
        trust: Trust::Pem(hub.ca.clone()),
        endpoint: match transport {
            Transport::Mqtt => None,
            Transport::MqttWebSockets => {
                Some(format!("localhost:{}", hub.https_port).parse().unwrap())
            }
        },
        operation_timeout: Duration::from_secs(20),
        ..DeviceClientOptions::default()
    }
}

#[tokio::test]
async fn normal_flows_and_failed_logins_leak_no_secret() {
    let hub = Hub::start();
    let service_options = ServiceClientOptions {
        trust: Trust::Pem(hub.ca.clone()),
        ..ServiceClientOptions::default()
    };
    let service = ServiceClient::from_connection_string(
        &hub.service_connection_string("iothubowner"),
        service_options.clone(),
    )
    .unwrap();
    let created = service
        .create_device(&Device::new("flow1", Authentication::sas()))
        .await
        .unwrap();
    let keys = created.authentication.unwrap().symmetric_key.unwrap();
    let key = keys.primary_key.unwrap();
    hub.remember(&key);
    hub.remember(&keys.secondary_key.unwrap());
    let device_cs = format!(
        "HostName=localhost;DeviceId=flow1;SharedAccessKey={key};GatewayHostName=localhost:{}",
        hub.mqtt_port
    );
    hub.remember(&device_cs);

    for transport in [Transport::Mqtt, Transport::MqttWebSockets] {
        let device = DeviceClient::connect(&device_cs, device_options(&hub, transport))
            .await
            .unwrap();
        let mut desired = device.desired_property_updates();
        device.get_twin().await.unwrap();
        device
            .patch_twin_reported_properties(&json!({"connectivity": {"type": "cellular"}}))
            .await
            .unwrap();
        service
            .update_twin(
                "flow1",
                &json!({"properties": {"desired": {"power_level": transport as u8}}}),
                None,
            )
            .await
            .unwrap();
        let patch = desired.next_patch().await.unwrap();
        assert_eq!(patch.patch["power_level"], json!(transport as u8));
        device.close().await;
    }
    let twins: Vec<_> = service
        .query_twins("SELECT * FROM devices WHERE deviceId = 'flow1'", Some(10))
        .collect()
        .await;
    assert_eq!(twins.len(), 1);

    // The core clients' own failures, their errors logged as an application would.
    let wrong_key = iothub_twin::auth::SharedAccessKey::from_bytes(&[7u8; 32]);
    hub.remember_key(&wrong_key);
    let wrong_cs = format!(
        "HostName=localhost;DeviceId=flow1;SharedAccessKey={};GatewayHostName=localhost:{}",
        wrong_key.expose_base64(),
        hub.mqtt_port
    );
    let error = DeviceClient::connect(&wrong_cs, device_options(&hub, Transport::Mqtt))
        .await
        .unwrap_err();
    tracing::error!("device connect with a wrong key: {error} / {error:?}");
    assert!(error.to_string().contains("authentication"), "{error}");
    let reader = ServiceClient::from_connection_string(
        &hub.service_connection_string("registryRead"),
        service_options.clone(),
    )
    .unwrap();
    let error = reader
        .update_twin("flow1", &json!({"tags": {"t": 1}}), None)
        .await
        .unwrap_err();
    tracing::error!("twin update with registryRead: {error} / {error:?}");
    let bad_service_cs = format!(
        "HostName=localhost:{};SharedAccessKeyName=iothubowner;SharedAccessKey={}",
        hub.https_port,
        wrong_key.expose_base64()
    );
    let error = ServiceClient::from_connection_string(&bad_service_cs, service_options)
        .unwrap()
        .get_twin("flow1")
        .await
        .unwrap_err();
    tracing::error!("service call with a wrong key: {error} / {error:?}");
    tracing::debug!(?service, ?reader, "clients");
    hub.finish();
}
