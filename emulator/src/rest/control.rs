//! The emulator's control API, for tests (not part of IoT Hub): open connections, dropping a
//! device's connection, fault injection, and device certificates signed by the emulator CA.
//! Every route needs the owner policy (or the `--entra-token` stand-in).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use iothub_twin::ErrorCode;
use serde::Deserialize;
use serde_json::json;

use super::{AppState, Ids, JsonBody, QueryParams, ok_json};
use crate::auth::{Authorized, Owner};
use crate::error::HubError;
use crate::faults::FaultSettings;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/emulator/connections", get(list_connections))
        .route(
            "/emulator/connections/{device_id}",
            axum::routing::delete(drop_connection),
        )
        .route("/emulator/faults", get(get_faults).put(set_faults))
        .route(
            "/emulator/devices/{device_id}/certificate",
            post(issue_certificate),
        )
}

async fn list_connections(_: Authorized<Owner>, State(state): State<AppState>) -> Response {
    ok_json(&state.mqtt.connections_json(), None)
}

#[derive(Debug, Deserialize)]
struct ModuleQuery {
    #[serde(rename = "moduleId")]
    module_id: Option<String>,
}

/// Closes the device's connection (all of its modules' too, unless `?moduleId=` names one).
async fn drop_connection(
    _: Authorized<Owner>,
    State(state): State<AppState>,
    Ids { device_id, .. }: Ids,
    QueryParams(query): QueryParams<ModuleQuery>,
) -> Result<Response, HubError> {
    match state
        .mqtt
        .disconnect(&device_id, query.module_id.as_deref())
    {
        0 => Err(HubError::new(
            ErrorCode::DeviceNotOnline,
            format!("{device_id} has no open connection"),
        )),
        _ => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

async fn get_faults(_: Authorized<Owner>, State(state): State<AppState>) -> Response {
    ok_json(&json!(state.faults().get()), None)
}

async fn set_faults(
    _: Authorized<Owner>,
    State(state): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<Response, HubError> {
    let settings: FaultSettings = serde_json::from_value(body)
        .map_err(|e| HubError::invalid(format!("fault settings: {e}")))?;
    state.faults().set(settings.clone());
    Ok(ok_json(&json!(settings), None))
}

/// A client certificate for the device, signed by the emulator CA (for `certificateAuthority`
/// devices): `{"certificate": PEM, "privateKey": PEM}`.
async fn issue_certificate(
    _: Authorized<Owner>,
    State(state): State<AppState>,
    Ids { device_id, .. }: Ids,
) -> Result<Response, HubError> {
    let (certificate, private_key) = state.mqtt.ca.issue(&device_id).map_err(|e| {
        HubError::new(
            ErrorCode::ServerError,
            format!("could not sign a certificate: {e}"),
        )
    })?;
    Ok(ok_json(
        &json!({"certificate": certificate, "privateKey": private_key}),
        None,
    ))
}
