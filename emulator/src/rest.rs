//! The REST service API (spec §4): routing, and the request plumbing every endpoint shares.

mod auth;
mod configurations;
mod control;
mod devices;
mod jobs;
mod query;
mod response;
mod twin_events;
mod twins;
mod websocket;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::header::{CONTENT_LENGTH, IF_MATCH, RETRY_AFTER};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::BytesMut;
use futures::StreamExt as _;
use iothub_twin::ErrorCode;
use serde_json::Value;

use crate::error::HubError;
use crate::hub::Hub;
use crate::registry::IdentityKey;
pub(crate) use auth::{SESSION_COOKIE, explorer_session};
pub(crate) use response::{json_body, ok_json};
pub(crate) use twin_events::{
    BACKLOG as TWIN_EVENT_BACKLOG, TwinFeed, routes as twin_event_routes,
};

/// Largest request body accepted; larger ones get `413 MessageTooLarge`.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// The HTTPS port's routes: the service API, MQTT over WebSockets and the control API.
pub fn router(hub: Arc<Hub>) -> Router {
    service_api(&hub)
        .route("/$iothub/websocket", get(websocket::upgrade))
        .merge(control::routes())
        .fallback(no_such_endpoint)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(hub)
}

/// IoT Hub's service REST API (spec §4).
fn service_api(hub: &Arc<Hub>) -> Router<Arc<Hub>> {
    Router::new()
        .route(
            "/devices",
            get(devices::list_devices).post(jobs::bulk_registry_operation),
        )
        .route("/jobs/v2/query", get(jobs::query_jobs))
        .route(
            "/jobs/v2/{job_id}",
            get(jobs::get_job).put(jobs::create_job),
        )
        .route("/jobs/v2/{job_id}/cancel", post(jobs::cancel_job))
        .route("/jobs/create", post(jobs::import_export_job))
        .route("/jobs", get(jobs::import_export_job))
        .route(
            "/jobs/{job_id}",
            get(jobs::import_export_job).delete(jobs::import_export_job),
        )
        .route(
            "/devices/{device_id}",
            get(devices::get_identity)
                .put(devices::put_identity)
                .delete(devices::delete_identity),
        )
        .route("/devices/query", post(query::query_twins))
        .route("/devices/{device_id}/modules", get(devices::list_modules))
        .route(
            "/devices/{device_id}/modules/{module_id}",
            get(devices::get_identity)
                .put(devices::put_identity)
                .delete(devices::delete_identity),
        )
        .route(
            "/twins/{device_id}",
            get(twins::get_twin)
                .patch(twins::update_twin)
                .put(twins::replace_twin),
        )
        .route(
            "/twins/{device_id}/modules/{module_id}",
            get(twins::get_twin)
                .patch(twins::update_twin)
                .put(twins::replace_twin),
        )
        .merge(configuration_api())
        .route_layer(middleware::from_fn_with_state(hub.clone(), throttle_fault))
        .route_layer(middleware::from_fn(require_api_version))
}

/// Automatic device configurations and registry statistics.
fn configuration_api() -> Router<Arc<Hub>> {
    use configurations as c;
    Router::new()
        .route("/configurations", get(c::list_configurations))
        .route("/configurations/testQueries", post(c::test_queries))
        .route(
            "/configurations/{id}",
            get(c::get_configuration)
                .put(c::put_configuration)
                .delete(c::delete_configuration),
        )
        .route(
            "/devices/{device_id}/applyConfigurationContent",
            post(c::apply_configuration_content),
        )
        .route("/statistics/devices", get(c::device_statistics))
        .route("/statistics/service", get(c::service_statistics))
}

/// The `throttleServiceRequests` fault: 429 with `Retry-After: 1`, the request not processed.
async fn throttle_fault(State(hub): State<Arc<Hub>>, request: Request, next: Next) -> Response {
    let device = request.uri().path().split('/').nth(2).map(|id| {
        percent_encoding::percent_decode_str(id)
            .decode_utf8_lossy()
            .into_owned()
    });
    if hub.faults().throttle_service_request(device.as_deref()) {
        let mut response = HubError::new(
            ErrorCode::ThrottlingException,
            "the service API is throttled (emulator fault)",
        )
        .into_response();
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from_static("1"));
        return response;
    }
    next.run(request).await
}

/// Every call carries `?api-version=…` (spec §4.1); any date-shaped value is accepted.
async fn require_api_version(request: Request, next: Next) -> Response {
    let has_version = request.uri().query().is_some_and(|query| {
        query.split('&').any(|pair| {
            pair.strip_prefix("api-version=")
                .is_some_and(|v| !v.is_empty())
        })
    });
    if has_version {
        next.run(request).await
    } else {
        HubError::new(
            ErrorCode::InvalidProtocolVersion,
            "the api-version query parameter is required, e.g. ?api-version=2021-04-12",
        )
        .into_response()
    }
}

/// Unknown paths: 404 with an `InvalidOperation` body (IoT Hub's exact answer is undocumented).
async fn no_such_endpoint() -> Response {
    with_status(
        HubError::new(ErrorCode::InvalidOperation, "no such endpoint on this hub"),
        StatusCode::NOT_FOUND,
    )
}

async fn method_not_allowed() -> Response {
    with_status(
        HubError::new(
            ErrorCode::InvalidOperation,
            "this endpoint does not support that method",
        ),
        StatusCode::METHOD_NOT_ALLOWED,
    )
}

fn with_status(error: HubError, status: StatusCode) -> Response {
    let mut response = error.into_response();
    *response.status_mut() = status;
    response
}

/// `If-Match` with one pair of surrounding quotes removed (`"*"` and `*` alike); `None` when
/// absent, which means unconditional (spec §4.1).
pub(crate) fn if_match(headers: &HeaderMap) -> Result<Option<String>, HubError> {
    let Some(value) = headers.get(IF_MATCH) else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .map_err(|_| HubError::invalid("If-Match is not text"))?
        .trim();
    let unquoted = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text);
    Ok(Some(unquoted.to_owned()))
}

/// The identity the path names (`{device_id}`, and `{module_id}` when present), its ids checked
/// against IoT Hub's id rules.
#[derive(Debug)]
pub(crate) struct Key(pub IdentityKey);

impl<S: Send + Sync> FromRequestParts<S> for Key {
    type Rejection = HubError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, HubError> {
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|e| HubError::invalid(format!("the path is not valid: {e}")))?;
        let checked = |name: &str, kind: &str| -> Result<Option<String>, HubError> {
            params
                .get(name)
                .map(|id| {
                    iothub_twin::auth::check_identity_id(kind, id)
                        .map(|()| id.clone())
                        .map_err(HubError::invalid)
                })
                .transpose()
        };
        Ok(Self(IdentityKey {
            device_id: checked("device_id", "the device id")?
                .ok_or_else(|| HubError::invalid("the path names no device"))?,
            module_id: checked("module_id", "the module id")?,
        }))
    }
}

/// Query parameters; ones that do not parse (e.g. a parameter given twice) are
/// `400 ArgumentInvalid` with IoT Hub's error body, not axum's plain-text rejection.
#[derive(Debug)]
pub(crate) struct QueryParams<T>(pub T);

impl<T, S> FromRequestParts<S> for QueryParams<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = HubError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, HubError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(params)| Self(params))
            .map_err(|e| HubError::invalid(format!("the query string is not valid: {e}")))
    }
}

/// A JSON request body. Bad JSON is `400 IotHubFormatError`, a missing body
/// `400 ArgumentNull`, an oversized one `413 MessageTooLarge`.
#[derive(Debug)]
pub(crate) struct JsonBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = HubError;

    async fn from_request(request: Request, _: &S) -> Result<Self, HubError> {
        let bytes = read_body(request).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(HubError::new(
                ErrorCode::ArgumentNull,
                "the request body is empty",
            ));
        }
        serde_json::from_slice(&bytes).map(JsonBody).map_err(|e| {
            HubError::new(
                ErrorCode::IotHubFormatError,
                format!("the request body is not valid JSON: {e}"),
            )
        })
    }
}

/// How much of an oversized body is read (and discarded) before the 413 is sent. Answering
/// before the body is read makes HTTP/2 clients (curl, reqwest) report a stream error instead of
/// the answer; past this much the client is not worth waiting for, and the stream is reset.
const DRAIN_LIMIT: usize = 16 * 1024 * 1024;

/// The body, up to [`MAX_BODY_BYTES`]; a larger one is `413 MessageTooLarge`.
async fn read_body(request: Request) -> Result<Bytes, HubError> {
    let too_large = || {
        HubError::new(
            ErrorCode::MessageTooLarge,
            format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
        )
    };
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > DRAIN_LIMIT) {
        return Err(too_large());
    }
    let mut chunks = request.into_body().into_data_stream();
    let mut kept = BytesMut::new();
    let mut total = 0usize;
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|e| {
            HubError::new(
                ErrorCode::IotHubFormatError,
                format!("the request body could not be read: {e}"),
            )
        })?;
        total = total.saturating_add(chunk.len());
        if total <= MAX_BODY_BYTES {
            kept.extend_from_slice(&chunk);
        } else if total > DRAIN_LIMIT {
            break;
        }
    }
    if total > MAX_BODY_BYTES {
        return Err(too_large());
    }
    Ok(kept.freeze())
}

#[cfg(test)]
mod tests;
