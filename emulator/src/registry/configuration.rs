//! An automatic device configuration as the registry keeps it (IoT Hub's automatic device
//! management): what it targets, the desired properties it applies, its priority and metric
//! queries. The rules for writing one and applying it are the hub's (`hub/configurations.rs`).

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use iothub_twin::twin::JsonObject;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// A twin's status for a configuration, as `configurations.<id>.status` shows it.
pub const STATUS_TARGETED: &str = "Targeted";
/// The configuration's content was applied to the twin.
pub const STATUS_APPLIED: &str = "Applied";

/// One configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Configuration {
    /// The id (IoT Hub's: lowercase).
    pub id: String,
    /// `schemaVersion`.
    pub schema_version: String,
    /// `labels`.
    pub labels: BTreeMap<String, String>,
    /// `content.deviceContent`: `properties.desired.<path>` to the value set there.
    pub device_content: JsonObject,
    /// `targetCondition`, as written.
    pub target_condition: String,
    /// `priority`: the higher wins a path that several configurations set.
    pub priority: u64,
    /// `metrics.queries`: name to query.
    pub metric_queries: BTreeMap<String, String>,
    /// `createdTimeUtc`.
    pub created_time: String,
    /// `lastUpdatedTimeUtc`.
    pub last_updated_time: String,
    /// The etag counter (rendered as base64 of its decimal text, as identity etags are).
    pub etag: u64,
    /// Creation order in the hub: of two configurations with the same priority the one created
    /// later wins (IoT Hub's rule), and timestamps may tie.
    pub created_order: u64,
}

impl Configuration {
    /// The etag as the wire shows it (`MQ==` for 1).
    pub fn etag_text(&self) -> String {
        STANDARD.encode(self.etag.to_string())
    }

    /// Whether `if_match` (stripped of quotes; `*` or absent matches anything) matches.
    pub fn etag_matches(&self, if_match: Option<&str>) -> bool {
        match if_match {
            None | Some("*") => true,
            Some(etag) => etag == self.etag_text(),
        }
    }

    /// The configuration's JSON, with the metrics' results as given (metrics are evaluated on
    /// read, by the hub).
    pub fn to_json(&self, system_metrics: Value, metric_results: Value) -> Value {
        json!({
            "id": self.id,
            "schemaVersion": self.schema_version,
            "labels": self.labels,
            "content": {
                "deviceContent": self.device_content,
                "modulesContent": {},
                "moduleContent": {},
            },
            "targetCondition": self.target_condition,
            "createdTimeUtc": self.created_time,
            "lastUpdatedTimeUtc": self.last_updated_time,
            "priority": self.priority,
            "systemMetrics": system_metrics,
            "metrics": {
                "results": metric_results,
                "queries": self.metric_queries,
            },
            "etag": self.etag_text(),
        })
    }

    /// The system metric queries: twins this configuration targets, and those it was applied
    /// to, read from the twins' `configurations` field (as IoT Hub's own queries do).
    pub fn system_queries(&self) -> [(&'static str, String); 2] {
        let status = |wanted: &str| {
            format!(
                "SELECT deviceId FROM devices WHERE configurations.[[{}]].status = '{wanted}'",
                self.id
            )
        };
        [
            (
                "Targeted",
                format!(
                    "{} OR configurations.[[{}]].status = '{STATUS_APPLIED}'",
                    status(STATUS_TARGETED),
                    self.id
                ),
            ),
            ("Applied", status(STATUS_APPLIED)),
        ]
    }
}
