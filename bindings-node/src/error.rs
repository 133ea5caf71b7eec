//! Core errors as JS errors (STYLE.md convention 6: one mapping file per binding).
//!
//! Every async method settles its promise through [`settle`], whose last step runs on the JS
//! thread: a core error becomes a JS `Error` with `name` (the official class name), `code`
//! (the stable code), and, when the hub answered, `statusCode`, `errorCode`, `errorCodeNumber`
//! and `trackingId`, all from the core's one table ([`iothub_twin::ErrorKind`]). The facade only
//! gives it the prototype of its class of that name. Messages never hold secrets (the core
//! guarantees it).

use std::future::Future;

use iothub_twin::Error;
use napi::bindgen_prelude::{PromiseRaw, ToNapiValue};
use napi::{Env, JsValue as _};

/// The JS error for `error`, built on the JS thread.
fn js_error(env: &Env, error: &Error) -> napi::Error {
    let build = || -> napi::Result<napi::Error> {
        let kind = error.kind();
        let mut object = env.create_error(napi::Error::from_reason(error.to_string()))?;
        object.set("name", kind.node_class())?;
        object.set("code", kind.code())?;
        // Absent facts stay absent (`undefined`), as on the official SDK's errors.
        if let Some(status) = error.status() {
            object.set("statusCode", status)?;
        }
        if let Some(name) = error.error_code_name() {
            object.set("errorCode", name)?;
        }
        if let Some(number) = error.error_code_number() {
            object.set("errorCodeNumber", number)?;
        }
        if let Some(tracking_id) = error.tracking_id() {
            object.set("trackingId", tracking_id)?;
        }
        object.set("retryable", error.is_retryable())?;
        Ok(napi::Error::from(object.to_unknown()))
    };
    build().unwrap_or_else(|failure| failure)
}

/// A promise of `future`'s answer converted by `convert` on the JS thread, or of its error as
/// a JS error with the core's code and names.
pub(crate) fn settle<'env, T, V, F, C>(
    env: &'env Env,
    future: F,
    convert: C,
) -> napi::Result<PromiseRaw<'env, V>>
where
    T: Send + 'static,
    V: ToNapiValue + 'env,
    F: Future<Output = iothub_twin::Result<T>> + Send + 'static,
    C: FnOnce(T) -> iothub_twin::Result<V> + 'static,
{
    env.spawn_future_with_callback(async move { Ok(future.await) }, move |env, answer| {
        answer
            .and_then(convert)
            .map_err(|error| js_error(env, &error))
    })
}

/// A document as JSON for JS.
pub(crate) fn to_json(value: impl serde::Serialize) -> iothub_twin::Result<serde_json::Value> {
    serde_json::to_value(value).map_err(|e| iothub_twin::Error::Protocol {
        reason: e.to_string(),
    })
}

/// A synchronous call's core error, thrown as the same JS error.
pub(crate) fn throw<T>(env: &Env, result: iothub_twin::Result<T>) -> napi::Result<T> {
    result.map_err(|error| js_error(env, &error))
}

/// A Promise settled with a call on a clone of `handle` (a core client), its answer as JSON and
/// its error through the core's error table: the whole body of a binding method.
macro_rules! call {
    ($handle:expr, $env:ident, |$client:ident| $body:expr) => {{
        let $client = $handle.clone();
        $crate::error::settle($env, async move { $body.await }, $crate::error::to_json)
    }};
}
pub(crate) use call;
