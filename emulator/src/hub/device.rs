//! What a connected device (or module) does to its own identity and twin: connect and
//! disconnect, read its twin, patch its reported properties (spec §3.4–§3.6).

use iothub_twin::ErrorCode;
use serde_json::Value;

use super::Hub;
use crate::clock;
use crate::error::HubError;
use crate::registry::{Identity, IdentityKey};
use crate::store::TwinChange;
use crate::twin_state::{TwinBefore, TwinOp, notification_body};

impl Hub {
    /// The identity a CONNECT names and whether its device is enabled (a module's device may be
    /// disabled while the module is not); `None` when it does not exist. Read from memory:
    /// admitting shows the client nothing of the registry's state.
    pub fn connect_identity(&self, key: &IdentityKey) -> Option<(Identity, bool)> {
        self.store.read(|registry| {
            let device = registry.device(&key.device_id)?;
            match key.module() {
                None => Some((device.identity.clone(), true)),
                Some(module) => device
                    .modules
                    .get(module)
                    .map(|m| (m.identity.clone(), device.identity.enabled)),
            }
        })
    }

    /// An MQTT twin GET: `{desired, reported}` with `$version`, no `$metadata`.
    pub async fn device_get_twin(&self, key: &IdentityKey) -> Result<Value, HubError> {
        let now = clock::now_iso();
        // Last activity is kept in memory only: a read is not worth a disk write.
        self.store
            .write(|registry, _| {
                let (identity, twin) = registry.find_mut(key)?;
                identity.last_activity_time = now;
                Ok(twin.device_view())
            })
            .await
    }

    /// A reported-properties patch from the device (JSON bytes as received); the new reported
    /// `$version`. `expected_version` is the topic's optional `$version` precondition.
    pub async fn device_patch_reported(
        &self,
        key: &IdentityKey,
        payload: &[u8],
        expected_version: Option<u64>,
    ) -> Result<u64, HubError> {
        let patch: Value = serde_json::from_slice(payload).map_err(|e| {
            HubError::new(
                ErrorCode::IotHubFormatError,
                format!("the reported patch is not valid JSON: {e}"),
            )
        })?;
        let now = clock::now_iso();
        self.store
            .write(|registry, changes| {
                let (identity, twin) = registry.find_mut(key)?;
                let before = TwinBefore::device(twin);
                let version = twin.reported_patch(&patch, expected_version, &now)?;
                let change = TwinChange {
                    op: TwinOp::Update,
                    version: twin.version,
                    timestamp: now.clone(),
                    desired: None,
                    body: notification_body(&before, twin, TwinOp::Update),
                };
                changes.twin_changed(key, change);
                identity.last_activity_time = now;
                changes.touch(&key.device_id, key.module());
                Ok(version)
            })
            .await
    }

    /// Records a connect or disconnect (`connectionState`, its time, last activity, and on
    /// connect the announced `model-id`). An identity deleted meanwhile is left alone.
    pub async fn set_connected(&self, key: &IdentityKey, connected: bool, model_id: Option<&str>) {
        let now = clock::now_iso();
        let result = self
            .store
            .write(|registry, changes| {
                if let Ok((identity, twin)) = registry.find_mut(key) {
                    identity.connected = connected;
                    identity.connection_state_updated_time = now.clone();
                    identity.last_activity_time = now;
                    if let Some(model_id) = model_id {
                        twin.model_id = model_id.to_owned();
                    }
                    changes.touch(&key.device_id, key.module());
                }
                Ok(())
            })
            .await;
        if let Err(e) = result {
            tracing::warn!(device = %key.device_id, "could not record the connection state: {e}");
        }
    }
}
