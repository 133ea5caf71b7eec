//! Applying the automatic configurations to the twins they target, under one registry write.
//!
//! For every device twin: the configurations whose target condition it meets target it; each
//! `properties.desired.<path>` goes to the one of them that outranks the others setting it
//! (higher priority, then created later: IoT Hub's rule). A configuration that wins at least one
//! path is `Applied` on the twin, one that wins none is `Targeted`. When a configuration becomes
//! `Applied` on a twin, every winning value is written, as one ordinary service patch (desired
//! `$version`, metadata, etag and the device's notification follow the usual rules); while the
//! winners stay the same nothing is written again, so a later service write to the same property
//! stands until the winners change. A twin that leaves the target loses its
//! `configurations.<id>` entry and keeps the desired values that were applied, as IoT Hub
//! documents ("the twin retains the desired properties").
//!
//! Module twins are not targeted: module configurations are not supported by this emulator.

use std::collections::BTreeMap;

use iothub_twin::twin::JsonObject;

use super::body::desired_patch;
use crate::query::condition::Condition;
use crate::registry::{
    Configuration, Device, IdentityKey, Registry, STATUS_APPLIED, STATUS_TARGETED,
};
use crate::store::{Changes, TwinChange, TwinOp};
use crate::twin_state::{TwinBefore, notification_body};

/// Applies every configuration; returns how many twins changed.
pub(super) fn apply_all(registry: &mut Registry, changes: &mut Changes, now: &str) -> usize {
    let Registry {
        devices,
        configurations,
        ..
    } = registry;
    let mut ranked: Vec<(&Configuration, Option<Condition>)> = configurations
        .values()
        .map(|c| {
            // Stored conditions were checked when written; an empty one targets nothing.
            let condition = Condition::parse(&c.target_condition).ok();
            (c, condition)
        })
        .collect();
    // Highest rank first.
    ranked.sort_by_key(|(c, _)| std::cmp::Reverse((c.priority, c.created_order)));
    let mut changed = 0;
    for (device_id, device) in devices.iter_mut() {
        if apply_to_device(device, &ranked, changes, now) {
            changes.touch(device_id, None);
            changed += 1;
        }
    }
    changed
}

/// Whether anything of the twin changed.
fn apply_to_device(
    device: &mut Device,
    ranked: &[(&Configuration, Option<Condition>)],
    changes: &mut Changes,
    now: &str,
) -> bool {
    let targeting: Vec<&Configuration> = ranked
        .iter()
        .filter(|(_, condition)| {
            condition
                .as_ref()
                .is_some_and(|c| c.matches(&device.identity, &device.twin))
        })
        .map(|(configuration, _)| *configuration)
        .collect();
    if targeting.is_empty() && device.twin.configurations.is_empty() {
        return false;
    }
    // Each path to the configuration that wins it (the first in rank order to set it).
    let mut winners: BTreeMap<&String, &Configuration> = BTreeMap::new();
    for configuration in &targeting {
        for path in configuration.device_content.keys() {
            winners.entry(path).or_insert(configuration);
        }
    }
    let mut statuses = BTreeMap::new();
    let mut newly_applied = Vec::new();
    for configuration in &targeting {
        let wins = winners.values().any(|w| w.id == configuration.id);
        let status = if wins {
            STATUS_APPLIED
        } else {
            STATUS_TARGETED
        };
        let before = device.twin.configurations.get(&configuration.id);
        if wins && before.map(String::as_str) != Some(STATUS_APPLIED) {
            newly_applied.push(configuration.id.as_str());
        }
        statuses.insert(configuration.id.clone(), status.to_owned());
    }
    // When the winners changed (a configuration became `Applied`), every winning value is
    // written, lowest rank first, so that a nested path of a higher-ranked configuration lands
    // after a wider one of a lower-ranked configuration.
    let mut ordered: Vec<(&String, &Configuration)> = if newly_applied.is_empty() {
        Vec::new()
    } else {
        winners.iter().map(|(path, w)| (*path, *w)).collect()
    };
    ordered.sort_by_key(|(_, w)| (w.priority, w.created_order));
    let patch: JsonObject = desired_patch(
        ordered
            .iter()
            .map(|(path, w)| (*path, &w.device_content[path.as_str()])),
    );
    if !patch.is_empty() {
        let before = TwinBefore::service(&device.twin);
        match device.twin.service_patch(None, Some(&patch), now) {
            Ok(Some(desired)) => {
                let change = TwinChange {
                    op: TwinOp::Update,
                    version: device.twin.version,
                    timestamp: now.to_owned(),
                    desired: Some(desired),
                    body: notification_body(&before, &device.twin, TwinOp::Update),
                };
                changes.twin_changed(&IdentityKey::device(&device.identity.device_id), change);
            }
            Ok(None) => {}
            Err(error) => {
                // The twin cannot take the content (its desired section would be too large):
                // nothing is applied, and the next run tries again.
                tracing::warn!(device = %device.identity.device_id, %error, "configuration content not applied");
                for id in newly_applied {
                    statuses.insert(id.to_owned(), STATUS_TARGETED.to_owned());
                }
            }
        }
    }
    if statuses == device.twin.configurations && patch.is_empty() {
        return false;
    }
    device.twin.configurations = statuses;
    true
}
