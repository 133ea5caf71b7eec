//! A device application's view of its desired properties, as the core device client lets it
//! keep one: a twin read for the baseline, then every patch of the desired stream applied.
//! The harnesses compare it with the hub's desired properties at the end.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use iothub_twin::DeviceClient;
use iothub_twin::twin::{JsonObject, apply_patch};

/// Desired `$version` and properties as the device sees them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DesiredView {
    /// `None` until the baseline read succeeded.
    pub version: Option<u64>,
    /// The user properties.
    pub properties: JsonObject,
}

/// Keeps `view` up to date from `client` until the client closes. The baseline read is
/// retried (each try bounded by the client's deadline) until it succeeds.
pub async fn keep_desired_view(client: DeviceClient, view: Arc<Mutex<DesiredView>>) {
    // Subscribe before reading, so no change falls between the read and the stream.
    let mut patches = client.desired_property_updates();
    let baseline = loop {
        match client.get_twin().await {
            Ok(twin) => break twin.desired,
            Err(iothub_twin::Error::Closed) => return,
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    };
    {
        let mut view = lock(&view);
        let version = baseline.version().unwrap_or(0);
        if view.version.is_none_or(|v| version > v) {
            view.version = Some(version);
            view.properties = baseline.to_properties();
        }
    }
    while let Some(patch) = patches.next_patch().await {
        let mut view = lock(&view);
        // Patches the baseline read already contains are skipped.
        if view.version.is_some_and(|v| patch.version > v) {
            apply_patch(&mut view.properties, &patch.patch);
            view.version = Some(patch.version);
        }
    }
}

/// Locks a view (a poisoned lock still holds a usable view).
pub fn lock(view: &Mutex<DesiredView>) -> std::sync::MutexGuard<'_, DesiredView> {
    view.lock().unwrap_or_else(|e| e.into_inner())
}
