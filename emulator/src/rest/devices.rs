//! Identity registry endpoints (spec §4.5): `/devices/{id}` and `/devices/{id}/modules/{mid}`,
//! one handler each for devices and modules (the path's [`Key`] tells which). The rules are the
//! hub's (`hub/identities.rs`).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use super::auth::{Authorized, RegistryRead, RegistryWrite};
use super::{JsonBody, Key, QueryParams, if_match, ok_json};
use crate::error::HubError;
use crate::hub::Hub;

#[derive(Debug, Deserialize)]
pub(super) struct ListQuery {
    top: Option<String>,
}

/// `GET /devices?top=N` (deprecated in IoT Hub, kept for tools): the first N devices by id;
/// N outside 1–1000 (or absent) means 1000.
pub(super) async fn list_devices(
    _: Authorized<RegistryRead>,
    State(hub): State<Arc<Hub>>,
    QueryParams(query): QueryParams<ListQuery>,
) -> Response {
    let top = query
        .top
        .and_then(|t| t.parse::<usize>().ok())
        .filter(|n| (1..=1000).contains(n))
        .unwrap_or(1000);
    ok_json(&Value::Array(hub.list_devices(top).await), None)
}

pub(super) async fn list_modules(
    _: Authorized<RegistryRead>,
    State(hub): State<Arc<Hub>>,
    Key(key): Key,
) -> Result<Response, HubError> {
    let modules = hub.list_modules(&key.device_id).await?;
    Ok(ok_json(&Value::Array(modules), None))
}

pub(super) async fn get_identity(
    _: Authorized<RegistryRead>,
    State(hub): State<Arc<Hub>>,
    Key(key): Key,
) -> Result<Response, HubError> {
    let answer = hub.get_identity(&key).await?;
    Ok(ok_json(&answer.json, Some(&answer.etag)))
}

pub(super) async fn put_identity(
    _: Authorized<RegistryWrite>,
    State(hub): State<Arc<Hub>>,
    Key(key): Key,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, HubError> {
    let condition = if_match(&headers)?;
    let answer = hub.put_identity(&key, &body, condition.as_deref()).await?;
    Ok(ok_json(&answer.json, Some(&answer.etag)))
}

pub(super) async fn delete_identity(
    _: Authorized<RegistryWrite>,
    State(hub): State<Arc<Hub>>,
    Key(key): Key,
    headers: HeaderMap,
) -> Result<Response, HubError> {
    let condition = if_match(&headers)?;
    hub.delete_identity(&key, condition.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
