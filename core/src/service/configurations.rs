//! Automatic device configurations (`/configurations`) and registry statistics
//! (`/statistics`), as the official service SDKs call them.
//!
//! Create is `PUT` without `If-Match` (409 when the id exists); update is `PUT` with `If-Match`
//! (the etag, or `"*"`), and IoT Hub lets it change only labels, metrics and priority; delete
//! sends `If-Match` the same way and expects 204.

use reqwest::Method;

use super::client::{Call, path};
use super::{
    Configuration, ConfigurationQueriesTestInput, ConfigurationQueriesTestResponse,
    RegistryStatistics, ServiceClient, ServiceStatistics,
};
use crate::{Error, Result};

impl ServiceClient {
    /// `PUT /configurations/{id}`: creates `configuration` (`schemaVersion` `"1.0"` when left
    /// out, as the SDKs send it).
    pub async fn create_configuration(
        &self,
        configuration: &Configuration,
    ) -> Result<Configuration> {
        let call = Call::new(
            "create_configuration",
            Method::PUT,
            configuration_path(configuration)?,
        )
        .json(&with_schema_version(configuration))?;
        self.execute_json(&call).await
    }

    /// `GET /configurations/{id}`, its metrics evaluated by the hub.
    pub async fn get_configuration(&self, configuration_id: &str) -> Result<Configuration> {
        let call = Call::new(
            "get_configuration",
            Method::GET,
            path(&["configurations", configuration_id]),
        );
        self.execute_json(&call).await
    }

    /// `GET /configurations?top=N`: up to `top` configurations (IoT Hub returns at most 20).
    pub async fn get_configurations(&self, top: Option<u32>) -> Result<Vec<Configuration>> {
        let mut call = Call::new(
            "get_configurations",
            Method::GET,
            "/configurations".to_owned(),
        );
        call.query = top.map(|n| format!("top={n}"));
        self.execute_json(&call).await
    }

    /// `PUT /configurations/{id}` with `If-Match`: with `etag` only if unchanged since; `None`
    /// = unconditionally.
    pub async fn update_configuration(
        &self,
        configuration: &Configuration,
        etag: Option<&str>,
    ) -> Result<Configuration> {
        let call = Call::new(
            "update_configuration",
            Method::PUT,
            configuration_path(configuration)?,
        )
        .json(&with_schema_version(configuration))?
        .if_match(etag)?;
        self.execute_json(&call).await
    }

    /// `DELETE /configurations/{id}`: with `etag` only if unchanged since; `None` =
    /// unconditionally.
    pub async fn delete_configuration(
        &self,
        configuration_id: &str,
        etag: Option<&str>,
    ) -> Result<()> {
        let call = Call::new(
            "delete_configuration",
            Method::DELETE,
            path(&["configurations", configuration_id]),
        )
        .if_match(etag)?;
        self.execute(&call).await.map(drop)
    }

    /// `POST /configurations/testQueries`: what is wrong with a target condition and custom
    /// metric queries (empty errors when they are valid).
    pub async fn test_configuration_queries(
        &self,
        input: &ConfigurationQueriesTestInput,
    ) -> Result<ConfigurationQueriesTestResponse> {
        let mut call = Call::new(
            "test_configuration_queries",
            Method::POST,
            "/configurations/testQueries".to_owned(),
        )
        .json(input)?;
        // Checking queries changes nothing: repeating it is harmless.
        call.idempotent = true;
        self.execute_json(&call).await
    }

    /// `GET /statistics/devices`: device counts.
    pub async fn get_device_registry_statistics(&self) -> Result<RegistryStatistics> {
        let call = Call::new(
            "get_device_registry_statistics",
            Method::GET,
            "/statistics/devices".to_owned(),
        );
        self.execute_json(&call).await
    }

    /// `GET /statistics/service`: connected devices.
    pub async fn get_service_statistics(&self) -> Result<ServiceStatistics> {
        let call = Call::new(
            "get_service_statistics",
            Method::GET,
            "/statistics/service".to_owned(),
        );
        self.execute_json(&call).await
    }
}

fn configuration_path(configuration: &Configuration) -> Result<String> {
    if configuration.id.is_empty() {
        return Err(Error::InvalidArgument {
            reason: "the configuration has no id".into(),
        });
    }
    Ok(path(&["configurations", &configuration.id]))
}

fn with_schema_version(configuration: &Configuration) -> Configuration {
    let mut body = configuration.clone();
    body.schema_version.get_or_insert_with(|| "1.0".to_owned());
    body
}
