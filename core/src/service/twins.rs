//! Twin calls (spec §4.3): get, update (merge patch) and replace, for devices and modules.

use reqwest::Method;
use serde::Serialize;
use serde_json::Value;

use super::ServiceClient;
use super::client::{Call, path};
use crate::twin::{self, Section, Twin, strip_metadata};
use crate::{Error, Result};

impl ServiceClient {
    /// `GET /twins/{deviceId}`: the device twin with tags, desired and reported properties
    /// (with `$metadata` and `$version`) and the twin `etag`.
    pub async fn get_twin(&self, device_id: &str) -> Result<Twin> {
        let call = Call::new("get_twin", Method::GET, path(&["twins", device_id]));
        self.execute_json(&call).await
    }

    /// `GET /twins/{deviceId}/modules/{moduleId}`: a module twin.
    pub async fn get_module_twin(&self, device_id: &str, module_id: &str) -> Result<Twin> {
        let call = Call::new(
            "get_module_twin",
            Method::GET,
            path(&["twins", device_id, "modules", module_id]),
        );
        self.execute_json(&call).await
    }

    /// `PATCH /twins/{deviceId}`: merges `patch` (`{"tags": {…}, "properties": {"desired":
    /// {…}}}`, a `serde_json::Value` or a [`Twin`]) into the twin; `null` deletes a key.
    ///
    /// With `etag` (e.g. the twin's `etag` from a GET) the update applies only if the twin has
    /// not changed since (`If-Match: "<etag>"`, else 412 and
    /// [`Error::is_precondition_failed`]); `None` sends `If-Match: "*"` like the Python and
    /// Node SDKs. `$metadata` and `$version` in desired are dropped, `properties.reported` is
    /// ignored by the hub, and tags and desired are checked against the twin limits before
    /// anything is sent. Returns the updated twin. Not retried after a broken connection (the
    /// patch may have been applied).
    pub async fn update_twin<P: Serialize + ?Sized>(
        &self,
        device_id: &str,
        patch: &P,
        etag: Option<&str>,
    ) -> Result<Twin> {
        let body = twin_body(patch)?;
        let call = Call::new("update_twin", Method::PATCH, path(&["twins", device_id]))
            .json(&body)?
            .if_match(etag)?;
        self.execute_json(&call).await
    }

    /// `PATCH /twins/{deviceId}/modules/{moduleId}`: [`update_twin`](Self::update_twin) for a
    /// module twin.
    pub async fn update_module_twin<P: Serialize + ?Sized>(
        &self,
        device_id: &str,
        module_id: &str,
        patch: &P,
        etag: Option<&str>,
    ) -> Result<Twin> {
        let body = twin_body(patch)?;
        let call = Call::new(
            "update_module_twin",
            Method::PATCH,
            path(&["twins", device_id, "modules", module_id]),
        )
        .json(&body)?
        .if_match(etag)?;
        self.execute_json(&call).await
    }

    /// `PUT /twins/{deviceId}`: replaces the twin's tags and desired properties wholesale
    /// (a section left out becomes empty). `etag` as for [`update_twin`](Self::update_twin).
    /// Returns the new twin.
    pub async fn replace_twin<T: Serialize + ?Sized>(
        &self,
        device_id: &str,
        twin: &T,
        etag: Option<&str>,
    ) -> Result<Twin> {
        let body = twin_body(twin)?;
        let call = Call::new("replace_twin", Method::PUT, path(&["twins", device_id]))
            .json(&body)?
            .if_match(etag)?;
        self.execute_json(&call).await
    }

    /// `PUT /twins/{deviceId}/modules/{moduleId}`: [`replace_twin`](Self::replace_twin) for a
    /// module twin.
    pub async fn replace_module_twin<T: Serialize + ?Sized>(
        &self,
        device_id: &str,
        module_id: &str,
        twin: &T,
        etag: Option<&str>,
    ) -> Result<Twin> {
        let body = twin_body(twin)?;
        let call = Call::new(
            "replace_module_twin",
            Method::PUT,
            path(&["twins", device_id, "modules", module_id]),
        )
        .json(&body)?
        .if_match(etag)?;
        self.execute_json(&call).await
    }
}

/// The twin-shaped body to send: a JSON object whose tags and desired (bookkeeping removed)
/// pass the twin limits.
fn twin_body<P: Serialize + ?Sized>(patch: &P) -> Result<Value> {
    let mut body = serde_json::to_value(patch).map_err(|e| Error::InvalidArgument {
        reason: format!("the twin could not be serialized: {e}"),
    })?;
    let Value::Object(fields) = &mut body else {
        return Err(Error::InvalidArgument {
            reason: "a twin or twin patch must be a JSON object".into(),
        });
    };
    if let Some(tags) = fields.get("tags").filter(|t| !t.is_null()) {
        twin::validate(Section::Tags, tags)?;
    }
    if let Some(Value::Object(desired)) = fields
        .get_mut("properties")
        .and_then(|p| p.get_mut("desired"))
    {
        strip_metadata(desired);
    }
    if let Some(desired) = fields
        .get("properties")
        .and_then(|p| p.get("desired"))
        .filter(|d| !d.is_null())
    {
        twin::validate(Section::Desired, desired)?;
    }
    Ok(body)
}
