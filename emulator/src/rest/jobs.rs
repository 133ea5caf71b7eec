//! `/jobs/v2` (scheduled twin-update jobs) and `POST /devices` (bulk registry operations); the
//! rules are the hub's (`hub/jobs.rs`, `hub/bulk.rs`). Import/export jobs (`/jobs/create`,
//! `/jobs`, `/jobs/{id}`) answer IoT Hub's error shape saying this emulator does not run them.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use super::auth::{Authorized, RegistryRead, RegistryWrite};
use super::query::page_size;
use super::{JsonBody, QueryParams, json_body, ok_json};
use crate::error::HubError;
use crate::hub::{Hub, not_supported};

const CONTINUATION: HeaderName = HeaderName::from_static("x-ms-continuation");

pub(super) async fn create_job(
    _: Authorized<RegistryWrite>,
    State(hub): State<Arc<Hub>>,
    Path(job_id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, HubError> {
    Ok(ok_json(&hub.create_job(&job_id, &body).await?, None))
}

pub(super) async fn get_job(
    _: Authorized<RegistryRead>,
    State(hub): State<Arc<Hub>>,
    Path(job_id): Path<String>,
) -> Result<Response, HubError> {
    Ok(ok_json(&hub.get_job(&job_id).await?, None))
}

pub(super) async fn cancel_job(
    _: Authorized<RegistryWrite>,
    State(hub): State<Arc<Hub>>,
    Path(job_id): Path<String>,
) -> Result<Response, HubError> {
    Ok(ok_json(&hub.cancel_job(&job_id).await?, None))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct JobFilter {
    job_type: Option<String>,
    job_status: Option<String>,
}

pub(super) async fn query_jobs(
    _: Authorized<RegistryRead>,
    State(hub): State<Arc<Hub>>,
    QueryParams(filter): QueryParams<JobFilter>,
    headers: HeaderMap,
) -> Result<Response, HubError> {
    let continuation = headers
        .get(&CONTINUATION)
        .and_then(|value| value.to_str().ok())
        .filter(|token| !token.trim().is_empty());
    let page = hub
        .query_jobs(
            filter.job_type.as_deref(),
            filter.job_status.as_deref(),
            page_size(&headers)?,
            continuation,
        )
        .await?;
    let mut response = json_body(&Value::Array(page.items));
    if let Some(token) = page.continuation
        && let Ok(value) = HeaderValue::from_str(&token)
    {
        response.headers_mut().insert(CONTINUATION, value);
    }
    Ok(response)
}

/// `/jobs/create`, `/jobs`, `/jobs/{id}`: import and export jobs need blob storage. The body is
/// read (and ignored) first: answering before it is read makes clients see a broken connection.
pub(super) async fn import_export_job(
    _: Authorized<RegistryRead>,
    _body: Result<JsonBody, HubError>,
) -> HubError {
    not_supported(
        "import and export jobs (blob storage) are not supported by this emulator; \
         use POST /devices for bulk registry operations",
    )
}

/// `POST /devices`: 200 when every item applied, 400 with the same result shape otherwise.
pub(super) async fn bulk_registry_operation(
    _: Authorized<RegistryWrite>,
    State(hub): State<Arc<Hub>>,
    JsonBody(body): JsonBody,
) -> Result<Response, HubError> {
    let result = hub.bulk_registry_operation(&body).await?;
    let mut response = ok_json(&result, None);
    if result["isSuccessful"] != Value::Bool(true) {
        *response.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(response.into_response())
}
