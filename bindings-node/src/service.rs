//! `ServiceClient`: the core service client (twins, registry, queries, configurations and
//! statistics over HTTPS), signed with
//! a connection string's key or by a JS token credential (`getToken`), called through a weak
//! `ThreadsafeFunction` so a registry never keeps the process alive by itself.

use iothub_twin::service::{
    Configuration, ConfigurationQueriesTestInput, Device, Module, QueryOptions, TokenProvider,
};
use iothub_twin::{Error, ServiceClient};
use napi::Env;
use napi::bindgen_prelude::{Promise, PromiseRaw};
use napi::threadsafe_function::ThreadsafeFunction;
use napi_derive::napi;
use serde_json::Value;

use crate::error::{call, settle, throw};
use crate::options::ServiceOptions;

/// Scope of IoT Hub's Microsoft Entra tokens.
const IOTHUB_SCOPE: &str = "https://iothubs.azure.net/.default";

/// A client for IoT Hub's service REST API.
#[napi(js_name = "ServiceClient")]
#[derive(Debug)]
pub struct JsServiceClient {
    pub(crate) inner: ServiceClient,
}

type GetToken = ThreadsafeFunction<String, Promise<String>, String, napi::Status, false, true>;

/// A JS `(scope) => Promise<string>` returning an access token, as `Bearer <token>`.
struct JsTokenProvider {
    get_token: GetToken,
}

impl TokenProvider for JsTokenProvider {
    async fn token(&self) -> iothub_twin::Result<String> {
        let failed = |e: napi::Error| {
            Error::authentication(format!("the token credential failed: {}", e.reason))
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

/// A JSON argument as the core type it describes.
pub(crate) fn parse<T: serde::de::DeserializeOwned>(
    value: Value,
    what: &str,
) -> iothub_twin::Result<T> {
    serde_json::from_value(value)
        .map_err(|e| Error::invalid_argument(format!("not a {what} description: {e}")))
}

type Answer<'env> = napi::Result<PromiseRaw<'env, Value>>;

#[napi]
impl JsServiceClient {
    /// A client for the hub of a service connection string (`HostName` may carry a port).
    #[napi(factory)]
    pub fn from_connection_string(
        env: &Env,
        connection_string: String,
        options: Option<ServiceOptions>,
    ) -> napi::Result<Self> {
        let made = options
            .unwrap_or_default()
            .into_core()
            .and_then(|options| ServiceClient::from_connection_string(&connection_string, options));
        throw(env, made).map(|inner| Self { inner })
    }

    /// A client for a service SAS token (`SharedAccessSignature sr=<host>&…&skn=<policy>`); the
    /// hub is its `sr`.
    #[napi(factory)]
    pub fn from_shared_access_signature(
        env: &Env,
        shared_access_signature: String,
        options: Option<ServiceOptions>,
    ) -> napi::Result<Self> {
        let made = options.unwrap_or_default().into_core().and_then(|options| {
            ServiceClient::from_shared_access_signature(&shared_access_signature, options)
        });
        throw(env, made).map(|inner| Self { inner })
    }

    /// A client for hub `hostName` that signs every request with `getToken(scope)`'s token
    /// (`scope` is `https://iothubs.azure.net/.default`), e.g. a Microsoft Entra credential.
    #[napi(factory)]
    pub fn from_token_provider(
        env: &Env,
        host_name: String,
        get_token: ThreadsafeFunction<String, Promise<String>, String, napi::Status, false, true>,
        options: Option<ServiceOptions>,
    ) -> napi::Result<Self> {
        let provider = JsTokenProvider { get_token };
        let made = options
            .unwrap_or_default()
            .into_core()
            .and_then(|options| ServiceClient::with_token_provider(&host_name, provider, options));
        throw(env, made).map(|inner| Self { inner })
    }

    /// `GET /twins/{deviceId}`.
    #[napi(ts_return_type = "Promise<any>")]
    pub fn get_twin<'env>(&self, env: &'env Env, device_id: String) -> Answer<'env> {
        call!(self.inner, env, |c| c.get_twin(&device_id))
    }

    /// `GET /twins/{deviceId}/modules/{moduleId}`.
    #[napi(ts_return_type = "Promise<any>")]
    pub fn get_module_twin<'env>(
        &self,
        env: &'env Env,
        device_id: String,
        module_id: String,
    ) -> Answer<'env> {
        call!(self.inner, env, |c| c
            .get_module_twin(&device_id, &module_id))
    }

    /// `PATCH /twins/{deviceId}` with `If-Match: etag` (`*` when absent); the updated twin.
    #[napi(ts_return_type = "Promise<any>")]
    pub fn update_twin<'env>(
        &self,
        env: &'env Env,
        device_id: String,
        patch: Value,
        etag: Option<String>,
    ) -> Answer<'env> {
        call!(self.inner, env, |c| c.update_twin(
            &device_id,
            &patch,
            etag.as_deref()
        ))
    }

    /// `PATCH /twins/{deviceId}/modules/{moduleId}`.
    #[napi(ts_return_type = "Promise<any>")]
    pub fn update_module_twin<'env>(
        &self,
        env: &'env Env,
        device_id: String,
        module_id: String,
        patch: Value,
        etag: Option<String>,
    ) -> Answer<'env> {
        call!(self.inner, env, |c| c.update_module_twin(
            &device_id,
            &module_id,
            &patch,
            etag.as_deref()
        ))
    }

    /// `PUT /twins/{deviceId}`: replaces tags and desired properties.
    #[napi(ts_return_type = "Promise<any>")]
    pub fn replace_twin<'env>(
        &self,
        env: &'env Env,
        device_id: String,
        twin: Value,
        etag: Option<String>,
    ) -> Answer<'env> {
        call!(self.inner, env, |c| c.replace_twin(
            &device_id,
            &twin,
            etag.as_deref()
        ))
    }

    /// `PUT /twins/{deviceId}/modules/{moduleId}`.
    #[napi(ts_return_type = "Promise<any>")]
    pub fn replace_module_twin<'env>(
        &self,
        env: &'env Env,
        device_id: String,
        module_id: String,
        twin: Value,
        etag: Option<String>,
    ) -> Answer<'env> {
        call!(self.inner, env, |c| c.replace_module_twin(
            &device_id,
            &module_id,
            &twin,
            etag.as_deref()
        ))
    }

    /// `PUT /devices/{deviceId}`: creates a device (`{deviceId, authentication?, status?}`,
    /// SAS keys generated by the hub when none are given).
    #[napi(ts_return_type = "Promise<any>")]
    pub fn create_device<'env>(&self, env: &'env Env, device: Value) -> Answer<'env> {
        let device: Device = throw(env, parse(device, "device"))?;
        call!(self.inner, env, |c| c.create_device(&device))
    }

    /// `PUT /devices/{deviceId}/modules/{moduleId}`: creates a module (`{deviceId, moduleId,
    /// authentication?}`).
    #[napi(ts_return_type = "Promise<any>")]
    pub fn create_module<'env>(&self, env: &'env Env, module: Value) -> Answer<'env> {
        let module: Module = throw(env, parse(module, "module"))?;
        call!(self.inner, env, |c| c.create_module(&module))
    }

    /// `GET /devices/{deviceId}`.
    #[napi(ts_return_type = "Promise<any>")]
    pub fn get_device<'env>(&self, env: &'env Env, device_id: String) -> Answer<'env> {
        call!(self.inner, env, |c| c.get_device(&device_id))
    }

    /// `DELETE /devices/{deviceId}` with `If-Match: etag` (`*` when absent).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn delete_device<'env>(
        &self,
        env: &'env Env,
        device_id: String,
        etag: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let client = self.inner.clone();
        let deleting = async move { client.delete_device(&device_id, etag.as_deref()).await };
        settle(env, deleting, Ok)
    }

    /// One page of a query: `{ items, type, continuationToken }` (`continuationToken` is null
    /// on the last page).
    #[napi(
        ts_return_type = "Promise<{ items: any[], type: string | null, continuationToken: string | null }>"
    )]
    pub fn query<'env>(
        &self,
        env: &'env Env,
        sql: String,
        page_size: Option<u32>,
        continuation_token: Option<String>,
    ) -> Answer<'env> {
        let options = QueryOptions {
            page_size,
            continuation: continuation_token,
        };
        call!(self.inner, env, |c| c.query_page(&sql, &options))
    }

    /// `PUT /devices/{deviceId}` with `If-Match: etag` (`*` when absent): updates a device.
    #[napi(ts_return_type = "Promise<any>")]
    pub fn update_device<'env>(
        &self,
        env: &'env Env,
        device: Value,
        etag: Option<String>,
    ) -> Answer<'env> {
        let device: Device = throw(env, parse(device, "device"))?;
        call!(self.inner, env, |c| c
            .update_device(&device, etag.as_deref()))
    }

    /// `GET /devices?top=`: device identities.
    #[napi(ts_return_type = "Promise<any[]>")]
    pub fn list_devices<'env>(&self, env: &'env Env, top: Option<u32>) -> Answer<'env> {
        call!(self.inner, env, |c| c.list_devices(top))
    }

    /// `GET /devices/{deviceId}/modules/{moduleId}`.
    #[napi(ts_return_type = "Promise<any>")]
    pub fn get_module<'env>(
        &self,
        env: &'env Env,
        device_id: String,
        module_id: String,
    ) -> Answer<'env> {
        call!(self.inner, env, |c| c.get_module(&device_id, &module_id))
    }

    /// `PUT /devices/{deviceId}/modules/{moduleId}` with `If-Match: etag`: updates a module.
    #[napi(ts_return_type = "Promise<any>")]
    pub fn update_module<'env>(
        &self,
        env: &'env Env,
        module: Value,
        etag: Option<String>,
    ) -> Answer<'env> {
        let module: Module = throw(env, parse(module, "module"))?;
        call!(self.inner, env, |c| c
            .update_module(&module, etag.as_deref()))
    }

    /// `DELETE /devices/{deviceId}/modules/{moduleId}` with `If-Match: etag` (`*` when absent).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn delete_module<'env>(
        &self,
        env: &'env Env,
        device_id: String,
        module_id: String,
        etag: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let client = self.inner.clone();
        let deleting = async move {
            client
                .delete_module(&device_id, &module_id, etag.as_deref())
                .await
        };
        settle(env, deleting, Ok)
    }

    /// `GET /devices/{deviceId}/modules`.
    #[napi(ts_return_type = "Promise<any[]>")]
    pub fn list_modules<'env>(&self, env: &'env Env, device_id: String) -> Answer<'env> {
        call!(self.inner, env, |c| c.list_modules(&device_id))
    }

    /// `PUT /configurations/{id}`: creates a configuration.
    #[napi(ts_return_type = "Promise<any>")]
    pub fn create_configuration<'env>(&self, env: &'env Env, configuration: Value) -> Answer<'env> {
        let configuration: Configuration = throw(env, parse(configuration, "configuration"))?;
        call!(self.inner, env, |c| c.create_configuration(&configuration))
    }

    /// `GET /configurations/{id}`.
    #[napi(ts_return_type = "Promise<any>")]
    pub fn get_configuration<'env>(
        &self,
        env: &'env Env,
        configuration_id: String,
    ) -> Answer<'env> {
        call!(self.inner, env, |c| c.get_configuration(&configuration_id))
    }

    /// `GET /configurations?top=N`.
    #[napi(ts_return_type = "Promise<any[]>")]
    pub fn get_configurations<'env>(&self, env: &'env Env, top: Option<u32>) -> Answer<'env> {
        call!(self.inner, env, |c| c.get_configurations(top))
    }

    /// `PUT /configurations/{id}` with `If-Match: etag` (`*` when absent).
    #[napi(ts_return_type = "Promise<any>")]
    pub fn update_configuration<'env>(
        &self,
        env: &'env Env,
        configuration: Value,
        etag: Option<String>,
    ) -> Answer<'env> {
        let configuration: Configuration = throw(env, parse(configuration, "configuration"))?;
        call!(self.inner, env, |c| c
            .update_configuration(&configuration, etag.as_deref()))
    }

    /// `DELETE /configurations/{id}` with `If-Match: etag` (`*` when absent).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn delete_configuration<'env>(
        &self,
        env: &'env Env,
        configuration_id: String,
        etag: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let client = self.inner.clone();
        let deleting = async move {
            client
                .delete_configuration(&configuration_id, etag.as_deref())
                .await
        };
        settle(env, deleting, Ok)
    }

    /// `POST /configurations/testQueries`.
    #[napi(ts_return_type = "Promise<any>")]
    pub fn test_configuration_queries<'env>(&self, env: &'env Env, input: Value) -> Answer<'env> {
        let input: ConfigurationQueriesTestInput = throw(env, parse(input, "queries test input"))?;
        call!(self.inner, env, |c| c.test_configuration_queries(&input))
    }

    /// `GET /statistics/devices`.
    #[napi(ts_return_type = "Promise<any>")]
    pub fn get_device_registry_statistics<'env>(&self, env: &'env Env) -> Answer<'env> {
        call!(self.inner, env, |c| c.get_device_registry_statistics())
    }
}
