//! Fault injection for tests (the control API sets it): make the emulator misbehave the way
//! real networks and hubs do, on purpose and countably.

use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The fault settings. Counters count down as faults are injected; `deviceId` limits every
/// fault to one device (all its modules included) when set.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultSettings {
    /// Drop the next N MQTT twin responses (the request is processed, the answer never sent).
    #[serde(default)]
    pub withhold_twin_responses: u32,
    /// Delay every MQTT twin response by this many milliseconds.
    #[serde(default)]
    pub delay_twin_responses_ms: u64,
    /// Answer the next N MQTT twin requests with status 429 (not processed).
    #[serde(default)]
    pub throttle_twin_requests: u32,
    /// Answer the next N service REST requests with 429 and `Retry-After: 1` (not processed).
    #[serde(default)]
    pub throttle_service_requests: u32,
    /// Refuse the next N MQTT CONNECTs with CONNACK 3 (server unavailable).
    #[serde(default)]
    pub refuse_connects: u32,
    /// Only faults for this device (and its modules); `null` = every device.
    #[serde(default)]
    pub device_id: Option<String>,
}

/// The live fault settings, shared by the MQTT endpoint, the REST API and the control API.
#[derive(Debug, Default)]
pub struct Faults {
    settings: Mutex<FaultSettings>,
}

impl Faults {
    /// The current settings.
    pub fn get(&self) -> FaultSettings {
        self.lock().clone()
    }

    /// Replaces the settings.
    pub fn set(&self, settings: FaultSettings) {
        *self.lock() = settings;
    }

    /// Whether to withhold this twin response (and count it).
    pub(crate) fn withhold_response(&self, device_id: &str) -> bool {
        self.take(device_id, |s| &mut s.withhold_twin_responses)
    }

    /// Whether to answer this twin request with 429 (and count it).
    pub(crate) fn throttle_twin_request(&self, device_id: &str) -> bool {
        self.take(device_id, |s| &mut s.throttle_twin_requests)
    }

    /// Whether to answer this REST request with 429 (and count it). REST faults apply to every
    /// request when no device is set, else to requests whose path names the device.
    pub(crate) fn throttle_service_request(&self, device_id: Option<&str>) -> bool {
        let mut settings = self.lock();
        let applies = match (&settings.device_id, device_id) {
            (None, _) => true,
            (Some(scope), Some(device)) => scope == device,
            (Some(_), None) => false,
        };
        if applies && settings.throttle_service_requests > 0 {
            settings.throttle_service_requests -= 1;
            true
        } else {
            false
        }
    }

    /// Whether to refuse this CONNECT (and count it).
    pub(crate) fn refuse_connect(&self, device_id: &str) -> bool {
        self.take(device_id, |s| &mut s.refuse_connects)
    }

    /// How long to hold a twin response back.
    pub(crate) fn response_delay(&self, device_id: &str) -> Option<Duration> {
        let settings = self.lock();
        let applies = settings
            .device_id
            .as_deref()
            .is_none_or(|scope| scope == device_id);
        (applies && settings.delay_twin_responses_ms > 0)
            .then(|| Duration::from_millis(settings.delay_twin_responses_ms))
    }

    fn take(&self, device_id: &str, counter: impl FnOnce(&mut FaultSettings) -> &mut u32) -> bool {
        let mut settings = self.lock();
        if settings
            .device_id
            .as_deref()
            .is_some_and(|scope| scope != device_id)
        {
            return false;
        }
        let count = counter(&mut settings);
        if *count > 0 {
            *count -= 1;
            true
        } else {
            false
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FaultSettings> {
        self.settings.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_count_down_and_respect_the_device_scope() {
        let faults = Faults::default();
        faults.set(FaultSettings {
            withhold_twin_responses: 2,
            device_id: Some("d1".into()),
            ..Default::default()
        });
        assert!(!faults.withhold_response("d2"));
        assert!(faults.withhold_response("d1"));
        assert!(faults.withhold_response("d1"));
        assert!(!faults.withhold_response("d1"));
        assert_eq!(faults.get().withhold_twin_responses, 0);
    }
}
