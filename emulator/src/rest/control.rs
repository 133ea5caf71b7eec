//! The emulator's control API, for tests (not part of IoT Hub): open connections, dropping a
//! device's connection, fault injection, device certificates signed by the emulator CA, and
//! applying the automatic configurations at once.
//! Every route needs the owner policy (or the `--entra-token` stand-in).

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use iothub_twin::ErrorCode;
use serde::Deserialize;
use serde_json::json;

use super::auth::{Authorized, Owner};
use super::{JsonBody, Key, QueryParams, ok_json};
use crate::error::HubError;
use crate::faults::FaultSettings;
use crate::hub::Hub;

pub(super) fn routes() -> Router<Arc<Hub>> {
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
        .route("/emulator/configurations/apply", post(apply_configurations))
}

/// Applies the automatic configurations now, without waiting for `--configuration-interval`:
/// `{"twinsChanged": N}`.
async fn apply_configurations(
    _: Authorized<Owner>,
    State(hub): State<Arc<Hub>>,
) -> Result<Response, HubError> {
    let changed = hub.apply_configurations().await?;
    Ok(ok_json(&json!({ "twinsChanged": changed }), None))
}

async fn list_connections(_: Authorized<Owner>, State(hub): State<Arc<Hub>>) -> Response {
    ok_json(&hub.connections_json(), None)
}

#[derive(Debug, Deserialize)]
struct ModuleQuery {
    #[serde(rename = "moduleId")]
    module_id: Option<String>,
}

/// Closes the device's connection (all of its modules' too, unless `?moduleId=` names one).
async fn drop_connection(
    _: Authorized<Owner>,
    State(hub): State<Arc<Hub>>,
    Key(key): Key,
    QueryParams(query): QueryParams<ModuleQuery>,
) -> Result<Response, HubError> {
    let device_id = key.device_id;
    match hub.disconnect(&device_id, query.module_id.as_deref()) {
        0 => Err(HubError::new(
            ErrorCode::DeviceNotOnline,
            format!("{device_id} has no open connection"),
        )),
        _ => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

async fn get_faults(_: Authorized<Owner>, State(hub): State<Arc<Hub>>) -> Response {
    ok_json(&json!(hub.faults().get()), None)
}

async fn set_faults(
    _: Authorized<Owner>,
    State(hub): State<Arc<Hub>>,
    JsonBody(body): JsonBody,
) -> Result<Response, HubError> {
    let settings: FaultSettings = serde_json::from_value(body)
        .map_err(|e| HubError::invalid(format!("fault settings: {e}")))?;
    hub.faults().set(settings.clone());
    Ok(ok_json(&json!(settings), None))
}

/// A client certificate for the device, signed by the emulator CA (for `certificateAuthority`
/// devices): `{"certificate": PEM, "privateKey": PEM}`.
async fn issue_certificate(
    _: Authorized<Owner>,
    State(hub): State<Arc<Hub>>,
    Key(key): Key,
) -> Result<Response, HubError> {
    let (certificate, private_key) = hub.issue_device_certificate(&key.device_id).map_err(|e| {
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
