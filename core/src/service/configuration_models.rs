//! Automatic device configuration and statistics documents, serde names exactly as on the wire
//! (azure-iot-hub's `Configuration`, `ConfigurationContent`, `ConfigurationMetrics`,
//! `ConfigurationQueriesTestInput`, `ConfigurationQueriesTestResponse`, `RegistryStatistics`,
//! `ServiceStatistics`). Fields the hub fills (times, metrics' results, etag) are `Option`s;
//! fields not modelled are kept in `other`, so a configuration read can be sent back unchanged.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::twin::JsonObject;

/// An automatic device configuration.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Configuration {
    /// The id (lowercase letters, digits and `-:+%_#*?!(),=@;$'`, ≤ 128 characters).
    pub id: String,
    /// `schemaVersion` (`"1.0"` when left out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_version: Option<String>,
    /// Labels describing the configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// What it applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<ConfigurationContent>,
    /// The twins it targets: a condition over tags and reported properties.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_condition: Option<String>,
    /// When it was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_time_utc: Option<String>,
    /// When it was last updated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated_time_utc: Option<String>,
    /// Of configurations setting the same property the higher priority wins (then the newer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u32>,
    /// `targetedCount` and `appliedCount`, filled by the hub.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_metrics: Option<ConfigurationMetrics>,
    /// Custom metric queries, and their results as the hub reads them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<ConfigurationMetrics>,
    /// The configuration's etag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// Fields this type does not model, kept as received.
    #[serde(flatten)]
    pub other: JsonObject,
}

impl Configuration {
    /// A device configuration `id` setting `device_content` (`properties.desired.<path>` to
    /// value) on the twins meeting `target_condition`, with `priority`.
    pub fn new(
        id: impl Into<String>,
        target_condition: impl Into<String>,
        device_content: JsonObject,
        priority: u32,
    ) -> Self {
        Self {
            id: id.into(),
            target_condition: Some(target_condition.into()),
            content: Some(ConfigurationContent {
                device_content: Some(device_content),
                ..ConfigurationContent::default()
            }),
            priority: Some(priority),
            ..Self::default()
        }
    }
}

/// `content` of a configuration.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigurationContent {
    /// `properties.desired.<path>` to the value set there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_content: Option<JsonObject>,
    /// IoT Edge modules content (deployments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modules_content: Option<JsonObject>,
    /// Module twin content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module_content: Option<JsonObject>,
}

/// Metric queries and their results (counts of twins).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ConfigurationMetrics {
    /// Name to count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results: Option<BTreeMap<String, u64>>,
    /// Name to query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queries: Option<BTreeMap<String, String>>,
}

/// `POST /configurations/testQueries`'s body.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigurationQueriesTestInput {
    /// A target condition to check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_condition: Option<String>,
    /// Custom metric queries to check, by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_metric_queries: Option<BTreeMap<String, String>>,
}

/// What is wrong with the queries of a [`ConfigurationQueriesTestInput`] (empty when valid).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigurationQueriesTestResponse {
    /// Why the target condition is invalid; empty when valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_condition_error: Option<String>,
    /// Invalid custom metric queries, by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_metric_query_errors: Option<BTreeMap<String, String>>,
}

/// `GET /statistics/devices`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistryStatistics {
    /// Devices in the registry.
    #[serde(default)]
    pub total_device_count: u64,
    /// Enabled devices.
    #[serde(default)]
    pub enabled_device_count: u64,
    /// Disabled devices.
    #[serde(default)]
    pub disabled_device_count: u64,
}

/// `GET /statistics/service`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceStatistics {
    /// Devices connected now.
    #[serde(default)]
    pub connected_device_count: u64,
}
