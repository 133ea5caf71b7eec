//! Desired patches that arrive before anyone watches them, held for the first watcher.

use super::desired::DesiredPatch;
use crate::twin::{self, JsonObject};

/// Desired patches held for the first watcher before they are folded into one.
const HELD_PATCHES: usize = 256;

/// Desired patches that arrived before anyone watched (e.g. between `connect` returning and
/// a binding subscribing): handed to the first watcher, so no patch is lost in that window.
#[derive(Debug, Default)]
pub(super) struct HeldPatches {
    /// Whether anyone has watched yet (nothing is held after that).
    pub(super) watched: bool,
    pub(super) patches: Vec<DesiredPatch>,
    /// The desired document before the first held patch, to fold them into one exactly.
    pub(super) base: JsonObject,
}

impl HeldPatches {
    pub(super) fn hold(&mut self, patch: DesiredPatch) {
        if self.patches.len() >= HELD_PATCHES
            && let Some(last) = self.patches.last()
        {
            // Nobody is watching yet: keep memory bounded by folding what is held into one
            // patch holding exactly the difference, as after a reconnect.
            let folded = DesiredPatch {
                version: last.version,
                patch: twin::diff(&self.base, &last.document),
                document: last.document.clone(),
            };
            self.patches = vec![folded];
        }
        self.patches.push(patch);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn obj(value: Value) -> JsonObject {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn past_the_limit_held_patches_fold_into_one_exact_difference() {
        let mut held = HeldPatches {
            base: obj(json!({"gone": 1, "keep": 0})),
            ..HeldPatches::default()
        };
        let mut document = held.base.clone();
        document.remove("gone");
        for version in 1..=(HELD_PATCHES as u64 + 1) {
            document.insert("n".into(), Value::from(version));
            held.hold(DesiredPatch {
                version,
                patch: obj(json!({"n": version})),
                document: document.clone(),
            });
        }
        assert_eq!(held.patches.len(), 2);
        assert_eq!(held.patches[0].version, HELD_PATCHES as u64);
        assert_eq!(
            held.patches[0].patch,
            obj(json!({"gone": null, "n": HELD_PATCHES as u64}))
        );
        assert_eq!(held.patches[1].version, HELD_PATCHES as u64 + 1);
    }
}
