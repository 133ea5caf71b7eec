//! What the emulator targets share: one runtime and one in-memory hub per fuzzing process,
//! reset to the same identities before every input so each input runs on its own.

// Each target uses its own part of this module.
#![allow(dead_code)]

use std::sync::OnceLock;
use std::time::Duration;

use iothub_twin::auth::{SasToken, SharedAccessKey, device_resource, module_resource};
use iothub_twin_emulator::fuzzing::{FuzzHub, SasIdentity};
use tokio::runtime::Runtime;

/// The SAS device every input starts with (its key is the wire fixture's).
pub const DEVICE: &str = "dev1";
/// A module of [`DEVICE`].
pub const MODULE: &str = "m1";
/// A second device (cross-identity requests must be refused, not served).
pub const OTHER_DEVICE: &str = "dev2";
const KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const IDENTITIES: &[SasIdentity<'static>] = &[
    (DEVICE, None, KEY),
    (DEVICE, Some(MODULE), KEY),
    (OTHER_DEVICE, None, KEY),
];
/// The longest any one input may keep a connection or request going before it counts as a hang.
pub const DEADLINE: Duration = Duration::from_secs(20);
/// Entra stand-in token the REST target's hub accepts.
pub const ENTRA_TOKEN: &str = "fuzz-entra-token";

/// A current-thread runtime with timers: everything the emulator spawns runs inside `block_on`.
pub fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a tokio runtime")
    })
}

/// The hub, reset to [`IDENTITIES`] with no faults and no MQTT sessions.
pub fn fresh_hub() -> &'static FuzzHub {
    static HUB: OnceLock<FuzzHub> = OnceLock::new();
    let hub = HUB.get_or_init(|| FuzzHub::new(Some(ENTRA_TOKEN.to_owned())).expect("a hub"));
    runtime()
        .block_on(hub.reset(IDENTITIES))
        .expect("reset the hub");
    hub
}

/// A SAS token valid for an hour: a device's (`module` None) or module's, or with `policy` the
/// hub-level token of a shared access policy.
pub fn device_token(module: Option<&str>) -> String {
    let key = SharedAccessKey::from_base64(KEY).expect("fixture key");
    let resource = match module {
        Some(module) => module_resource(FuzzHub::HOSTNAME, DEVICE, module),
        None => device_resource(FuzzHub::HOSTNAME, DEVICE),
    };
    let expiry = iothub_twin::auth::unix_time_now() + 3600;
    SasToken::generate(&resource, &key, None, expiry)
        .expose_secret()
        .to_owned()
}

/// A hub-level SAS token of the shared access policy `name`, valid for an hour.
pub fn policy_token(hub: &FuzzHub, name: &str) -> String {
    let policy = hub.hub().policies().get(name).expect("a built-in policy");
    let expiry = iothub_twin::auth::unix_time_now() + 3600;
    SasToken::generate(FuzzHub::HOSTNAME, &policy.primary_key, Some(name), expiry)
        .expose_secret()
        .to_owned()
}
