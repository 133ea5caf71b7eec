//! The service client: IoT Hub's REST API over HTTPS (spec/protocol.md §4) for back-end apps.
//!
//! [`ServiceClient`] reads, patches and replaces device and module twins, manages the identity
//! registry (devices and modules with SAS keys, X.509 thumbprints or CA-signed certificates) and
//! runs twin queries page by page or as a [`futures::Stream`]; it also manages automatic device
//! configurations and reads the registry statistics.
//!
//! Every call has a deadline ([`ServiceClientOptions::timeout`]), retries throttling (429) and
//! unavailability (503) with exponential backoff honouring `Retry-After`, retries failed
//! connections only for idempotent calls, and turns IoT Hub's error answers (every shape of
//! spec §4.2) into [`Error::Service`](crate::Error::Service) with status, error code and
//! tracking id, or [`Error::Authentication`](crate::Error::Authentication) for 401 and 403.
//!
//! The client runs on the caller's tokio runtime and never starts one of its own.

mod bulk;
mod client;
mod configuration_models;
mod configurations;
mod credential;
mod error_body;
mod http;
mod jobs;
mod models;
mod options;
mod query;
mod registry;
mod retry;
mod twins;

pub use bulk::{
    BulkRegistryOperationResult, DeviceRegistryOperationError, ExportImportDevice, ImportMode,
    MAX_BULK_ITEMS, PropertyContainer, TwinUpdate,
};
pub use client::ServiceClient;
pub use configuration_models::{
    Configuration, ConfigurationContent, ConfigurationMetrics, ConfigurationQueriesTestInput,
    ConfigurationQueriesTestResponse, RegistryStatistics, ServiceStatistics,
};
pub use credential::{SasTokenProvider, TokenProvider};
pub use jobs::{
    DeviceJob, DeviceJobStatistics, JobClient, JobRequest, JobResponse, JobsPage, JobsPager,
    SCHEDULE_UPDATE_TWIN,
};
pub use models::{Authentication, Device, Module, SymmetricKey};
pub use options::ServiceClientOptions;
pub use query::{QueryItem, QueryItemType, QueryOptions, QueryPage, QueryPager, QueryStream};

/// The REST API version sent as `?api-version=` (the official SDKs' current stable value).
pub const API_VERSION: &str = "2021-04-12";

#[cfg(test)]
mod tests;
