//! The query engine without HTTP: registries built in memory, queries run page by page.

mod doc_examples;
mod functions;
mod paging;
mod results;
mod robustness;
mod semantics;
mod syntax;

use serde_json::{Value, json};

use super::{PreparedQuery, prepare};
use crate::error::HubError;
use crate::registry::{Device, IdentityBody, Module, Registry};

pub(super) const NOW: &str = "2026-11-27T10:00:00.0000000Z";

/// Builds registries for tests.
#[derive(Default)]
pub(super) struct Fleet {
    pub(super) registry: Registry,
}

impl Fleet {
    pub(super) fn device(&mut self, id: &str) -> &mut Self {
        let body = IdentityBody::parse(&json!({}), id, None, None).unwrap();
        self.registry
            .devices
            .insert(id.to_owned(), Device::create(id, body, NOW));
        self
    }

    pub(super) fn module(&mut self, device_id: &str, module_id: &str) -> &mut Self {
        let body = IdentityBody::parse(&json!({}), device_id, Some(module_id), None).unwrap();
        let module = Module::create(device_id, module_id, body, NOW);
        self.registry
            .devices
            .get_mut(device_id)
            .unwrap()
            .modules
            .insert(module_id.to_owned(), module);
        self
    }

    pub(super) fn twin(&mut self, id: &str) -> &mut crate::twin_state::TwinState {
        let (device_id, module_id) = split(id);
        self.registry.twin_of_mut(device_id, module_id).unwrap().1
    }

    /// Merges `patch` into the tags of `id` (`dev` or `dev/mod`).
    pub(super) fn tags(&mut self, id: &str, patch: Value) -> &mut Self {
        let patch = patch.as_object().unwrap().clone();
        self.twin(id)
            .service_patch(Some(&patch), None, NOW)
            .unwrap();
        self
    }

    pub(super) fn desired(&mut self, id: &str, patch: Value) -> &mut Self {
        let patch = patch.as_object().unwrap().clone();
        self.twin(id)
            .service_patch(None, Some(&patch), NOW)
            .unwrap();
        self
    }

    pub(super) fn reported(&mut self, id: &str, patch: Value) -> &mut Self {
        self.twin(id).reported_patch(&patch, None, NOW).unwrap();
        self
    }

    pub(super) fn identity(&mut self, id: &str) -> &mut crate::registry::Identity {
        let (device_id, module_id) = split(id);
        self.registry.twin_of_mut(device_id, module_id).unwrap().0
    }

    /// Every result of `query`.
    pub(super) fn run(&self, query: &str) -> Vec<Value> {
        let prepared = prepare(query).unwrap_or_else(|e| panic!("{query}: {e}"));
        prepared
            .all(&self.registry)
            .unwrap_or_else(|e| panic!("{query}: {e}"))
    }

    /// The `deviceId`s (`dev/mod` for module twins) of the twins `query` returns.
    pub(super) fn ids(&self, query: &str) -> Vec<String> {
        self.run(query).iter().map(twin_id).collect()
    }
}

fn split(id: &str) -> (&str, Option<&str>) {
    match id.split_once('/') {
        Some((device, module)) => (device, Some(module)),
        None => (id, None),
    }
}

pub(super) fn twin_id(twin: &Value) -> String {
    let device = twin["deviceId"].as_str().unwrap_or("?");
    match twin.get("moduleId").and_then(Value::as_str) {
        Some(module) => format!("{device}/{module}"),
        None => device.to_owned(),
    }
}

/// The error of a query that must not prepare.
pub(super) fn rejected(query: &str) -> HubError {
    match prepare(query) {
        Ok(prepared) => panic!("{query} was accepted: {prepared:?}"),
        Err(error) => error,
    }
}

pub(super) fn prepared(query: &str) -> PreparedQuery {
    prepare(query).unwrap_or_else(|e| panic!("{query}: {e}"))
}

/// The fleet of the spec §6.4 examples.
pub(super) fn doc_fleet() -> Fleet {
    let mut fleet = Fleet::default();
    for id in [
        "AZ3166Device",
        "device1",
        "device2",
        "device3",
        "device4",
        "device5",
        "device6",
    ] {
        fleet.device(id);
    }
    let telemetry = |frequency: u64, status: &str| json!({"telemetryConfig": {"sendFrequencyInSecs": frequency, "status": status}});
    fleet
        .tags(
            "device1",
            json!({"location": {"region": "US", "plant": "Redmond43"}}),
        )
        .tags(
            "device2",
            json!({"location": {"region": "US", "plant": "Redmond43"}}),
        )
        .tags(
            "device3",
            json!({"location": {"region": "EU", "plant": "Dublin1"}}),
        )
        .tags(
            "device4",
            json!({"location": {"region": "US"}, "group": {"name": "some_value"}}),
        )
        .tags("device5", json!({"group": {"name": "other_value"}}))
        .reported("device1", telemetry(60, "Success"))
        .reported("device1", json!({"connectivity": "wired"}))
        .reported("device2", telemetry(30, "Pending"))
        .reported("device2", json!({"connectivity": "wifi"}))
        .reported("device3", telemetry(120, "Success"))
        .reported("device3", json!({"connectivity": {"type": "cellular"}}))
        .reported("device4", telemetry(300, "Success"))
        .reported("device5", telemetry(10, "Pending"))
        .reported("device5", json!({"connectivity": "wifi"}))
        .reported("device6", telemetry(60, "Error"))
        .desired("device1", json!({"power_level": 1}));
    fleet.identity("device4").enabled = false;
    fleet.identity("device5").iot_edge = true;
    fleet.identity("device6").connected = true;
    fleet.identity("AZ3166Device").last_activity_time = "2021-05-07T00:50:38.0543092Z".into();
    for (device, module, status) in [
        ("device1", "scanner", "scanning"),
        ("device2", "scanner", "scanning"),
        ("device3", "scanner", "scanning"),
        ("device3", "uploader", "idle"),
    ] {
        fleet
            .module(device, module)
            .reported(&format!("{device}/{module}"), json!({"status": status}));
    }
    fleet
}
