//! `DeviceClient`: the core device client over MQTT, its desired-property patches and
//! connection states delivered to JS through strong `ThreadsafeFunction`s (STYLE.md "Event
//! delivery"): while the client is open they keep the process alive, like an open socket; `close`
//! ends the core's streams, the forwarding tasks end and drop them, and the process may exit.

use futures::StreamExt as _;
use iothub_twin::DeviceClient;
use iothub_twin::device::{ConnectionState, DesiredPatch, DeviceCredential};
use iothub_twin::twin::JsonObject;
use napi::Env;
use napi::bindgen_prelude::{PromiseRaw, spawn};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use serde_json::Value;

use crate::error::{settle, throw, to_json};
use crate::options::DeviceOptions;

/// A connected device (or module) client. Made by `connectDevice` or
/// `connectDeviceWithSharedAccessSignature`.
#[napi(js_name = "DeviceClient")]
#[derive(Debug)]
pub struct JsDeviceClient {
    inner: DeviceClient,
}

/// A connection state: `state` is `connecting`, `connected`, `disconnected`, `failed` or
/// `closed`; a failed state says what calls now fail with (`code`, `name`).
#[napi(object, js_name = "ConnectionState")]
#[derive(Debug)]
pub struct JsConnectionState {
    /// The state's name.
    pub state: String,
    /// Why the connection is not up (`disconnected`, `failed`).
    pub reason: Option<String>,
    /// For `failed`: the stable code calls now fail with.
    pub code: Option<String>,
    /// For `failed`: the official error class name calls now fail with.
    pub name: Option<String>,
}

impl From<ConnectionState> for JsConnectionState {
    fn from(state: ConnectionState) -> Self {
        let kind = match &state {
            ConnectionState::Failed { kind, .. } => Some(*kind),
            _ => None,
        };
        Self {
            state: state.as_str().to_owned(),
            reason: state.reason().map(str::to_owned),
            code: kind.map(|k| k.code().to_owned()),
            name: kind.map(|k| k.node_class().to_owned()),
        }
    }
}

/// A desired-property change: `patch` (with `$version`) and the whole desired document after
/// it (`desired`, with `$version`).
#[napi(object, js_name = "DesiredChange")]
#[derive(Debug)]
pub struct JsDesiredPatch {
    /// The change, with `$version`.
    pub patch: Value,
    /// The desired document after it, with `$version`.
    pub desired: Value,
}

impl From<DesiredPatch> for JsDesiredPatch {
    fn from(change: DesiredPatch) -> Self {
        Self {
            patch: change.to_json(),
            desired: change.document_json(),
        }
    }
}

fn connect<'env>(
    env: &'env Env,
    credential: DeviceCredential,
    options: Option<DeviceOptions>,
) -> napi::Result<PromiseRaw<'env, JsDeviceClient>> {
    let options = throw(env, options.unwrap_or_default().into_core())?;
    let connecting = DeviceClient::connect_with(credential, options);
    settle(env, connecting, |inner| Ok(JsDeviceClient { inner }))
}

/// Connects with a device or module connection string (`SharedAccessKey`,
/// `SharedAccessSignature` or `x509=true` with `cert`/`key` in the options); resolves once
/// connected and subscribed.
#[napi(ts_return_type = "Promise<DeviceClient>")]
pub fn connect_device<'env>(
    env: &'env Env,
    connection_string: String,
    options: Option<DeviceOptions>,
) -> napi::Result<PromiseRaw<'env, JsDeviceClient>> {
    connect(
        env,
        DeviceCredential::ConnectionString(connection_string),
        options,
    )
}

/// Connects with a device or module SAS token (`SharedAccessSignature sr=<host>/devices/<id>…`);
/// the identity comes from the token's `sr`. The token is not renewable: the connection ends
/// when it expires.
#[napi(ts_return_type = "Promise<DeviceClient>")]
pub fn connect_device_with_shared_access_signature<'env>(
    env: &'env Env,
    shared_access_signature: String,
    options: Option<DeviceOptions>,
) -> napi::Result<PromiseRaw<'env, JsDeviceClient>> {
    connect(
        env,
        DeviceCredential::SasToken(shared_access_signature),
        options,
    )
}

/// `patch` merged into `document` (RFC 7386, as IoT Hub applies twin patches), by the core.
#[napi(
    ts_args_type = "document: object, patch: object",
    ts_return_type = "any"
)]
pub fn merge_patch(document: JsonObject, patch: JsonObject) -> JsonObject {
    let mut merged = document;
    iothub_twin::twin::apply_patch(&mut merged, &patch);
    merged
}

#[napi]
impl JsDeviceClient {
    /// The twin's desired and reported properties: `{ desired, reported }`, each with
    /// `$version`.
    #[napi(ts_return_type = "Promise<{ desired: any, reported: any }>")]
    pub fn get_twin<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, Value>> {
        let client = self.inner.clone();
        settle(env, async move { client.get_twin().await }, to_json)
    }

    /// Merges `patch` into the reported properties (checked against the twin limits first);
    /// resolves to the new reported `$version`.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn patch_twin_reported_properties<'env>(
        &self,
        env: &'env Env,
        patch: Value,
    ) -> napi::Result<PromiseRaw<'env, f64>> {
        let client = self.inner.clone();
        let patching = async move { client.patch_twin_reported_properties(&patch).await };
        // Versions stay far below 2^53.
        settle(env, patching, |version| Ok(version as f64))
    }

    /// Replaces the SAS token of a client made from one and reconnects with it at once,
    /// keeping the desired subscription (the core checks the token).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn update_sas_token<'env>(
        &self,
        env: &'env Env,
        token: String,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let client = self.inner.clone();
        settle(
            env,
            async move { client.update_sas_token(&token).await },
            Ok,
        )
    }

    /// Calls `onDesired({patch, desired})` for every desired-property change (from `connect`
    /// on: changes before the first `watch` are held for it; after a reconnect, one patch with
    /// what changed meanwhile) and `onState(state)` for every connection-state change, until
    /// the client closes. Both keep the process alive until then.
    #[napi]
    pub fn watch(
        &self,
        on_desired: ThreadsafeFunction<JsDesiredPatch, (), JsDesiredPatch, napi::Status, false>,
        on_state: ThreadsafeFunction<JsConnectionState, (), JsConnectionState, napi::Status, false>,
    ) {
        let mut desired = self.inner.desired_property_updates();
        let mut states = self.inner.connection_state_updates();
        spawn(async move {
            while let Some(change) = desired.next().await {
                on_desired.call(change.into(), ThreadsafeFunctionCallMode::NonBlocking);
            }
        });
        spawn(async move {
            while let Some(state) = states.next().await {
                on_state.call(state.into(), ThreadsafeFunctionCallMode::NonBlocking);
            }
        });
    }

    /// The current connection state.
    #[napi(getter)]
    pub fn connection_state(&self) -> JsConnectionState {
        self.inner.connection_state().into()
    }

    /// Disconnects: pending calls fail with `ERR_CLIENT_CLOSED`, the `watch` callbacks are
    /// released.
    #[napi]
    pub async fn close(&self) {
        self.inner.close().await;
    }
}
