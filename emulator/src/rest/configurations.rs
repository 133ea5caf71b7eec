//! Automatic device configurations and registry statistics: `/configurations/...`,
//! `/statistics/...` and `POST /devices/{id}/applyConfigurationContent`. The rules are the
//! hub's (`hub/configurations.rs`, `hub/statistics.rs`).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::auth::{Authorized, RegistryRead, RegistryWrite};
use super::{JsonBody, Key, QueryParams, if_match, ok_json};
use crate::error::HubError;
use crate::hub::Hub;

#[derive(Debug, Deserialize)]
pub(super) struct ListQuery {
    top: Option<String>,
}

pub(super) async fn get_configuration(
    _: Authorized<RegistryRead>,
    State(hub): State<Arc<Hub>>,
    Path(id): Path<String>,
) -> Result<Response, HubError> {
    let answer = hub.get_configuration(&id).await?;
    Ok(ok_json(&answer.json, Some(&answer.etag)))
}

pub(super) async fn list_configurations(
    _: Authorized<RegistryRead>,
    State(hub): State<Arc<Hub>>,
    QueryParams(query): QueryParams<ListQuery>,
) -> Result<Response, HubError> {
    let top = query
        .top
        .map(|t| {
            t.parse::<usize>()
                .map_err(|_| HubError::invalid(format!("top must be a whole number, not `{t}`")))
        })
        .transpose()?;
    Ok(ok_json(&hub.list_configurations(top).await, None))
}

pub(super) async fn put_configuration(
    _: Authorized<RegistryWrite>,
    State(hub): State<Arc<Hub>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, HubError> {
    let condition = if_match(&headers)?;
    let answer = hub
        .put_configuration(&id, &body, condition.as_deref())
        .await?;
    Ok(ok_json(&answer.json, Some(&answer.etag)))
}

pub(super) async fn delete_configuration(
    _: Authorized<RegistryWrite>,
    State(hub): State<Arc<Hub>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, HubError> {
    let condition = if_match(&headers)?;
    hub.delete_configuration(&id, condition.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(super) async fn test_queries(
    _: Authorized<RegistryRead>,
    State(hub): State<Arc<Hub>>,
    JsonBody(body): JsonBody,
) -> Result<Response, HubError> {
    Ok(ok_json(&hub.test_configuration_queries(&body)?, None))
}

pub(super) async fn apply_configuration_content(
    _: Authorized<RegistryWrite>,
    State(hub): State<Arc<Hub>>,
    Key(_): Key,
) -> Result<Response, HubError> {
    hub.apply_configuration_content()?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(super) async fn device_statistics(
    _: Authorized<RegistryRead>,
    State(hub): State<Arc<Hub>>,
) -> Response {
    ok_json(&hub.device_statistics().await, None)
}

pub(super) async fn service_statistics(
    _: Authorized<RegistryRead>,
    State(hub): State<Arc<Hub>>,
) -> Response {
    ok_json(&hub.service_statistics().await, None)
}
