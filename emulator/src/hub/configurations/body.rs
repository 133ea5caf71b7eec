//! Reading a configuration body (`PUT /configurations/{id}`) with IoT Hub's rules, and checking
//! target conditions and metric queries (`POST /configurations/testQueries` too).

use std::collections::BTreeMap;

use iothub_twin::twin::{self, JsonObject, Section};
use serde_json::Value;

use crate::error::HubError;
use crate::query::{self, condition::Condition};

/// The longest configuration id (IoT Hub's documented limit).
pub(super) const MAX_ID_CHARS: usize = 128;
/// Characters an id may hold besides lowercase ASCII letters and digits (IoT Hub's list).
const ID_PUNCTUATION: &str = "-:+%_#*?!(),=@;$'";
/// Where every `content.deviceContent` key starts.
const DESIRED_PREFIX: &str = "properties.desired.";

/// What a `PUT` body sets.
#[derive(Debug, PartialEq)]
pub(super) struct ConfigurationInput {
    pub schema_version: String,
    pub labels: BTreeMap<String, String>,
    pub device_content: JsonObject,
    pub target_condition: String,
    pub priority: u64,
    pub metric_queries: BTreeMap<String, String>,
}

/// Checks `id` against IoT Hub's rules: 1 to 128 lowercase letters, digits and `-:+%_#*?!(),=@;$'`.
pub(super) fn check_id(id: &str) -> Result<(), HubError> {
    let allowed =
        |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || ID_PUNCTUATION.contains(c);
    if id.is_empty() || id.chars().count() > MAX_ID_CHARS || !id.chars().all(allowed) {
        return Err(HubError::invalid(format!(
            "the configuration id `{id}` is not valid: use 1 to {MAX_ID_CHARS} lowercase letters, \
             digits and {ID_PUNCTUATION}"
        )));
    }
    Ok(())
}

/// Reads and checks a configuration body for the configuration `id`.
pub(super) fn parse(id: &str, body: &Value) -> Result<ConfigurationInput, HubError> {
    check_id(id)?;
    let Value::Object(fields) = body else {
        return Err(HubError::invalid("the configuration must be a JSON object"));
    };
    if let Some(body_id) = fields.get("id").filter(|v| !v.is_null())
        && body_id.as_str() != Some(id)
    {
        return Err(HubError::invalid(format!(
            "the configuration's id {body_id} differs from the id in the path, `{id}`"
        )));
    }
    let schema_version = match fields.get("schemaVersion") {
        None | Some(Value::Null) => "1.0".to_owned(),
        Some(Value::String(version)) => version.clone(),
        Some(_) => return Err(HubError::invalid("schemaVersion must be a string")),
    };
    let target_condition = match fields.get("targetCondition") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(_) => return Err(HubError::invalid("targetCondition must be a string")),
    };
    if let Some(error) = target_condition_error(&target_condition) {
        return Err(HubError::invalid(format!(
            "Invalid target condition: {error}"
        )));
    }
    let metric_queries = metric_queries(fields.get("metrics"))?;
    if let Some((name, error)) = metric_query_errors(&metric_queries).into_iter().next() {
        return Err(HubError::invalid(format!(
            "Invalid custom metric query {name}: {error}"
        )));
    }
    Ok(ConfigurationInput {
        schema_version,
        labels: string_map(fields.get("labels"), "labels")?,
        device_content: device_content(fields.get("content"))?,
        target_condition,
        priority: priority(fields.get("priority"))?,
        metric_queries,
    })
}

/// Why `text` is not a valid target condition; `None` when it is. An empty condition is valid
/// and targets no twin.
pub(super) fn target_condition_error(text: &str) -> Option<String> {
    if text.trim().is_empty() {
        return None;
    }
    Condition::parse(text).err().map(|e| e.message)
}

/// The metric queries that are not valid queries, with why.
pub(super) fn metric_query_errors(queries: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    queries
        .iter()
        .filter_map(|(name, text)| Some((name.clone(), query::prepare(text).err()?.message)))
        .collect()
}

/// `metrics.queries` (`results` is the hub's, ignored).
fn metric_queries(metrics: Option<&Value>) -> Result<BTreeMap<String, String>, HubError> {
    match metrics {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(metrics)) => string_map(metrics.get("queries"), "metrics.queries"),
        Some(_) => Err(HubError::invalid("metrics must be an object")),
    }
}

/// An object of strings (`labels`, `metrics.queries`); absent or `null` is empty.
pub(super) fn string_map(
    value: Option<&Value>,
    name: &str,
) -> Result<BTreeMap<String, String>, HubError> {
    let object = match value {
        None | Some(Value::Null) => return Ok(BTreeMap::new()),
        Some(Value::Object(object)) => object,
        Some(_) => return Err(HubError::invalid(format!("{name} must be an object"))),
    };
    object
        .iter()
        .map(|(key, value)| match value {
            Value::String(text) => Ok((key.clone(), text.clone())),
            _ => Err(HubError::invalid(format!("{name}.{key} must be a string"))),
        })
        .collect()
}

/// `priority`: a non-negative 32-bit integer (IoT Hub's is an `int`); absent means 0.
fn priority(value: Option<&Value>) -> Result<u64, HubError> {
    match value {
        None | Some(Value::Null) => Ok(0),
        Some(value) => value
            .as_u64()
            .filter(|p| *p <= i32::MAX as u64)
            .ok_or_else(|| {
                HubError::invalid(format!(
                    "priority must be an integer from 0 to {}, not {value}",
                    i32::MAX
                ))
            }),
    }
}

/// `content.deviceContent`, checked: every key `properties.desired.<path>`, and the desired
/// properties it makes valid and within the desired section's size limit (32 KB; IoT Hub's
/// `403100` when over it, as for a twin). Modules content (IoT Edge deployments, module
/// configurations) is refused: this emulator applies device twin content only.
fn device_content(content: Option<&Value>) -> Result<JsonObject, HubError> {
    let Some(Value::Object(content)) = content else {
        return Err(HubError::invalid(
            "content must be an object with deviceContent",
        ));
    };
    for unsupported in ["modulesContent", "moduleContent"] {
        if content
            .get(unsupported)
            .is_some_and(|v| v.as_object().is_none_or(|o| !o.is_empty()) && !v.is_null())
        {
            return Err(HubError::invalid(format!(
                "content.{unsupported} (module and IoT Edge configurations) is not supported by \
                 this emulator; only content.deviceContent is"
            )));
        }
    }
    let device_content = match content.get("deviceContent") {
        Some(Value::Object(device)) if !device.is_empty() => device.clone(),
        _ => {
            return Err(HubError::invalid(
                "content.deviceContent must be an object with at least one \
                 properties.desired.<path>",
            ));
        }
    };
    for key in device_content.keys() {
        let path = key.strip_prefix(DESIRED_PREFIX).unwrap_or("");
        if path.split('.').any(str::is_empty) {
            return Err(HubError::invalid(format!(
                "content.deviceContent key `{key}` must be properties.desired.<path>"
            )));
        }
    }
    let patch = desired_patch(&device_content);
    twin::validate(Section::Desired, &Value::Object(patch.clone()))?;
    twin::check_section_size(Section::Desired, &patch)?;
    Ok(device_content)
}

/// The desired-properties merge patch `entries` (`properties.desired.<path>` to value) make.
pub(super) fn desired_patch<'a>(
    entries: impl IntoIterator<Item = (&'a String, &'a Value)>,
) -> JsonObject {
    let mut patch = JsonObject::new();
    for (key, value) in entries {
        let path = key.strip_prefix(DESIRED_PREFIX).unwrap_or(key);
        let mut segments: Vec<&str> = path.split('.').collect();
        let last = segments.pop().unwrap_or_default();
        let mut node = &mut patch;
        for segment in segments {
            let child = node
                .entry(segment.to_owned())
                .or_insert_with(|| Value::Object(JsonObject::new()));
            if !child.is_object() {
                *child = Value::Object(JsonObject::new());
            }
            node = child.as_object_mut().expect("made an object above");
        }
        node.insert(last.to_owned(), value.clone());
    }
    patch
}
