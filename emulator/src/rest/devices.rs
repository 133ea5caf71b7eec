//! Identity registry endpoints (spec §4.5): `/devices/{id}` and `/devices/{id}/modules/{mid}`.
//!
//! `PUT` without `If-Match` creates (409 if it exists); with `If-Match` (an etag or `*`) it
//! updates (404 if missing, 412 on a stale etag). `DELETE` answers 204; `If-Match` is optional.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use iothub_twin::ErrorCode;
use serde::Deserialize;
use serde_json::Value;

use super::{AppState, Ids, JsonBody, QueryParams, if_match, ok_json};
use crate::auth::{Authorized, RegistryRead, RegistryWrite};
use crate::clock;
use crate::error::HubError;
use crate::registry::{Device, IdentityBody, Module};

#[derive(Debug, Deserialize)]
pub(super) struct ListQuery {
    top: Option<String>,
}

/// `GET /devices?top=N` (deprecated in IoT Hub, kept for tools): the first N devices by id;
/// N outside 1–1000 (or absent) means 1000.
pub(super) async fn list_devices(
    _: Authorized<RegistryRead>,
    State(state): State<AppState>,
    QueryParams(query): QueryParams<ListQuery>,
) -> Response {
    let top = query
        .top
        .and_then(|t| t.parse::<usize>().ok())
        .filter(|n| (1..=1000).contains(n))
        .unwrap_or(1000);
    let devices: Vec<Value> = state
        .store
        .read_committed(|registry| {
            registry
                .devices
                .values()
                .take(top)
                .map(|d| d.identity.to_json())
                .collect()
        })
        .await;
    ok_json(&Value::Array(devices), None)
}

pub(super) async fn get_device(
    _: Authorized<RegistryRead>,
    State(state): State<AppState>,
    ids: Ids,
) -> Result<Response, HubError> {
    let (json, etag) = state
        .store
        .read_committed(|registry| {
            let (identity, _) = ids.find(registry)?;
            Ok::<_, HubError>((identity.to_json(), identity.etag_text()))
        })
        .await?;
    Ok(ok_json(&json, Some(&etag)))
}

pub(super) async fn put_device(
    _: Authorized<RegistryWrite>,
    State(state): State<AppState>,
    ids: Ids,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, HubError> {
    let condition = if_match(&headers)?;
    let now = clock::now_iso();
    let id = ids.device_id;
    let (json, etag, enabled) = state
        .store
        .write(|registry, changes| {
            let identity = match condition {
                None => {
                    if registry.devices.contains_key(&id) {
                        return Err(HubError::new(
                            ErrorCode::DeviceAlreadyExists,
                            format!("a device with id {id} already exists"),
                        ));
                    }
                    let parsed = IdentityBody::parse(&body, &id, None, None)?;
                    let device = Device::create(&id, parsed, &now);
                    &registry
                        .devices
                        .entry(id.clone())
                        .or_insert(device)
                        .identity
                }
                Some(condition) => {
                    let device = registry
                        .devices
                        .get_mut(&id)
                        .ok_or_else(|| HubError::device_not_found(&id))?;
                    if !device.identity.etag_matches(Some(&condition)) {
                        return Err(stale_etag("device", &device.identity.etag_text()));
                    }
                    let parsed = IdentityBody::parse(&body, &id, None, Some(&device.identity))?;
                    parsed.apply_to(&mut device.identity, &now);
                    &device.identity
                }
            };
            let rendered = (identity.to_json(), identity.etag_text(), identity.enabled);
            changes.touch(&id, None);
            Ok(rendered)
        })
        .await?;
    if !enabled {
        // A disabled device may not stay connected.
        state.mqtt.disconnect(&id, None);
    }
    Ok(ok_json(&json, Some(&etag)))
}

pub(super) async fn delete_device(
    _: Authorized<RegistryWrite>,
    State(state): State<AppState>,
    ids: Ids,
    headers: HeaderMap,
) -> Result<Response, HubError> {
    let condition = if_match(&headers)?;
    let id = ids.device_id;
    state
        .store
        .write(|registry, changes| {
            let device = registry
                .device(&id)
                .ok_or_else(|| HubError::device_not_found(&id))?;
            if !device.identity.etag_matches(condition.as_deref()) {
                return Err(stale_etag("device", &device.identity.etag_text()));
            }
            registry.devices.remove(&id);
            changes.delete_device(&id);
            Ok(())
        })
        .await?;
    state.mqtt.forget(&id, None);
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(super) async fn list_modules(
    _: Authorized<RegistryRead>,
    State(state): State<AppState>,
    ids: Ids,
) -> Result<Response, HubError> {
    let modules = state
        .store
        .read_committed(|registry| {
            let device = registry
                .device(&ids.device_id)
                .ok_or_else(|| HubError::device_not_found(&ids.device_id))?;
            Ok::<_, HubError>(
                device
                    .modules
                    .values()
                    .map(|m| m.identity.to_json())
                    .collect(),
            )
        })
        .await?;
    Ok(ok_json(&Value::Array(modules), None))
}

pub(super) async fn get_module(
    _: Authorized<RegistryRead>,
    State(state): State<AppState>,
    ids: Ids,
) -> Result<Response, HubError> {
    let (json, etag) = state
        .store
        .read_committed(|registry| {
            let (identity, _) = ids.find(registry)?;
            Ok::<_, HubError>((identity.to_json(), identity.etag_text()))
        })
        .await?;
    Ok(ok_json(&json, Some(&etag)))
}

pub(super) async fn put_module(
    _: Authorized<RegistryWrite>,
    State(state): State<AppState>,
    ids: Ids,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, HubError> {
    let condition = if_match(&headers)?;
    let now = clock::now_iso();
    let (device_id, module_id) = (ids.device_id, ids.module_id.unwrap_or_default());
    let (json, etag) = state
        .store
        .write(|registry, changes| {
            let device = registry
                .devices
                .get_mut(&device_id)
                .ok_or_else(|| HubError::device_not_found(&device_id))?;
            let identity = match condition {
                None => {
                    if device.modules.contains_key(&module_id) {
                        return Err(HubError::new(
                            ErrorCode::ModuleAlreadyExistsOnDevice,
                            format!("module {module_id} already exists on device {device_id}"),
                        ));
                    }
                    let parsed = IdentityBody::parse(&body, &device_id, Some(&module_id), None)?;
                    let module = Module::create(&device_id, &module_id, parsed, &now);
                    &device
                        .modules
                        .entry(module_id.clone())
                        .or_insert(module)
                        .identity
                }
                Some(condition) => {
                    let module = device
                        .modules
                        .get_mut(&module_id)
                        .ok_or_else(|| HubError::module_not_found(&device_id, &module_id))?;
                    if !module.identity.etag_matches(Some(&condition)) {
                        return Err(stale_etag("module", &module.identity.etag_text()));
                    }
                    let parsed = IdentityBody::parse(
                        &body,
                        &device_id,
                        Some(&module_id),
                        Some(&module.identity),
                    )?;
                    parsed.apply_to(&mut module.identity, &now);
                    &module.identity
                }
            };
            let rendered = (identity.to_json(), identity.etag_text());
            changes.touch(&device_id, Some(&module_id));
            Ok(rendered)
        })
        .await?;
    Ok(ok_json(&json, Some(&etag)))
}

pub(super) async fn delete_module(
    _: Authorized<RegistryWrite>,
    State(state): State<AppState>,
    ids: Ids,
    headers: HeaderMap,
) -> Result<Response, HubError> {
    let condition = if_match(&headers)?;
    let (device_id, module_id) = (ids.device_id, ids.module_id.unwrap_or_default());
    state
        .store
        .write(|registry, changes| {
            let device = registry
                .devices
                .get_mut(&device_id)
                .ok_or_else(|| HubError::device_not_found(&device_id))?;
            let module = device
                .modules
                .get(&module_id)
                .ok_or_else(|| HubError::module_not_found(&device_id, &module_id))?;
            if !module.identity.etag_matches(condition.as_deref()) {
                return Err(stale_etag("module", &module.identity.etag_text()));
            }
            device.modules.remove(&module_id);
            changes.delete_module(&device_id, &module_id);
            Ok(())
        })
        .await?;
    state.mqtt.forget(&device_id, Some(&module_id));
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The hub's wording (spec §4.2): `Precondition failed: Device version did not match`.
pub(super) fn stale_etag(what: &str, current: &str) -> HubError {
    HubError::precondition_failed(format!(
        "Precondition failed: {what} etag did not match, current etag is \"{current}\""
    ))
}
