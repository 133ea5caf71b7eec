//! Twin endpoints (spec §4.3): `GET`/`PATCH`/`PUT` `/twins/{id}[/modules/{mid}]`.
//!
//! Request bodies are read tolerantly, as the SDKs need: C# sends whole `Twin` objects with
//! identity fields, `"etag": null` and `properties.reported`; users send back twins read with
//! GET, with `$metadata`/`$version` in desired. Identity and read-only fields are ignored,
//! `properties.reported` is ignored (the service cannot write it), and `$metadata`/`$version`
//! at the root of desired are dropped.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use iothub_twin::twin::{JsonObject, strip_metadata};
use serde_json::Value;

use super::devices::stale_etag;
use super::{AppState, Ids, JsonBody, if_match, ok_json};
use crate::auth::{Authorized, ServiceConnect};
use crate::clock;
use crate::error::HubError;
use crate::twin_state::{DesiredChange, TwinState};

pub(super) async fn get_twin(
    _: Authorized<ServiceConnect>,
    State(state): State<AppState>,
    ids: Ids,
) -> Result<Response, HubError> {
    let (json, etag) = state
        .store
        .read_committed(|registry| {
            let (identity, twin) = ids.find(registry)?;
            Ok::<_, HubError>((identity.twin_json(twin), twin.etag_text()))
        })
        .await?;
    Ok(ok_json(&json, Some(&etag)))
}

/// `PATCH`: merge tags and desired; `If-Match` optional.
pub(super) async fn update_twin(
    _: Authorized<ServiceConnect>,
    State(state): State<AppState>,
    ids: Ids,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, HubError> {
    let condition = if_match(&headers)?;
    let (tags, desired) = patch_sections(&body)?;
    write_twin(&state, ids, condition, |twin, now| {
        twin.service_patch(tags.as_ref(), desired.as_ref(), now)
    })
    .await
}

/// `PUT`: replace tags and desired wholesale; `If-Match` optional.
pub(super) async fn replace_twin(
    _: Authorized<ServiceConnect>,
    State(state): State<AppState>,
    ids: Ids,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, HubError> {
    let condition = if_match(&headers)?;
    let (tags, desired) = patch_sections(&body)?;
    write_twin(&state, ids, condition, move |twin, now| {
        twin.service_replace(tags.unwrap_or_default(), desired.unwrap_or_default(), now)
    })
    .await
}

async fn write_twin(
    state: &AppState,
    ids: Ids,
    condition: Option<String>,
    change: impl FnOnce(&mut TwinState, &str) -> Result<Option<DesiredChange>, HubError>,
) -> Result<Response, HubError> {
    let now = clock::now_iso();
    let (json, etag) = state
        .store
        .write(|registry, changes| {
            ids.find(registry)?;
            let module_id = ids.module_id.as_deref();
            let (identity, twin) = registry
                .twin_of_mut(&ids.device_id, module_id)
                .expect("found above");
            if !twin.etag_matches(condition.as_deref()) {
                return Err(stale_etag("twin", &twin.etag_text()));
            }
            let version_before = twin.version;
            let notification = change(twin, &now)?;
            let rendered = (identity.twin_json(twin), twin.etag_text());
            if twin.version != version_before {
                changes.touch(&ids.device_id, module_id);
            }
            if let Some(notification) = notification {
                changes.notify(&ids.device_id, module_id, notification);
            }
            Ok(rendered)
        })
        .await?;
    Ok(ok_json(&json, Some(&etag)))
}

/// `tags` and `properties.desired` of a twin-shaped body; absent or `null` sections are `None`.
fn patch_sections(body: &Value) -> Result<(Option<JsonObject>, Option<JsonObject>), HubError> {
    let Value::Object(fields) = body else {
        return Err(HubError::invalid("the twin must be a JSON object"));
    };
    let tags = section(fields.get("tags"), "tags")?;
    let properties = match fields.get("properties") {
        None | Some(Value::Null) => None,
        Some(Value::Object(p)) => Some(p),
        Some(_) => return Err(HubError::invalid("properties must be an object")),
    };
    let mut desired = section(
        properties.and_then(|p| p.get("desired")),
        "properties.desired",
    )?;
    if let Some(desired) = desired.as_mut() {
        strip_metadata(desired);
    }
    Ok((tags, desired))
}

fn section(value: Option<&Value>, name: &str) -> Result<Option<JsonObject>, HubError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(object)) => Ok(Some(object.clone())),
        Some(_) => Err(HubError::invalid(format!("{name} must be a JSON object"))),
    }
}
