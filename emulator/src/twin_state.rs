//! One twin's state and IoT Hub's write rules for it (spec/protocol.md §5.2–§5.4).
//!
//! | counter | starts | moves on |
//! |---|---|---|
//! | desired `$version` | 1 | +1 per service write whose desired part changes something |
//! | reported `$version` | 1 | +1 per accepted reported patch (no value comparison) |
//! | `etag` | 1 (`AAAAAAAAAAE=`) | every service write that changes tags or desired; never on reported |
//! | `version` | 2 | every write of any kind |
//!
//! A service patch that changes nothing (only deletions of absent keys, or empty objects merged
//! into existing ones) moves no counter and notifies nobody (spec §5.4 rule 9, recommended).

mod metadata;
mod notice;

pub use notice::{TwinBefore, TwinOp, diff, notification_body};

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use iothub_twin::twin::{self, JsonObject, Section};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::HubError;

/// The properties and counters of one device or module twin.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TwinState {
    /// Tags (service-only, no metadata).
    pub tags: JsonObject,
    /// Desired properties, without `$version`/`$metadata`.
    pub desired: JsonObject,
    /// Reported properties, without `$version`/`$metadata`.
    pub reported: JsonObject,
    /// `$metadata` of desired.
    pub desired_metadata: JsonObject,
    /// `$metadata` of reported.
    pub reported_metadata: JsonObject,
    /// Desired `$version`.
    pub desired_version: u64,
    /// Reported `$version`.
    pub reported_version: u64,
    /// The etag counter (rendered as base64 of the big-endian u64).
    pub etag: u64,
    /// The twin `version`.
    pub version: u64,
    /// IoT Plug and Play model id; empty when none was announced.
    #[serde(default)]
    pub model_id: String,
    /// The automatic configurations targeting this twin: id to status (`Targeted`, `Applied`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub configurations: BTreeMap<String, String>,
}

/// A desired change to push to the device: the notification payload of spec §3.7.
#[derive(Clone, Debug, PartialEq)]
pub struct DesiredChange {
    /// The new desired `$version`.
    pub version: u64,
    /// The effective patch (or replacement patch); `null` marks removed keys.
    pub patch: JsonObject,
}

impl DesiredChange {
    /// The MQTT payload: the patch plus `"$version"`.
    pub fn payload(&self) -> Value {
        let mut body = self.patch.clone();
        body.insert("$version".into(), Value::from(self.version));
        Value::Object(body)
    }
}

impl TwinState {
    /// A fresh twin, created at `now`.
    pub fn new(now: &str) -> Self {
        Self {
            tags: JsonObject::new(),
            desired: JsonObject::new(),
            reported: JsonObject::new(),
            desired_metadata: metadata::root(now),
            reported_metadata: metadata::root(now),
            desired_version: 1,
            reported_version: 1,
            etag: 1,
            version: 2,
            model_id: String::new(),
            configurations: BTreeMap::new(),
        }
    }

    /// The etag as the wire shows it: base64 of a 64-bit big-endian counter (`AAAAAAAAAAE=`).
    pub fn etag_text(&self) -> String {
        STANDARD.encode(self.etag.to_be_bytes())
    }

    /// Whether `if_match` (already stripped of quotes; `*` matches anything) matches.
    pub fn etag_matches(&self, if_match: Option<&str>) -> bool {
        match if_match {
            None | Some("*") => true,
            Some(etag) => etag == self.etag_text(),
        }
    }

    /// A service PATCH: merge `tags` and `desired` (either may be absent). All-or-nothing: on
    /// error nothing changes. A section sent as `null` (cleared) arrives here as
    /// [`removal_patch`]: every key deleted, so `$version`, metadata and the device's
    /// notification follow the ordinary rules.
    pub fn service_patch(
        &mut self,
        tags: Option<&JsonObject>,
        desired: Option<&JsonObject>,
        now: &str,
    ) -> Result<Option<DesiredChange>, HubError> {
        let mut new_tags = self.tags.clone();
        let mut new_desired = self.desired.clone();
        let mut tags_effective = JsonObject::new();
        let mut desired_effective = JsonObject::new();
        if let Some(patch) = tags {
            twin::validate(Section::Tags, &Value::Object(patch.clone()))?;
            tags_effective = twin::apply_patch(&mut new_tags, patch);
            twin::check_section_size(Section::Tags, &new_tags)?;
        }
        if let Some(patch) = desired {
            twin::validate(Section::Desired, &Value::Object(patch.clone()))?;
            desired_effective = twin::apply_patch(&mut new_desired, patch);
            twin::check_section_size(Section::Desired, &new_desired)?;
        }
        if tags_effective.is_empty() && desired_effective.is_empty() {
            return Ok(None);
        }
        self.tags = new_tags;
        self.desired = new_desired;
        self.etag += 1;
        self.version += 1;
        if desired_effective.is_empty() {
            return Ok(None);
        }
        Ok(Some(self.commit_desired(desired_effective, now)))
    }

    /// A service PUT: `tags` and `desired` replace the old ones wholesale (an omitted section
    /// becomes empty). The notification names every new key and `null`s removed ones. A
    /// replacement holds no `null` members (the hub refuses those before calling this).
    pub fn service_replace(
        &mut self,
        tags: JsonObject,
        desired: JsonObject,
        now: &str,
    ) -> Result<Option<DesiredChange>, HubError> {
        twin::validate(Section::Tags, &Value::Object(tags.clone()))?;
        twin::validate(Section::Desired, &Value::Object(desired.clone()))?;
        let notification = twin::replacement_patch(&self.desired, &desired);
        self.tags = tags;
        self.desired = desired;
        self.etag += 1;
        self.version += 1;
        if notification.is_empty() {
            return Ok(None);
        }
        Ok(Some(self.commit_desired(notification, now)))
    }

    /// A device's reported patch; returns the new reported `$version`. `expected_version`
    /// is the optional `$version` precondition of the topic (412 when it differs).
    pub fn reported_patch(
        &mut self,
        patch: &Value,
        expected_version: Option<u64>,
        now: &str,
    ) -> Result<u64, HubError> {
        twin::validate(Section::Reported, patch)?;
        let patch = patch.as_object().expect("validate accepts objects only");
        if let Some(expected) = expected_version
            && expected != self.reported_version
        {
            return Err(HubError::precondition_failed(format!(
                "reported $version is {}, not {expected}",
                self.reported_version
            )));
        }
        let mut new_reported = self.reported.clone();
        let effective = twin::apply_patch(&mut new_reported, patch);
        twin::check_section_size(Section::Reported, &new_reported)?;
        self.reported = new_reported;
        metadata::touch(&mut self.reported_metadata, &effective, now, None);
        self.reported_version += 1;
        self.version += 1;
        Ok(self.reported_version)
    }

    /// The `properties` object as REST shows it: sections with `$metadata` and `$version`.
    pub fn properties_json(&self) -> Value {
        serde_json::json!({
            "desired": section_json(&self.desired, Some(&self.desired_metadata), self.desired_version),
            "reported": section_json(&self.reported, Some(&self.reported_metadata), self.reported_version),
        })
    }

    /// The body of an MQTT twin GET: `{desired, reported}` with `$version`, no `$metadata`.
    pub fn device_view(&self) -> Value {
        serde_json::json!({
            "desired": section_json(&self.desired, None, self.desired_version),
            "reported": section_json(&self.reported, None, self.reported_version),
        })
    }

    fn commit_desired(&mut self, patch: JsonObject, now: &str) -> DesiredChange {
        self.desired_version += 1;
        metadata::touch(
            &mut self.desired_metadata,
            &patch,
            now,
            Some(self.desired_version),
        );
        DesiredChange {
            version: self.desired_version,
            patch,
        }
    }
}

/// The merge patch that deletes every member of `section`.
pub fn removal_patch(section: &JsonObject) -> JsonObject {
    section.keys().map(|k| (k.clone(), Value::Null)).collect()
}

fn section_json(properties: &JsonObject, metadata: Option<&JsonObject>, version: u64) -> Value {
    let mut out = properties.clone();
    if let Some(metadata) = metadata {
        out.insert("$metadata".into(), Value::Object(metadata.clone()));
    }
    out.insert("$version".into(), Value::from(version));
    Value::Object(out)
}

#[cfg(test)]
mod tests;
