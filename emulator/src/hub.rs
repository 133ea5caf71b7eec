//! The hub: every operation IoT Hub offers on identities and twins, for the adapters (`rest/`,
//! `mqtt/`) to call. It owns the store, the policies, the host name, the fault settings, the
//! emulator CA and the MQTT sessions; the registry rules (create or update, etag checks, twin
//! body shapes, what a device may read or write) live here, not in the adapters.
//!
//! Committed changes that others must follow (identities created, disabled and deleted; twin
//! changes) leave the store as one event stream ([`Hub::subscribe`]), which the MQTT endpoint
//! consumes.

mod bulk;
mod configurations;
mod device;
mod identities;
mod jobs;
pub(crate) mod sessions;
mod statistics;
mod twins;

use std::sync::Arc;

use serde_json::Value;

use crate::error::HubError;
use crate::explorer_access::ExplorerAccess;
use crate::faults::Faults;
use crate::policies::Policies;
use crate::query::{self, QueryPage};
use crate::store::Store;
use crate::tls::CertificateAuthority;
pub use bulk::MAX_BULK_ITEMS;
pub(crate) use configurations::spawn_configuration_runs;
pub use jobs::{JOB_BATCH, JobStep, JobsPage};
pub(crate) use jobs::{not_supported, spawn_job_runner};

/// How many configurations a hub holds at most.
#[cfg(test)]
pub(crate) fn configurations_limit() -> usize {
    configurations::MAX_CONFIGURATIONS
}
use sessions::{LiveConnections, Sessions};

/// A JSON answer and its etag (the identity's or the twin's).
#[derive(Clone, Debug, PartialEq)]
pub struct Tagged {
    /// The body.
    pub json: Value,
    /// The etag, unquoted.
    pub etag: String,
}

/// The hub and everything its operations need.
#[derive(Debug)]
pub struct Hub {
    store: Store,
    policies: Arc<Policies>,
    hostname: String,
    entra_token: Option<String>,
    faults: Faults,
    ca: CertificateAuthority,
    explorer_access: ExplorerAccess,
    pub(crate) sessions: Sessions,
    pub(crate) live: LiveConnections,
    /// Woken when a job is accepted or cancelled, so the job runner looks again.
    jobs_changed: tokio::sync::Notify,
}

impl Hub {
    pub(crate) fn new(
        store: Store,
        policies: Policies,
        hostname: String,
        entra_token: Option<String>,
        ca: CertificateAuthority,
    ) -> Arc<Self> {
        Arc::new(Self {
            store,
            policies: Arc::new(policies),
            hostname,
            entra_token,
            faults: Faults::default(),
            ca,
            explorer_access: ExplorerAccess::default(),
            sessions: Sessions::default(),
            live: LiveConnections::default(),
            jobs_changed: tokio::sync::Notify::new(),
        })
    }

    /// The store (the registry and its persistence).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Committed changes, in commit order, from now on (see [`crate::store::StoreEvent`]).
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<crate::store::StoreEvent> {
        self.store.subscribe()
    }

    /// The shared access policies.
    pub fn policies(&self) -> &Policies {
        &self.policies
    }

    /// The host name SAS tokens must name.
    pub fn hostname(&self) -> &str {
        &self.hostname
    }

    /// `--entra-token`, when given.
    pub fn entra_token(&self) -> Option<&str> {
        self.entra_token.as_deref()
    }

    /// Fault injection settings.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// The explorer page's login token and sessions.
    pub(crate) fn explorer_access(&self) -> &ExplorerAccess {
        &self.explorer_access
    }

    /// The emulator CA (verifies and issues device certificates).
    pub(crate) fn ca(&self) -> &CertificateAuthority {
        &self.ca
    }

    /// A client certificate with common name `device_id` signed by the emulator CA:
    /// `(certificate PEM, private key PEM)`.
    pub fn issue_device_certificate(&self, device_id: &str) -> anyhow::Result<(String, String)> {
        self.ca.issue(device_id)
    }

    /// A page of a twin query (`POST /devices/query`).
    pub async fn query(
        &self,
        text: &str,
        page_size: usize,
        continuation: Option<&str>,
    ) -> Result<QueryPage, HubError> {
        let prepared = query::prepare(text)?;
        self.store
            .read_committed(|registry| prepared.page(registry, page_size, continuation))
            .await
    }

    /// The open MQTT connections, as the control API lists them.
    pub fn connections_json(&self) -> Value {
        self.live.to_json()
    }

    /// Closes the connections of a device (or one module); how many were closed.
    pub fn disconnect(&self, device_id: &str, module_id: Option<&str>) -> usize {
        self.live.stop_device(device_id, module_id)
    }
}

/// A hub on an in-memory store for unit tests, with the directory holding its CA files.
#[cfg(test)]
pub(crate) fn hub_for_tests(hostname: &str) -> (Arc<Hub>, tempfile::TempDir) {
    let (store, policies) = Store::open(None).expect("an in-memory store");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let tls = crate::tls::TlsMaterial::load_or_create(dir.path(), hostname).expect("certificates");
    let ca = tls.certificate_authority().expect("the emulator CA");
    (
        Hub::new(store, policies, hostname.to_owned(), None, ca),
        dir,
    )
}

#[cfg(test)]
mod tests;
