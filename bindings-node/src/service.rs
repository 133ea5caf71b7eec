//! `ServiceClient`: the core service client (twins, registry, queries over HTTPS), signed with
//! a connection string's key or by a JS token credential (`getToken`), called through a weak
//! `ThreadsafeFunction` so a registry never keeps the process alive by itself.

use iothub_twin::ServiceClient;
use iothub_twin::service::{Device, Module, QueryItemType, QueryOptions, TokenProvider};
use napi::bindgen_prelude::Promise;
use napi::threadsafe_function::ThreadsafeFunction;
use napi_derive::napi;
use serde::Serialize;
use serde_json::{Value, json};

use crate::error::{NapiResultExt as _, invalid_argument};
use crate::options::ServiceOptions;

/// Scope of IoT Hub's Microsoft Entra tokens.
const IOTHUB_SCOPE: &str = "https://iothubs.azure.net/.default";

/// A client for IoT Hub's service REST API.
#[napi(js_name = "ServiceClient")]
#[derive(Debug)]
pub struct JsServiceClient {
    inner: ServiceClient,
}

/// A JS `(scope) => Promise<string>` returning an access token, as `Bearer <token>`.
struct JsTokenProvider {
    get_token: ThreadsafeFunction<String, Promise<String>, String, napi::Status, false, true>,
}

impl TokenProvider for JsTokenProvider {
    async fn token(&self) -> iothub_twin::Result<String> {
        let failed = |e: napi::Error| iothub_twin::Error::Authentication {
            reason: format!("the token credential failed: {}", e.reason),
        };
        let promise = self
            .get_token
            .call_async(IOTHUB_SCOPE.to_owned())
            .await
            .map_err(failed)?;
        let token = promise.await.map_err(failed)?;
        Ok(format!("Bearer {token}"))
    }
}

fn to_json(value: impl Serialize) -> napi::Result<Value> {
    serde_json::to_value(value).map_err(|e| invalid_argument(e.to_string()))
}

#[napi]
impl JsServiceClient {
    /// A client for the hub of a service connection string (`HostName` may carry a port).
    #[napi(factory)]
    pub fn from_connection_string(
        connection_string: String,
        options: Option<ServiceOptions>,
    ) -> napi::Result<Self> {
        let options = options.unwrap_or_default().into_core()?;
        let inner = ServiceClient::from_connection_string(&connection_string, options).napi()?;
        Ok(Self { inner })
    }

    /// A client for hub `hostName` that signs every request with `getToken(scope)`'s token
    /// (`scope` is `https://iothubs.azure.net/.default`), e.g. a Microsoft Entra credential.
    #[napi(factory)]
    pub fn from_token_provider(
        host_name: String,
        get_token: ThreadsafeFunction<String, Promise<String>, String, napi::Status, false, true>,
        options: Option<ServiceOptions>,
    ) -> napi::Result<Self> {
        let options = options.unwrap_or_default().into_core()?;
        let provider = JsTokenProvider { get_token };
        let inner = ServiceClient::with_token_provider(&host_name, provider, options).napi()?;
        Ok(Self { inner })
    }

    /// `GET /twins/{deviceId}`.
    #[napi]
    pub async fn get_twin(&self, device_id: String) -> napi::Result<Value> {
        to_json(self.inner.get_twin(&device_id).await.napi()?)
    }

    /// `GET /twins/{deviceId}/modules/{moduleId}`.
    #[napi]
    pub async fn get_module_twin(
        &self,
        device_id: String,
        module_id: String,
    ) -> napi::Result<Value> {
        to_json(
            self.inner
                .get_module_twin(&device_id, &module_id)
                .await
                .napi()?,
        )
    }

    /// `PATCH /twins/{deviceId}` with `If-Match: etag` (`*` when absent); the updated twin.
    #[napi]
    pub async fn update_twin(
        &self,
        device_id: String,
        patch: Value,
        etag: Option<String>,
    ) -> napi::Result<Value> {
        let twin = self
            .inner
            .update_twin(&device_id, &patch, etag.as_deref())
            .await
            .napi()?;
        to_json(twin)
    }

    /// `PATCH /twins/{deviceId}/modules/{moduleId}`.
    #[napi]
    pub async fn update_module_twin(
        &self,
        device_id: String,
        module_id: String,
        patch: Value,
        etag: Option<String>,
    ) -> napi::Result<Value> {
        let twin = self
            .inner
            .update_module_twin(&device_id, &module_id, &patch, etag.as_deref())
            .await
            .napi()?;
        to_json(twin)
    }

    /// `PUT /twins/{deviceId}`: replaces tags and desired properties.
    #[napi]
    pub async fn replace_twin(
        &self,
        device_id: String,
        twin: Value,
        etag: Option<String>,
    ) -> napi::Result<Value> {
        let twin = self
            .inner
            .replace_twin(&device_id, &twin, etag.as_deref())
            .await
            .napi()?;
        to_json(twin)
    }

    /// `PUT /twins/{deviceId}/modules/{moduleId}`.
    #[napi]
    pub async fn replace_module_twin(
        &self,
        device_id: String,
        module_id: String,
        twin: Value,
        etag: Option<String>,
    ) -> napi::Result<Value> {
        let twin = self
            .inner
            .replace_module_twin(&device_id, &module_id, &twin, etag.as_deref())
            .await
            .napi()?;
        to_json(twin)
    }

    /// `PUT /devices/{deviceId}`: creates a device (`{deviceId, authentication?, status?}`,
    /// SAS keys generated by the hub when none are given).
    #[napi]
    pub async fn create_device(&self, device: Value) -> napi::Result<Value> {
        let device: Device = serde_json::from_value(device)
            .map_err(|e| invalid_argument(format!("not a device description: {e}")))?;
        to_json(self.inner.create_device(&device).await.napi()?)
    }

    /// `PUT /devices/{deviceId}/modules/{moduleId}`: creates a module (`{deviceId, moduleId,
    /// authentication?}`).
    #[napi]
    pub async fn create_module(&self, module: Value) -> napi::Result<Value> {
        let module: Module = serde_json::from_value(module)
            .map_err(|e| invalid_argument(format!("not a module description: {e}")))?;
        to_json(self.inner.create_module(&module).await.napi()?)
    }

    /// `GET /devices/{deviceId}`.
    #[napi]
    pub async fn get_device(&self, device_id: String) -> napi::Result<Value> {
        to_json(self.inner.get_device(&device_id).await.napi()?)
    }

    /// `DELETE /devices/{deviceId}` with `If-Match: etag` (`*` when absent).
    #[napi]
    pub async fn delete_device(&self, device_id: String, etag: Option<String>) -> napi::Result<()> {
        self.inner
            .delete_device(&device_id, etag.as_deref())
            .await
            .napi()
    }

    /// One page of a query: `{ items, type, continuationToken }` (`continuationToken` is null
    /// on the last page).
    #[napi]
    pub async fn query(
        &self,
        sql: String,
        page_size: Option<u32>,
        continuation_token: Option<String>,
    ) -> napi::Result<Value> {
        let options = QueryOptions {
            page_size,
            continuation: continuation_token,
        };
        let page = self.inner.query_page(&sql, &options).await.napi()?;
        let item_type = page.item_type.map(|t| match t {
            QueryItemType::Twin => "twin".to_owned(),
            QueryItemType::DeviceJob => "deviceJob".to_owned(),
            QueryItemType::JobResponse => "jobResponse".to_owned(),
            QueryItemType::Raw => "raw".to_owned(),
            QueryItemType::Other(other) => other,
            other => format!("{other:?}"),
        });
        let items: Vec<Value> = page.items.into_iter().map(|i| i.into_json()).collect();
        Ok(json!({
            "items": items,
            "type": item_type,
            "continuationToken": page.continuation,
        }))
    }
}
