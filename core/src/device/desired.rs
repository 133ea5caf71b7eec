//! Keeping the device's view of desired properties exact across reconnects.
//!
//! The hub pushes each desired change once, to connected devices only; a device that was away
//! misses changes, and notifications can overtake a twin read. The tracker keeps the desired
//! document and its `$version`: notifications at the next version are applied and delivered,
//! stale ones (not above the last seen `$version`) are dropped, and after every (re)connect a
//! twin read re-establishes the truth — if `$version` moved meanwhile, exactly one patch is
//! delivered holding the difference (changed keys, `null` for removed ones) at the hub's
//! `$version`. A gap in versions while connected triggers the same resync.

use serde_json::Value;

use crate::twin::{self, JsonObject, TwinCollection};

/// A desired-properties change as the application receives it.
#[derive(Clone, Debug, PartialEq)]
pub struct DesiredPatch {
    /// The desired `$version` after this change.
    pub version: u64,
    /// The change: new or changed keys with their values, `null` for removed keys.
    pub patch: JsonObject,
    /// The whole desired document after this change (without `$version`), so that an
    /// application (or a binding) need not merge patches itself.
    pub document: JsonObject,
}

impl DesiredPatch {
    /// The patch as the hub sends it: the members plus `"$version"`.
    pub fn to_json(&self) -> Value {
        with_version(&self.patch, self.version)
    }

    /// The whole desired document after the change, with `"$version"`.
    pub fn document_json(&self) -> Value {
        with_version(&self.document, self.version)
    }
}

fn with_version(members: &JsonObject, version: u64) -> Value {
    let mut body = members.clone();
    body.insert("$version".into(), Value::from(version));
    Value::Object(body)
}

/// What a notification led to.
#[derive(Debug, PartialEq)]
pub(super) enum Outcome {
    /// Deliver these patches, in order.
    Deliver(Vec<DesiredPatch>),
    /// A version was skipped: read the twin to resynchronise.
    Resync,
}

#[derive(Debug, Default)]
pub(super) struct DesiredTracker {
    document: JsonObject,
    /// `None` until the first twin read.
    version: Option<u64>,
    resyncing: bool,
    held: Vec<(u64, JsonObject)>,
}

impl DesiredTracker {
    /// A twin read is on its way: hold notifications until it answers.
    pub(super) fn begin_resync(&mut self) {
        self.resyncing = true;
    }

    /// The desired document as last delivered or read.
    pub(super) fn document(&self) -> &JsonObject {
        &self.document
    }

    /// A pushed notification (its payload without `$version`).
    pub(super) fn on_notification(&mut self, version: u64, patch: JsonObject) -> Outcome {
        if self.resyncing || self.version.is_none() {
            self.held.push((version, patch));
            return Outcome::Deliver(Vec::new());
        }
        self.apply(version, patch)
    }

    /// The twin read answered with `desired`: returns the patches to deliver.
    pub(super) fn on_resync(&mut self, desired: &TwinCollection) -> Vec<DesiredPatch> {
        self.resyncing = false;
        let fresh = desired.to_properties();
        let fresh_version = desired.version().unwrap_or(0);
        let mut delivered = Vec::new();
        match self.version {
            // The first read only sets the baseline: the application reads the twin itself.
            None => {}
            Some(known) if fresh_version > known => {
                let difference = twin::diff(&self.document, &fresh);
                if !difference.is_empty() {
                    delivered.push(DesiredPatch {
                        version: fresh_version,
                        patch: difference,
                        document: fresh.clone(),
                    });
                }
            }
            Some(_) => {}
        }
        if self.version.is_none_or(|known| fresh_version >= known) {
            self.document = fresh;
            self.version = Some(fresh_version);
        }
        let mut held = std::mem::take(&mut self.held);
        held.sort_by_key(|(version, _)| *version);
        for (version, patch) in held {
            match self.apply(version, patch) {
                Outcome::Deliver(patches) => delivered.extend(patches),
                // A gap behind a fresh read: the next resync settles it.
                Outcome::Resync => {}
            }
        }
        delivered
    }

    /// The twin read failed: stop holding, deliver what can be delivered.
    pub(super) fn abandon_resync(&mut self) {
        self.resyncing = false;
    }

    fn apply(&mut self, version: u64, patch: JsonObject) -> Outcome {
        let known = self.version.unwrap_or(0);
        if version <= known {
            return Outcome::Deliver(Vec::new()); // stale or duplicate
        }
        if version > known + 1 {
            self.held.push((version, patch));
            return Outcome::Resync;
        }
        twin::apply_patch(&mut self.document, &patch);
        self.version = Some(version);
        Outcome::Deliver(vec![DesiredPatch {
            version,
            patch,
            document: self.document.clone(),
        }])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(value: Value) -> JsonObject {
        value.as_object().unwrap().clone()
    }

    fn collection(value: Value) -> TwinCollection {
        TwinCollection(obj(value))
    }

    #[test]
    fn in_order_notifications_pass_and_stale_ones_drop() {
        let mut tracker = DesiredTracker::default();
        tracker.begin_resync();
        assert_eq!(
            tracker.on_resync(&collection(json!({"a": 1, "$version": 3}))),
            vec![]
        );
        let patch = obj(json!({"a": 2}));
        assert_eq!(
            tracker.on_notification(4, patch.clone()),
            Outcome::Deliver(vec![DesiredPatch {
                version: 4,
                document: patch.clone(),
                patch
            }])
        );
        assert_eq!(
            tracker.on_notification(4, obj(json!({"a": 9}))),
            Outcome::Deliver(vec![])
        );
        assert_eq!(
            tracker.on_notification(2, obj(json!({"a": 9}))),
            Outcome::Deliver(vec![])
        );
        assert_eq!(
            tracker.on_notification(6, obj(json!({"b": 1}))),
            Outcome::Resync
        );
    }

    #[test]
    fn a_resync_delivers_one_exact_difference() {
        let mut tracker = DesiredTracker::default();
        tracker.begin_resync();
        tracker.on_resync(&collection(
            json!({"a": 1, "gone": true, "keep": {"x": 1}, "$version": 2}),
        ));
        // Offline: two changes and a removal happened.
        tracker.begin_resync();
        let delivered = tracker.on_resync(&collection(
            json!({"a": 3, "keep": {"x": 1, "y": 2}, "$version": 5}),
        ));
        assert_eq!(
            delivered,
            vec![DesiredPatch {
                version: 5,
                patch: obj(json!({"gone": null, "a": 3, "keep": {"y": 2}})),
                document: obj(json!({"a": 3, "keep": {"x": 1, "y": 2}}))
            }]
        );
        // A late notification of an old version is dropped.
        assert_eq!(
            tracker.on_notification(4, obj(json!({"a": 2}))),
            Outcome::Deliver(vec![])
        );
    }

    #[test]
    fn notifications_racing_a_resync_are_held_then_applied() {
        let mut tracker = DesiredTracker::default();
        tracker.begin_resync();
        tracker.on_resync(&collection(json!({"a": 1, "$version": 1})));
        tracker.begin_resync();
        assert_eq!(
            tracker.on_notification(3, obj(json!({"b": 1}))),
            Outcome::Deliver(vec![])
        );
        let delivered = tracker.on_resync(&collection(json!({"a": 2, "$version": 2})));
        assert_eq!(delivered.len(), 2);
        assert_eq!(
            delivered[0],
            DesiredPatch {
                version: 2,
                patch: obj(json!({"a": 2})),
                document: obj(json!({"a": 2}))
            }
        );
        assert_eq!(delivered[1].version, 3);
        assert_eq!(delivered[1].document, obj(json!({"a": 2, "b": 1})));
    }
}
