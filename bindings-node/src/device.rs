//! `DeviceClient`: the core device client over MQTT, its desired-property patches and
//! connection states delivered to JS through strong `ThreadsafeFunction`s (STYLE.md "Event
//! delivery"): while the client is open they keep the process alive, like an open socket; `close`
//! ends the core's streams, the forwarding tasks end and drop them, and the process may exit.

use futures::StreamExt as _;
use iothub_twin::DeviceClient;
use iothub_twin::auth::{HostPort, SasToken};
use iothub_twin::device::{ConnectionState, DeviceCredential, DeviceIdentity};
use napi::bindgen_prelude::spawn;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use serde_json::{Value, json};

use crate::error::{NapiResultExt as _, invalid_argument, to_napi};
use crate::options::DeviceOptions;

/// A connected device (or module) client. Made by `connectDevice` or
/// `connectDeviceWithSharedAccessSignature`.
#[napi(js_name = "DeviceClient")]
#[derive(Debug)]
pub struct JsDeviceClient {
    inner: DeviceClient,
}

/// Connects with a device or module connection string (`SharedAccessKey`,
/// `SharedAccessSignature` or `x509=true` with `cert`/`key` in the options); resolves once
/// connected and subscribed.
#[napi]
pub async fn connect_device(
    connection_string: String,
    options: Option<DeviceOptions>,
) -> napi::Result<JsDeviceClient> {
    let options = options.unwrap_or_default().into_core()?;
    let inner = DeviceClient::connect(&connection_string, options)
        .await
        .napi()?;
    Ok(JsDeviceClient { inner })
}

/// Connects with a device or module SAS token (`SharedAccessSignature sr=<host>/devices/<id>…`);
/// the identity comes from the token's `sr`. The token is not renewable: the connection ends
/// when it expires.
#[napi]
pub async fn connect_device_with_shared_access_signature(
    shared_access_signature: String,
    options: Option<DeviceOptions>,
) -> napi::Result<JsDeviceClient> {
    let options = options.unwrap_or_default().into_core()?;
    let token = SasToken::parse(&shared_access_signature)
        .map_err(|e| invalid_argument(format!("not a SAS token: {e}")))?;
    let identity = identity_of(&token.resource())?;
    let inner = DeviceClient::connect_with(identity, DeviceCredential::Token(token), options)
        .await
        .napi()?;
    Ok(JsDeviceClient { inner })
}

/// `host/devices/id[/modules/mid]` → the identity it names.
fn identity_of(resource: &str) -> napi::Result<DeviceIdentity> {
    let bad = || {
        invalid_argument("the SAS token's sr is not <host>/devices/<deviceId>[/modules/<moduleId>]")
    };
    let (host, rest) = resource.split_once("/devices/").ok_or_else(bad)?;
    let (device_id, module_id) = match rest.split_once("/modules/") {
        Some((device, module)) => (device, Some(module.to_owned())),
        None => (rest, None),
    };
    if host.is_empty() || device_id.is_empty() || module_id.as_deref() == Some("") {
        return Err(bad());
    }
    Ok(DeviceIdentity {
        host_name: host.parse::<HostPort>().map_err(to_napi)?,
        device_id: device_id.to_owned(),
        module_id,
        gateway_host_name: None,
    })
}

fn state_json(state: ConnectionState) -> Value {
    match state {
        ConnectionState::Connecting => json!({ "state": "connecting" }),
        ConnectionState::Connected => json!({ "state": "connected" }),
        ConnectionState::Disconnected { reason } => {
            json!({ "state": "disconnected", "reason": reason })
        }
        ConnectionState::Failed { reason } => json!({ "state": "failed", "reason": reason }),
        ConnectionState::Closed => json!({ "state": "closed" }),
        other => json!({ "state": format!("{other:?}") }),
    }
}

#[napi]
impl JsDeviceClient {
    /// The twin's desired and reported properties: `{ desired, reported }`, each with
    /// `$version`.
    #[napi]
    pub async fn get_twin(&self) -> napi::Result<Value> {
        let properties = self.inner.get_twin().await.napi()?;
        serde_json::to_value(properties).map_err(|e| invalid_argument(e.to_string()))
    }

    /// Merges `patch` into the reported properties (checked against the twin limits first);
    /// resolves to the new reported `$version`.
    #[napi]
    pub async fn patch_twin_reported_properties(&self, patch: Value) -> napi::Result<f64> {
        let version = self
            .inner
            .patch_twin_reported_properties(&patch)
            .await
            .napi()?;
        // Versions stay far below 2^53.
        Ok(version as f64)
    }

    /// Calls `onDesired(patch)` for every desired-property patch (with `$version`; after a
    /// reconnect, one patch with what changed meanwhile) and `onState({state, reason?})` for
    /// every connection-state change, until the client closes. Both keep the process alive
    /// until then.
    #[napi]
    pub fn watch(
        &self,
        on_desired: ThreadsafeFunction<Value, (), Value, napi::Status, false>,
        on_state: ThreadsafeFunction<Value, (), Value, napi::Status, false>,
    ) {
        let mut desired = self.inner.desired_property_updates();
        let mut states = self.inner.connection_state_updates();
        spawn(async move {
            while let Some(patch) = desired.next().await {
                on_desired.call(patch.to_json(), ThreadsafeFunctionCallMode::NonBlocking);
            }
        });
        spawn(async move {
            while let Some(state) = states.next().await {
                on_state.call(state_json(state), ThreadsafeFunctionCallMode::NonBlocking);
            }
        });
    }

    /// The current connection state, `{state, reason?}`.
    #[napi(getter)]
    pub fn connection_state(&self) -> Value {
        state_json(self.inner.connection_state())
    }

    /// Disconnects: pending calls fail with `ERR_CLIENT_CLOSED`, the `watch` callbacks are
    /// released.
    #[napi]
    pub async fn close(&self) {
        self.inner.close().await;
    }
}
