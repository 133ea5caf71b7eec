//! The REST service API (spec §4): routing, and the request plumbing every endpoint shares.

mod control;
mod devices;
mod query;
mod twins;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::header::{CONTENT_TYPE, ETAG, IF_MATCH, RETRY_AFTER};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use iothub_twin::ErrorCode;
use serde_json::Value;

use crate::error::HubError;
use crate::faults::Faults;
use crate::mqtt::{MqttHub, websocket_route};
use crate::policies::Policies;
use crate::registry::{Identity, Registry};
use crate::store::Store;
use crate::twin_state::TwinState;

/// Largest request body accepted; larger ones get `413 MessageTooLarge`.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// What every handler can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The registry and twins.
    pub store: Store,
    /// Shared access policies.
    pub policies: Arc<Policies>,
    /// The hub's host name (`--hostname`), checked against SAS `sr`.
    pub hostname: String,
    /// `--entra-token`, when given.
    pub entra_token: Option<String>,
    /// The MQTT endpoint (WebSocket upgrades, the control API, disconnects on registry changes).
    pub mqtt: Arc<MqttHub>,
}

impl AppState {
    /// Fault injection settings.
    pub fn faults(&self) -> &Faults {
        &self.mqtt.faults
    }
}

/// The HTTPS port's routes: the service API, MQTT over WebSockets and the control API.
pub fn router(state: AppState) -> Router {
    service_api(&state)
        .route("/$iothub/websocket", get(websocket_route))
        .merge(control::routes())
        .fallback(no_such_endpoint)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// IoT Hub's service REST API (spec §4).
fn service_api(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/devices", get(devices::list_devices))
        .route(
            "/devices/{device_id}",
            get(devices::get_device)
                .put(devices::put_device)
                .delete(devices::delete_device),
        )
        .route("/devices/query", post(query::query_twins))
        .route("/devices/{device_id}/modules", get(devices::list_modules))
        .route(
            "/devices/{device_id}/modules/{module_id}",
            get(devices::get_module)
                .put(devices::put_module)
                .delete(devices::delete_module),
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
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            throttle_fault,
        ))
        .route_layer(middleware::from_fn(require_api_version))
}

/// The `throttleServiceRequests` fault: 429 with `Retry-After: 1`, the request not processed.
async fn throttle_fault(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let device = request.uri().path().split('/').nth(2).map(|id| {
        percent_encoding::percent_decode_str(id)
            .decode_utf8_lossy()
            .into_owned()
    });
    if state.faults().throttle_service_request(device.as_deref()) {
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

/// A JSON body with IoT Hub's content type.
pub(crate) fn json_body(value: &Value) -> Response {
    (
        [(
            CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        )],
        value.to_string(),
    )
        .into_response()
}

/// `200` with a JSON body and, when given, a quoted `ETag` header.
pub(crate) fn ok_json(value: &Value, etag: Option<&str>) -> Response {
    let mut response = json_body(value);
    if let Some(etag) = etag
        && let Ok(header) = HeaderValue::from_str(&format!("\"{etag}\""))
    {
        response.headers_mut().insert(ETAG, header);
    }
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

/// The ids in the path, checked against IoT Hub's id rules.
#[derive(Debug)]
pub(crate) struct Ids {
    pub device_id: String,
    pub module_id: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Ids {
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
        Ok(Self {
            device_id: checked("device_id", "the device id")?
                .ok_or_else(|| HubError::invalid("the path names no device"))?,
            module_id: checked("module_id", "the module id")?,
        })
    }
}

impl Ids {
    /// The identity these ids name, with its twin, or IoT Hub's 404 for the missing device or
    /// module.
    pub(crate) fn find<'r>(
        &self,
        registry: &'r Registry,
    ) -> Result<(&'r Identity, &'r TwinState), HubError> {
        let device = registry
            .device(&self.device_id)
            .ok_or_else(|| HubError::device_not_found(&self.device_id))?;
        match &self.module_id {
            None => Ok((&device.identity, &device.twin)),
            Some(module_id) => device
                .modules
                .get(module_id)
                .map(|m| (&m.identity, &m.twin))
                .ok_or_else(|| HubError::module_not_found(&self.device_id, module_id)),
        }
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

    async fn from_request(request: Request, state: &S) -> Result<Self, HubError> {
        let bytes: Result<Bytes, BytesRejection> = Bytes::from_request(request, state).await;
        let bytes = bytes.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                HubError::new(
                    ErrorCode::MessageTooLarge,
                    format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
                )
            } else {
                HubError::new(
                    ErrorCode::IotHubFormatError,
                    format!("the request body could not be read: {rejection}"),
                )
            }
        })?;
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

#[cfg(test)]
mod tests;
