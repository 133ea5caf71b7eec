//! Twin endpoints (spec §4.3): `GET`/`PATCH`/`PUT` `/twins/{id}[/modules/{mid}]`. How bodies
//! are read and applied is the hub's (`hub/twins.rs`).

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;

use super::auth::{Authorized, ServiceConnect};
use super::{JsonBody, Key, if_match, ok_json};
use crate::error::HubError;
use crate::hub::Hub;

pub(super) async fn get_twin(
    _: Authorized<ServiceConnect>,
    State(hub): State<Arc<Hub>>,
    Key(key): Key,
) -> Result<Response, HubError> {
    let answer = hub.get_twin(&key).await?;
    Ok(ok_json(&answer.json, Some(&answer.etag)))
}

/// `PATCH`: merge tags and desired; `If-Match` optional.
pub(super) async fn update_twin(
    _: Authorized<ServiceConnect>,
    State(hub): State<Arc<Hub>>,
    Key(key): Key,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, HubError> {
    let condition = if_match(&headers)?;
    let answer = hub.patch_twin(&key, &body, condition.as_deref()).await?;
    Ok(ok_json(&answer.json, Some(&answer.etag)))
}

/// `PUT`: replace tags and desired wholesale; `If-Match` optional.
pub(super) async fn replace_twin(
    _: Authorized<ServiceConnect>,
    State(hub): State<Arc<Hub>>,
    Key(key): Key,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, HubError> {
    let condition = if_match(&headers)?;
    let answer = hub.replace_twin(&key, &body, condition.as_deref()).await?;
    Ok(ok_json(&answer.json, Some(&answer.etag)))
}
