//! Entry points for the cargo-fuzz targets in `fuzz/` (feature `fuzzing`, not a stable API): the
//! real REST router and the real MQTT connection handler on an in-memory hub, wired as
//! [`crate::RunningEmulator`] wires them but without sockets or TLS, so a fuzz input reaches
//! the same code a client's bytes reach after the TLS handshake.

use std::sync::Arc;

use axum::Router;
use tokio::io::{AsyncRead, AsyncWrite};

use serde_json::{Value, json};

use crate::clock;
use crate::faults::FaultSettings;
use crate::hub::Hub;
use crate::registry::{Device, IdentityBody, Module, Registry};
use crate::rest::router;
use crate::store::Store;
use crate::tls::TlsMaterial;

/// A SAS identity to start from: device id, module id (for a module) and its primary key.
pub type SasIdentity<'a> = (&'a str, Option<&'a str>, &'a str);

/// An in-memory hub: store, policies and MQTT endpoint, with no listener.
#[derive(Debug)]
pub struct FuzzHub {
    hub: Arc<Hub>,
    /// Holds the CA files the MQTT endpoint's certificate authority was made from.
    _tls_dir: tempfile::TempDir,
}

impl FuzzHub {
    /// The hub host name SAS tokens must name.
    pub const HOSTNAME: &'static str = "localhost";

    /// A fresh in-memory hub; `entra_token` as `--entra-token`.
    pub fn new(entra_token: Option<String>) -> anyhow::Result<Self> {
        let (store, policies) = Store::open(None)?;
        let tls_dir = tempfile::Builder::new()
            .prefix("iothub-twin-fuzz-")
            .tempdir()?;
        let tls = TlsMaterial::load_or_create(tls_dir.path(), Self::HOSTNAME)?;
        let hub = Hub::new(
            store,
            policies,
            Self::HOSTNAME.to_owned(),
            entra_token,
            tls.certificate_authority()?,
        );
        Ok(Self {
            hub,
            _tls_dir: tls_dir,
        })
    }

    /// The hub (store, policies, faults).
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// The HTTPS port's router, exactly as served.
    pub fn router(&self) -> Router {
        router(self.hub.clone())
    }

    /// Serves one MQTT connection (SAS authentication: no client certificate) on `stream` to
    /// its end, as the MQTT port does after the TLS handshake.
    pub async fn serve_mqtt<S>(&self, stream: S)
    where
        S: AsyncRead + AsyncWrite + Send,
    {
        crate::mqtt::serve_stream(self.hub.clone(), stream, "mqtt").await;
    }

    /// Puts the hub back to a known state, so fuzz inputs run independently of each other: the
    /// registry holds exactly `identities` (SAS, enabled, fresh twins; a module's device must
    /// come before it), no faults are set and no MQTT session is kept.
    pub async fn reset(&self, identities: &[SasIdentity<'_>]) -> anyhow::Result<()> {
        let now = clock::now_iso();
        let mut fresh = Registry::default();
        for &(device_id, module_id, key) in identities {
            let body = json!({"authentication": {"type": "sas",
                "symmetricKey": {"primaryKey": key, "secondaryKey": key}}});
            let parsed = IdentityBody::parse(&body, device_id, module_id, None)?;
            match module_id {
                None => {
                    fresh.devices.insert(
                        device_id.to_owned(),
                        Device::create(device_id, parsed, &now),
                    );
                }
                Some(module_id) => {
                    let device = fresh
                        .devices
                        .get_mut(device_id)
                        .ok_or_else(|| anyhow::anyhow!("module {module_id} before its device"))?;
                    let module = Module::create(device_id, module_id, parsed, &now);
                    device.modules.insert(module_id.to_owned(), module);
                }
            }
        }
        self.hub
            .store()
            .write(|registry, changes| {
                for device_id in registry.devices.keys().chain(fresh.devices.keys()) {
                    // A reset, not a client's delete: the lifecycle twin is the old one where
                    // there was one.
                    let twin = registry
                        .devices
                        .get(device_id)
                        .map_or(Value::Null, |device| {
                            device.identity.twin_json(&device.twin)
                        });
                    changes.delete_device(device_id, &now, twin);
                }
                for (device_id, device) in &fresh.devices {
                    changes.touch(device_id, None);
                    for module_id in device.modules.keys() {
                        changes.touch(device_id, Some(module_id));
                    }
                }
                *registry = fresh;
                Ok(())
            })
            .await?;
        self.hub.faults().set(FaultSettings::default());
        self.hub.sessions.clear();
        Ok(())
    }

    /// How many MQTT connections are registered as live.
    pub fn live_connections(&self) -> usize {
        self.hub.live.all().len()
    }
}
