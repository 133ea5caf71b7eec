//! Bulk registry operations (`POST /devices`): up to [`MAX_BULK_ITEMS`] device or module
//! identities created, updated or deleted, or twins patched, in one call. The hub applies each
//! item whole or reports it in the result's `errors`, answering 200 when all applied and 400
//! (with the same result shape) otherwise; both are results here, not errors.
//!
//! The conveniences follow the official SDKs: Node's `addDevices` / `updateDevices(force)` /
//! `removeDevices(force)` (force = ignore etags) and C#'s `UpdateTwins2Async`.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::client::Call;
use super::{Authentication, Device, ServiceClient};
use crate::twin::JsonObject;
use crate::{Error, Result};

/// The most items one call may carry.
pub const MAX_BULK_ITEMS: usize = 100;

/// What a bulk item does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ImportMode {
    /// Create the identity (fails if it exists).
    Create,
    /// Update the identity whatever its etag.
    Update,
    /// Update the identity if `eTag` matches.
    #[serde(rename = "updateIfMatchETag")]
    UpdateIfMatchETag,
    /// Delete the identity whatever its etag.
    Delete,
    /// Delete the identity if `eTag` matches.
    #[serde(rename = "deleteIfMatchETag")]
    DeleteIfMatchETag,
    /// Merge `tags` and `properties.desired` into the twin.
    UpdateTwin,
    /// Merge into the twin if `twinETag` matches.
    #[serde(rename = "updateTwinIfMatchETag")]
    UpdateTwinIfMatchETag,
}

/// `properties` of a bulk item.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PropertyContainer {
    /// Desired properties to merge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired: Option<JsonObject>,
    /// Reported properties (ignored by the hub on this call: the service cannot write them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported: Option<JsonObject>,
}

/// One item of a bulk call, as azure-iot-hub's `ExportImportDevice`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportImportDevice {
    /// The device id.
    pub id: String,
    /// The module id, for modules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module_id: Option<String>,
    /// The identity's etag (for `*IfMatchETag` modes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e_tag: Option<String>,
    /// What to do.
    pub import_mode: ImportMode,
    /// `enabled` or `disabled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Why the status is what it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// The identity's credential.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication: Option<Authentication>,
    /// The twin's etag (for `updateTwinIfMatchETag`).
    #[serde(rename = "twinETag", default, skip_serializing_if = "Option::is_none")]
    pub twin_etag: Option<String>,
    /// Tags to merge into the twin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<JsonObject>,
    /// Desired properties to merge into the twin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<PropertyContainer>,
    /// `{"iotEdge": bool}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Value>,
    /// The device's scope (edge parent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_scope: Option<String>,
    /// The scopes of the device's parents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_scopes: Option<Vec<String>>,
}

impl ExportImportDevice {
    /// An item doing `mode` on device `id`, with nothing else set.
    pub fn new(id: impl Into<String>, mode: ImportMode) -> Self {
        Self {
            id: id.into(),
            module_id: None,
            e_tag: None,
            import_mode: mode,
            status: None,
            status_reason: None,
            authentication: None,
            twin_etag: None,
            tags: None,
            properties: None,
            capabilities: None,
            device_scope: None,
            parent_scopes: None,
        }
    }

    /// An item doing `mode` on `device`'s identity (id, etag, status, credential, capabilities).
    pub fn from_device(device: &Device, mode: ImportMode) -> Self {
        Self {
            e_tag: device.etag.clone(),
            status: device
                .status
                .and_then(|s| serde_json::to_value(s).ok())
                .and_then(|v| v.as_str().map(str::to_owned)),
            status_reason: device.status_reason.clone(),
            authentication: device.authentication.clone(),
            capabilities: device
                .capabilities
                .as_ref()
                .and_then(|c| serde_json::to_value(c).ok()),
            device_scope: device.device_scope.clone(),
            parent_scopes: device.parent_scopes.clone(),
            ..Self::new(&device.device_id, mode)
        }
    }
}

/// One failed item.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceRegistryOperationError {
    /// The device.
    #[serde(default)]
    pub device_id: String,
    /// The module, for module items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module_id: Option<String>,
    /// IoT Hub's error code name, e.g. `DeviceAlreadyExists`.
    #[serde(default)]
    pub error_code: String,
    /// The hub's message.
    #[serde(default)]
    pub error_status: String,
}

/// The answer of a bulk call, as azure-iot-hub's `BulkRegistryOperationResult`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkRegistryOperationResult {
    /// Whether every item applied.
    #[serde(default)]
    pub is_successful: bool,
    /// One entry per failed item.
    #[serde(default)]
    pub errors: Vec<DeviceRegistryOperationError>,
    /// Warnings, as sent.
    #[serde(default)]
    pub warnings: Vec<Value>,
}

/// A twin patch for [`ServiceClient::update_twins`]: the device (or module), the patch's
/// `tags` and desired properties, and the twin etag to match (`None` = unconditionally).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TwinUpdate {
    /// The device.
    pub device_id: String,
    /// The module, for a module twin.
    pub module_id: Option<String>,
    /// Tags to merge.
    pub tags: Option<JsonObject>,
    /// Desired properties to merge.
    pub desired: Option<JsonObject>,
    /// The twin etag to match.
    pub etag: Option<String>,
}

impl ServiceClient {
    /// `POST /devices`: applies `items` (1 to [`MAX_BULK_ITEMS`]); the result tells which
    /// failed. Not retried after a broken connection (a create would then report a conflict).
    pub async fn bulk_registry_operation(
        &self,
        items: &[ExportImportDevice],
    ) -> Result<BulkRegistryOperationResult> {
        if items.is_empty() || items.len() > MAX_BULK_ITEMS {
            return Err(Error::InvalidArgument {
                reason: format!(
                    "a bulk registry operation takes 1 to {MAX_BULK_ITEMS} items, not {}",
                    items.len()
                ),
            });
        }
        let mut call = Call::new(
            "bulk_registry_operation",
            Method::POST,
            "/devices".to_owned(),
        )
        .json(&items)?;
        call.answer_status = Some(400);
        let response = self.execute(&call).await?;
        match serde_json::from_slice::<BulkRegistryOperationResult>(&response.body) {
            Ok(result) => Ok(result),
            // A 400 that is not a result is an ordinary error answer.
            Err(_) if response.status == 400 => {
                Err(super::error_body::error_from_response(&response))
            }
            Err(e) => Err(Error::Protocol {
                reason: format!("bulk_registry_operation: the answer is not a result: {e}"),
            }),
        }
    }

    /// Creates `devices` (Node's `addDevices`).
    pub async fn add_devices(&self, devices: &[Device]) -> Result<BulkRegistryOperationResult> {
        self.bulk_of(devices, ImportMode::Create).await
    }

    /// Updates `devices`; `force` ignores their etags (Node's `updateDevices`).
    pub async fn update_devices(
        &self,
        devices: &[Device],
        force: bool,
    ) -> Result<BulkRegistryOperationResult> {
        let mode = if force {
            ImportMode::Update
        } else {
            ImportMode::UpdateIfMatchETag
        };
        self.bulk_of(devices, mode).await
    }

    /// Deletes `devices`; `force` ignores their etags (Node's `removeDevices`).
    pub async fn remove_devices(
        &self,
        devices: &[Device],
        force: bool,
    ) -> Result<BulkRegistryOperationResult> {
        let mode = if force {
            ImportMode::Delete
        } else {
            ImportMode::DeleteIfMatchETag
        };
        self.bulk_of(devices, mode).await
    }

    /// Patches many twins in one call (C#'s `UpdateTwins2Async`); `force` ignores their etags.
    pub async fn update_twins(
        &self,
        updates: &[TwinUpdate],
        force: bool,
    ) -> Result<BulkRegistryOperationResult> {
        let mode = if force {
            ImportMode::UpdateTwin
        } else {
            ImportMode::UpdateTwinIfMatchETag
        };
        let items: Vec<ExportImportDevice> = updates
            .iter()
            .map(|update| ExportImportDevice {
                module_id: update.module_id.clone(),
                twin_etag: update.etag.clone(),
                tags: update.tags.clone(),
                properties: update.desired.clone().map(|desired| PropertyContainer {
                    desired: Some(desired),
                    reported: None,
                }),
                ..ExportImportDevice::new(&update.device_id, mode)
            })
            .collect();
        self.bulk_registry_operation(&items).await
    }

    async fn bulk_of(
        &self,
        devices: &[Device],
        mode: ImportMode,
    ) -> Result<BulkRegistryOperationResult> {
        let items: Vec<ExportImportDevice> = devices
            .iter()
            .map(|device| ExportImportDevice::from_device(device, mode))
            .collect();
        self.bulk_registry_operation(&items).await
    }
}
