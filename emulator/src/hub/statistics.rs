//! Registry and service statistics (`GET /statistics/devices`, `GET /statistics/service`),
//! counted exactly from the registry (IoT Hub's are approximate and lag; these do not).

use serde_json::{Value, json};

use super::Hub;

impl Hub {
    /// `{totalDeviceCount, enabledDeviceCount, disabledDeviceCount}`: devices, not modules.
    pub async fn device_statistics(&self) -> Value {
        self.store
            .read_committed(|registry| {
                let total = registry.devices.len();
                let enabled = registry
                    .devices
                    .values()
                    .filter(|d| d.identity.enabled)
                    .count();
                json!({
                    "totalDeviceCount": total,
                    "enabledDeviceCount": enabled,
                    "disabledDeviceCount": total - enabled,
                })
            })
            .await
    }

    /// `{connectedDeviceCount}`: devices with an open MQTT connection.
    pub async fn service_statistics(&self) -> Value {
        let connected = self.store.read(|registry| {
            registry
                .devices
                .values()
                .filter(|d| d.identity.connected)
                .count()
        });
        json!({ "connectedDeviceCount": connected })
    }
}
