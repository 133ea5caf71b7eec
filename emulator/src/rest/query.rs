//! `POST /devices/query` (spec §4.4, official-sdk-wire §4.2–4.3): body `{"query": "..."}`,
//! page size in `x-ms-max-item-count`, the next page's token in `x-ms-continuation` both ways
//! (left out of the answer on the last page, or Node would loop forever), and `x-ms-item-type`
//! always (`Twin` or `Raw`; C# fails without it).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::response::Response;
use iothub_twin::ErrorCode;
use serde_json::Value;

use super::auth::{Authorized, ServiceConnect};
use super::{JsonBody, json_body};
use crate::error::HubError;
use crate::hub::Hub;
use crate::query::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

const MAX_ITEM_COUNT: HeaderName = HeaderName::from_static("x-ms-max-item-count");
const CONTINUATION: HeaderName = HeaderName::from_static("x-ms-continuation");
const ITEM_TYPE: HeaderName = HeaderName::from_static("x-ms-item-type");

pub(super) async fn query_twins(
    _: Authorized<ServiceConnect>,
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    body: Result<JsonBody, HubError>,
) -> Result<Response, HubError> {
    // The hub answers an empty body or query with exactly `ErrorCode:ArgumentNull;BadRequest`.
    let missing = || HubError::new(ErrorCode::ArgumentNull, "BadRequest");
    let JsonBody(body) = body.map_err(|e| match e.code {
        ErrorCode::ArgumentNull => missing(),
        _ => e,
    })?;
    let text = match body.get("query") {
        Some(Value::String(text)) => text,
        None | Some(Value::Null) => return Err(missing()),
        Some(_) => return Err(HubError::invalid("query must be a string")),
    };
    let page_size = page_size(&headers)?;
    let continuation = match headers.get(&CONTINUATION) {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .map_err(|_| HubError::invalid("the continuation token is not valid"))?,
        )
        .filter(|token| !token.trim().is_empty()),
    };
    let page = hub.query(text, page_size, continuation).await?;
    let mut response = json_body(&Value::Array(page.items));
    let response_headers = response.headers_mut();
    response_headers.insert(ITEM_TYPE, HeaderValue::from_static(page.item_type.as_str()));
    if let Some(token) = page.continuation
        && let Ok(value) = HeaderValue::from_str(&token)
    {
        response_headers.insert(CONTINUATION, value);
    }
    Ok(response)
}

/// `x-ms-max-item-count`: 100 when absent, at most 100; anything but a positive integer is 400.
fn page_size(headers: &HeaderMap) -> Result<usize, HubError> {
    let Some(value) = headers.get(&MAX_ITEM_COUNT) else {
        return Ok(DEFAULT_PAGE_SIZE);
    };
    let count = value
        .to_str()
        .ok()
        .and_then(|text| text.trim().parse::<i64>().ok())
        .filter(|count| *count > 0)
        .ok_or_else(|| HubError::invalid("x-ms-max-item-count must be a positive integer"))?;
    Ok(usize::try_from(count).map_or(MAX_PAGE_SIZE, |n| n.min(MAX_PAGE_SIZE)))
}
