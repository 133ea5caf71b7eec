//! Twin requests over MQTT (spec §3.4–§3.6): GET and reported PATCH, answered on
//! `$iothub/twin/res/{status}/?$rid=…`; errors carry a status ≥ 400 *and* the JSON `errorCode`
//! body, because the official Node SDK looks only at the body.

use iothub_twin::ErrorCode;
use iothub_twin::topics::{TwinRequest, twin_response};
use serde_json::{Value, json};

use crate::clock;
use crate::error::HubError;
use crate::hub::Hub;
use crate::registry::IdentityKey;

/// Processes one request; the response topic and payload, or `None` when a fault withholds it.
pub(super) async fn handle(
    hub: &Hub,
    key: &IdentityKey,
    request: TwinRequest<'_>,
    payload: &[u8],
) -> Option<(String, Vec<u8>)> {
    let device = key.device_id.as_str();
    let rid = match &request {
        TwinRequest::Get { rid } | TwinRequest::PatchReported { rid, .. } => *rid,
    };
    let result = if hub.faults().throttle_twin_request(device) {
        Err(HubError::new(
            ErrorCode::ThrottlingException,
            "twin requests are throttled (emulator fault)",
        ))
    } else {
        match request {
            TwinRequest::Get { .. } => hub.device_get_twin(key).await.map(Answer::Twin),
            TwinRequest::PatchReported {
                expected_version, ..
            } => hub
                .device_patch_reported(key, payload, expected_version)
                .await
                .map(Answer::Patched),
        }
    };
    if let Some(delay) = hub.faults().response_delay(device) {
        tokio::time::sleep(delay).await;
    }
    if hub.faults().withhold_response(device) {
        tracing::info!(device, rid, "withholding a twin response (emulator fault)");
        return None;
    }
    Some(match result {
        Ok(Answer::Twin(body)) => (twin_response(200, rid, None), body.to_string().into_bytes()),
        Ok(Answer::Patched(version)) => (twin_response(204, rid, Some(version)), Vec::new()),
        Err(error) => (
            twin_response(error.status(), rid, None),
            error_body(&error).to_string().into_bytes(),
        ),
    })
}

enum Answer {
    Twin(Value),
    Patched(u64),
}

/// The MQTT twin error body: `{"errorCode":400004,"trackingId":…,"message":…,"timestampUtc":…}`
/// (the official Node SDK detects a twin error only by `errorCode` in the body).
fn error_body(error: &HubError) -> Value {
    json!({
        "errorCode": error.code.number(),
        "trackingId": format!("{}-G:0-TimeStamp:{}", clock::tracking_id(), clock::tracking_timestamp()),
        "message": error.message,
        "timestampUtc": clock::now_iso(),
    })
}
