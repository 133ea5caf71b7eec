//! Twin requests over MQTT (spec §3.4–§3.6): GET and reported PATCH, answered on
//! `$iothub/twin/res/{status}/?$rid=…`; errors carry a status ≥ 400 *and* the JSON `errorCode`
//! body, because the official Node SDK looks only at the body.

use iothub_twin::ErrorCode;
use iothub_twin::topics::{TwinRequest, twin_response};
use serde_json::Value;

use super::MqttHub;
use super::auth::ClientIdentity;
use crate::clock;
use crate::error::HubError;

/// Processes one request; the response topic and payload, or `None` when a fault withholds it.
pub(super) async fn handle(
    hub: &MqttHub,
    identity: &ClientIdentity,
    request: TwinRequest<'_>,
    payload: &[u8],
) -> Option<(String, Vec<u8>)> {
    let device = identity.device_id.as_str();
    let rid = match &request {
        TwinRequest::Get { rid } | TwinRequest::PatchReported { rid, .. } => *rid,
    };
    let result = if hub.faults.throttle_twin_request(device) {
        Err(HubError::new(
            ErrorCode::ThrottlingException,
            "twin requests are throttled (emulator fault)",
        ))
    } else {
        match request {
            TwinRequest::Get { .. } => get(hub, identity).await,
            TwinRequest::PatchReported {
                expected_version, ..
            } => patch_reported(hub, identity, payload, expected_version).await,
        }
    };
    if let Some(delay) = hub.faults.response_delay(device) {
        tokio::time::sleep(delay).await;
    }
    if hub.faults.withhold_response(device) {
        tracing::info!(device, rid, "withholding a twin response (emulator fault)");
        return None;
    }
    Some(match result {
        Ok(Answer::Twin(body)) => (twin_response(200, rid, None), body.to_string().into_bytes()),
        Ok(Answer::Patched(version)) => (twin_response(204, rid, Some(version)), Vec::new()),
        Err(error) => (
            twin_response(error.code.status(), rid, None),
            error.mqtt_body().to_string().into_bytes(),
        ),
    })
}

enum Answer {
    Twin(Value),
    Patched(u64),
}

async fn get(hub: &MqttHub, identity: &ClientIdentity) -> Result<Answer, HubError> {
    let now = clock::now_iso();
    // Last activity is kept in memory only: a read is not worth a disk write.
    hub.store
        .write(|registry, _| {
            let (record, twin) = registry
                .twin_of_mut(&identity.device_id, identity.module_id.as_deref())
                .ok_or_else(|| not_found(identity))?;
            record.last_activity_time = now;
            Ok(Answer::Twin(twin.device_view()))
        })
        .await
}

async fn patch_reported(
    hub: &MqttHub,
    identity: &ClientIdentity,
    payload: &[u8],
    expected_version: Option<u64>,
) -> Result<Answer, HubError> {
    let patch: Value = serde_json::from_slice(payload).map_err(|e| {
        HubError::new(
            ErrorCode::IotHubFormatError,
            format!("the reported patch is not valid JSON: {e}"),
        )
    })?;
    let now = clock::now_iso();
    hub.store
        .write(|registry, changes| {
            let (record, twin) = registry
                .twin_of_mut(&identity.device_id, identity.module_id.as_deref())
                .ok_or_else(|| not_found(identity))?;
            let version = twin.reported_patch(&patch, expected_version, &now)?;
            record.last_activity_time = now;
            changes.touch(&identity.device_id, identity.module_id.as_deref());
            Ok(Answer::Patched(version))
        })
        .await
}

fn not_found(identity: &ClientIdentity) -> HubError {
    match &identity.module_id {
        Some(module) => HubError::module_not_found(&identity.device_id, module),
        None => HubError::device_not_found(&identity.device_id),
    }
}

/// Records a connect or disconnect in the registry (`connectionState`, its time, last
/// activity, and on connect the announced `model-id`).
pub(super) async fn set_connected(
    hub: &MqttHub,
    identity: &ClientIdentity,
    connected: bool,
    model_id: Option<&str>,
) {
    let now = clock::now_iso();
    let result = hub
        .store
        .write(|registry, changes| {
            if let Some((record, twin)) =
                registry.twin_of_mut(&identity.device_id, identity.module_id.as_deref())
            {
                record.connected = connected;
                record.connection_state_updated_time = now.clone();
                record.last_activity_time = now;
                if let Some(model_id) = model_id {
                    twin.model_id = model_id.to_owned();
                }
                changes.touch(&identity.device_id, identity.module_id.as_deref());
            }
            Ok(())
        })
        .await;
    if let Err(e) = result {
        tracing::warn!(device = %identity.device_id, "could not record the connection state: {e}");
    }
}
