//! Automatic device configurations (IoT Hub's automatic device management): create, update,
//! read (metrics evaluated on read), list, delete, test queries, and applying them to twins.
//!
//! IoT Hub's rules followed here:
//! * at most [`MAX_CONFIGURATIONS`] per hub (the standard tier's; `413101
//!   ConfigurationCountLimitExceeded` past it);
//! * `PUT` without `If-Match` creates (`409401 ConfigurationAlreadyExists` when the id is
//!   taken); with `If-Match` it updates (`404301 ConfigurationNotFound` when missing, `412001`
//!   on a stale etag), and only `labels`, `metrics` and `priority` may change: a different
//!   `content`, `targetCondition` or `schemaVersion` is `400 ArgumentInvalid`;
//! * `GET /configurations?top=N` returns at most [`MAX_LIST`] configurations (IoT Hub's REST
//!   reference: "Value will be overridden if greater than 20");
//! * system metrics are `targetedCount` and `appliedCount`; a custom metric's result is the
//!   number of rows its query returns.
//!
//! Applying runs every `--configuration-interval` (IoT Hub runs its configurations shortly after
//! a change and then every five minutes) and at once on the control API's
//! `POST /emulator/configurations/apply`; see `configurations/apply.rs`.

mod apply;
mod body;

use std::sync::Arc;
use std::time::Duration;

use iothub_twin::ErrorCode;
use serde_json::{Map, Value, json};
use tokio::task::JoinHandle;

use super::{Hub, Tagged};
use crate::clock;
use crate::error::HubError;
use crate::query;
use crate::registry::{Configuration, Registry, STATUS_APPLIED};

/// The most configurations a hub holds (IoT Hub's standard tier: 100; the free tier's is 10).
pub(crate) const MAX_CONFIGURATIONS: usize = 100;
/// The most configurations one `GET /configurations` returns.
pub(crate) const MAX_LIST: usize = 20;

fn not_found(id: &str) -> HubError {
    HubError::new(
        ErrorCode::ConfigurationNotFound,
        format!("Configuration {id} not found"),
    )
}

impl Hub {
    /// `GET /configurations/{id}`, with its metrics evaluated now.
    pub async fn get_configuration(&self, id: &str) -> Result<Tagged, HubError> {
        self.store
            .read_committed(|registry| {
                let configuration = registry
                    .configurations
                    .get(id)
                    .ok_or_else(|| not_found(id))?;
                Ok(Tagged {
                    json: with_metrics(registry, configuration),
                    etag: configuration.etag_text(),
                })
            })
            .await
    }

    /// `GET /configurations?top=N`: up to `top` (at most 20, as in IoT Hub; 20 when
    /// `None`) configurations by id, with their metrics.
    pub async fn list_configurations(&self, top: Option<usize>) -> Value {
        let top = top.unwrap_or(MAX_LIST).min(MAX_LIST);
        self.store
            .read_committed(|registry| {
                let items = registry
                    .configurations
                    .values()
                    .take(top)
                    .map(|c| with_metrics(registry, c));
                Value::Array(items.collect())
            })
            .await
    }

    /// `PUT /configurations/{id}`: creates it (no `If-Match`) or updates its labels, metrics
    /// and priority (`If-Match`).
    pub async fn put_configuration(
        &self,
        id: &str,
        body: &Value,
        if_match: Option<&str>,
    ) -> Result<Tagged, HubError> {
        let input = body::parse(id, body)?;
        let now = clock::now_iso();
        self.store
            .write(|registry, changes| {
                let next_order = registry
                    .configurations
                    .values()
                    .map(|c| c.created_order + 1)
                    .max()
                    .unwrap_or(1);
                let count = registry.configurations.len();
                let configuration = match (registry.configurations.get_mut(id), if_match) {
                    (Some(_), None) => {
                        return Err(HubError::new(
                            ErrorCode::ConfigurationAlreadyExists,
                            format!("Configuration {id} already exists"),
                        ));
                    }
                    (None, Some(_)) => return Err(not_found(id)),
                    (Some(existing), Some(_)) => {
                        if !existing.etag_matches(if_match) {
                            return Err(HubError::precondition_failed(format!(
                                "the configuration's etag is {}",
                                existing.etag_text()
                            )));
                        }
                        check_immutable(existing, &input)?;
                        existing.labels = input.labels;
                        existing.metric_queries = input.metric_queries;
                        existing.priority = input.priority;
                        existing.last_updated_time = now;
                        existing.etag += 1;
                        existing.clone()
                    }
                    (None, None) => {
                        if count >= MAX_CONFIGURATIONS {
                            return Err(HubError::new(
                                ErrorCode::ConfigurationCountLimitExceeded,
                                format!(
                                    "the hub holds {count} configurations; the limit is \
                                     {MAX_CONFIGURATIONS}"
                                ),
                            ));
                        }
                        let created = Configuration {
                            id: id.to_owned(),
                            schema_version: input.schema_version,
                            labels: input.labels,
                            device_content: input.device_content,
                            target_condition: input.target_condition,
                            priority: input.priority,
                            metric_queries: input.metric_queries,
                            created_time: now.clone(),
                            last_updated_time: now,
                            etag: 1,
                            created_order: next_order,
                        };
                        registry
                            .configurations
                            .insert(id.to_owned(), created.clone());
                        created
                    }
                };
                changes.configuration(id);
                Ok(Tagged {
                    json: with_metrics(registry, &configuration),
                    etag: configuration.etag_text(),
                })
            })
            .await
    }

    /// `DELETE /configurations/{id}` (`If-Match` optional). The twins it targeted lose their
    /// status for it on the next run and keep the desired values it applied.
    pub async fn delete_configuration(
        &self,
        id: &str,
        if_match: Option<&str>,
    ) -> Result<(), HubError> {
        self.store
            .write(|registry, changes| {
                let existing = registry
                    .configurations
                    .get(id)
                    .ok_or_else(|| not_found(id))?;
                if !existing.etag_matches(if_match) {
                    return Err(HubError::precondition_failed(format!(
                        "the configuration's etag is {}",
                        existing.etag_text()
                    )));
                }
                registry.configurations.remove(id);
                changes.configuration(id);
                Ok(())
            })
            .await
    }

    /// `POST /configurations/testQueries`: `{targetConditionError, customMetricQueryErrors}`,
    /// empty when the queries are valid.
    pub fn test_configuration_queries(&self, body: &Value) -> Result<Value, HubError> {
        let Value::Object(fields) = body else {
            return Err(HubError::invalid("the body must be a JSON object"));
        };
        let condition = match fields.get("targetCondition") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(text)) => text.clone(),
            Some(_) => return Err(HubError::invalid("targetCondition must be a string")),
        };
        let metrics = body::string_map(fields.get("customMetricQueries"), "customMetricQueries")?;
        Ok(json!({
            "targetConditionError": body::target_condition_error(&condition).unwrap_or_default(),
            "customMetricQueryErrors": body::metric_query_errors(&metrics),
        }))
    }

    /// Applies every configuration to the twins now; how many twins changed.
    pub async fn apply_configurations(&self) -> Result<usize, HubError> {
        let idle = self.store.read(|registry| {
            registry.configurations.is_empty()
                && registry
                    .devices
                    .values()
                    .all(|d| d.twin.configurations.is_empty())
        });
        if idle {
            return Ok(0);
        }
        let now = clock::now_iso();
        self.store
            .write(|registry, changes| Ok(apply::apply_all(registry, changes, &now)))
            .await
    }

    /// `POST /devices/{id}/applyConfigurationContent` (IoT Edge modules content).
    pub fn apply_configuration_content(&self) -> Result<(), HubError> {
        Err(HubError::new(
            ErrorCode::InvalidOperation,
            "applyConfigurationContent (IoT Edge modules content) is not supported by this \
             emulator",
        ))
    }
}

/// Applies the configurations every `interval`, until aborted.
pub(crate) fn spawn_configuration_runs(hub: Arc<Hub>, interval: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(error) = hub.apply_configurations().await {
                tracing::warn!(%error, "applying the automatic configurations failed");
            }
        }
    })
}

/// Refuses a change of what IoT Hub does not let an update change.
fn check_immutable(
    existing: &Configuration,
    input: &body::ConfigurationInput,
) -> Result<(), HubError> {
    let refused = if existing.device_content != input.device_content {
        Some("content")
    } else if existing.target_condition != input.target_condition {
        Some("targetCondition")
    } else if existing.schema_version != input.schema_version {
        Some("schemaVersion")
    } else {
        None
    };
    match refused {
        Some(field) => Err(HubError::invalid(format!(
            "the configuration's {field} cannot be updated; only labels, metrics and priority can"
        ))),
        None => Ok(()),
    }
}

/// The configuration's JSON with its system and custom metrics evaluated over `registry`.
fn with_metrics(registry: &Registry, configuration: &Configuration) -> Value {
    let statuses = registry
        .devices
        .values()
        .filter_map(|d| d.twin.configurations.get(&configuration.id));
    let (mut targeted, mut applied) = (0u64, 0u64);
    for status in statuses {
        targeted += 1;
        applied += u64::from(status == STATUS_APPLIED);
    }
    let mut queries = Map::new();
    for (name, text) in configuration.system_queries() {
        queries.insert(name.to_owned(), Value::from(text));
    }
    let system = json!({
        "results": {"targetedCount": targeted, "appliedCount": applied},
        "queries": queries,
    });
    let custom: Map<String, Value> = configuration
        .metric_queries
        .iter()
        .map(|(name, text)| {
            let rows = query::prepare(text)
                .and_then(|q| q.all(registry))
                .map_or(0, |rows| rows.len());
            (name.clone(), Value::from(rows))
        })
        .collect();
    configuration.to_json(system, Value::Object(custom))
}
