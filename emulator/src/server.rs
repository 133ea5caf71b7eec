//! Binding the listeners, serving, and shutting down.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use axum_server::Handle;
use axum_server::tls_rustls::RustlsConfig;
use iothub_twin::auth::check_identity_id;
use serde_json::{Map, Value, json};
use tokio::task::JoinHandle;

use crate::clock;
use crate::config::EmulatorConfig;
use crate::faults::Faults;
use crate::mqtt::MqttHub;
use crate::policies::{Policies, random_key};
use crate::registry::{Device, IdentityBody};
use crate::rest::{AppState, router};
use crate::store::Store;
use crate::tls::TlsMaterial;

/// A started emulator. Stop it with [`RunningEmulator::shutdown`].
#[derive(Debug)]
pub struct RunningEmulator {
    /// The hub host name.
    pub hostname: String,
    /// Where the REST API listens.
    pub https_addr: SocketAddr,
    /// Where MQTT listens.
    pub mqtt_addr: SocketAddr,
    /// The CA certificate clients must trust (absolute path).
    pub ca_cert_path: PathBuf,
    /// The same CA certificate, PEM.
    pub ca_cert_pem: String,
    state: AppState,
    devices: Vec<String>,
    https: Handle<SocketAddr>,
    https_task: JoinHandle<std::io::Result<()>>,
    mqtt_task: JoinHandle<()>,
    dispatcher: JoinHandle<()>,
    _temp_dir: Option<tempfile::TempDir>,
}

impl RunningEmulator {
    /// Opens the store, makes the certificates, binds both ports and starts serving.
    pub async fn start(config: EmulatorConfig) -> anyhow::Result<Self> {
        iothub_twin::auth::HostPort::new(&config.hostname, None)
            .map_err(|e| anyhow::anyhow!("--hostname: {e}"))?;
        for id in &config.devices {
            check_identity_id("--device", id).map_err(anyhow::Error::msg)?;
        }
        let https_listener = bind(config.bind, config.https_port, "--https-port")?;
        let mqtt_listener = bind(config.bind, config.mqtt_port, "--mqtt-port")?;
        let (store, policies) = Store::open(config.data_dir.as_deref())?;
        let (tls_dir, temp_dir) = match &config.data_dir {
            Some(dir) => (dir.clone(), None),
            None => {
                let temp = tempfile::Builder::new()
                    .prefix("iothub-twin-emulator-")
                    .tempdir()?;
                (temp.path().to_owned(), Some(temp))
            }
        };
        let tls = TlsMaterial::load_or_create(&tls_dir, &config.hostname)?;
        let policies = Arc::new(policies);
        let mqtt = MqttHub::new(
            store.clone(),
            policies.clone(),
            config.hostname.clone(),
            Arc::new(Faults::default()),
            tls.certificate_authority()?,
        );
        let state = AppState {
            store,
            policies,
            hostname: config.hostname.clone(),
            entra_token: config.entra_token.clone(),
            mqtt: mqtt.clone(),
        };
        ensure_devices(&state.store, &config.devices).await?;

        let https_addr = https_listener.local_addr()?;
        let https = Handle::new();
        let rustls = RustlsConfig::from_config(tls.server_config(&[b"h2", b"http/1.1"])?);
        let server = axum_server::from_tcp_rustls(https_listener, rustls)?.handle(https.clone());
        let app = router(state.clone());
        let https_task = tokio::spawn(async move { server.serve(app.into_make_service()).await });

        let mqtt_addr = mqtt_listener.local_addr()?;
        mqtt_listener.set_nonblocking(true)?;
        let mqtt_listener = tokio::net::TcpListener::from_std(mqtt_listener)?;
        let acceptor = tokio_rustls::TlsAcceptor::from(tls.mqtt_server_config()?);
        let dispatcher = mqtt.spawn_dispatcher();
        let mqtt_task = tokio::spawn(mqtt.serve_tls(mqtt_listener, acceptor));
        tracing::info!(%https_addr, %mqtt_addr, hostname = %config.hostname, "emulator ready");
        Ok(Self {
            hostname: config.hostname,
            https_addr,
            mqtt_addr,
            ca_cert_path: tls.ca_cert_path,
            ca_cert_pem: tls.ca_cert_pem,
            state,
            devices: config.devices,
            https,
            https_task,
            mqtt_task,
            dispatcher,
            _temp_dir: temp_dir,
        })
    }

    /// The store, for tests and the MQTT endpoint.
    pub fn store(&self) -> &Store {
        &self.state.store
    }

    /// The shared access policies.
    pub fn policies(&self) -> &Policies {
        &self.state.policies
    }

    /// `HostName=host[:port];SharedAccessKeyName=iothubowner;SharedAccessKey=…` (the port is
    /// written when it is not 443).
    pub fn service_connection_string(&self) -> String {
        let owner = self.state.policies.owner();
        format!(
            "HostName={};SharedAccessKeyName={};SharedAccessKey={}",
            with_port(&self.hostname, self.https_addr.port(), 443),
            owner.name,
            owner.primary_key.expose_base64()
        )
    }

    /// A SAS device's connection string, with `GatewayHostName=host:port` when MQTT is not on
    /// 8883 (the official Node SDK's convention); `None` for unknown or non-SAS devices.
    pub fn device_connection_string(&self, device_id: &str) -> Option<String> {
        let key = self.state.store.read(|registry| {
            registry
                .device(device_id)?
                .identity
                .authentication
                .primary_key
                .clone()
        })?;
        let mut text = format!(
            "HostName={};DeviceId={device_id};SharedAccessKey={key}",
            self.hostname
        );
        if self.mqtt_addr.port() != 8883 {
            text.push_str(&format!(
                ";GatewayHostName={}:{}",
                self.hostname,
                self.mqtt_addr.port()
            ));
        }
        Some(text)
    }

    /// The one JSON line the binary prints on stdout when ready.
    pub fn ready_line(&self) -> Value {
        let devices: Map<String, Value> = self
            .devices
            .iter()
            .filter_map(|id| Some((id.clone(), Value::from(self.device_connection_string(id)?))))
            .collect();
        json!({
            "event": "ready",
            "hostname": self.hostname,
            "mqtt_port": self.mqtt_addr.port(),
            "https_port": self.https_addr.port(),
            "ca_cert": self.ca_cert_path,
            "service_connection_string": self.service_connection_string(),
            "devices": devices,
        })
    }

    /// Fault injection settings (also settable over the control API).
    pub fn faults(&self) -> &Faults {
        self.state.faults()
    }

    /// A client certificate with common name `device_id` signed by the emulator CA, for
    /// `certificateAuthority` devices: `(certificate PEM, private key PEM)`.
    pub fn issue_device_certificate(&self, device_id: &str) -> anyhow::Result<(String, String)> {
        self.state.mqtt.ca.issue(device_id)
    }

    /// Stops serving (MQTT connections included), commits everything queued and closes the
    /// store.
    pub async fn shutdown(self) {
        self.mqtt_task.abort();
        for connection in self.state.mqtt.live.all() {
            connection.stop.notify_one();
        }
        self.https.graceful_shutdown(Some(Duration::from_secs(5)));
        let _ = self.https_task.await;
        self.dispatcher.abort();
        self.state.store.close().await;
        tracing::info!("emulator stopped");
    }
}

fn with_port(host: &str, port: u16, default: u16) -> String {
    if port == default {
        host.to_owned()
    } else {
        format!("{host}:{port}")
    }
}

/// Binds with an error that names the flag to change.
fn bind(ip: std::net::IpAddr, port: u16, flag: &str) -> anyhow::Result<TcpListener> {
    let addr = SocketAddr::new(ip, port);
    TcpListener::bind(addr).map_err(|e| {
        let hint = match e.kind() {
            std::io::ErrorKind::PermissionDenied => {
                format!(
                    "ports below 1024 need root; choose another with {flag} N (0 picks a free port)"
                )
            }
            std::io::ErrorKind::AddrInUse => {
                format!("the port is in use; choose another with {flag} N (0 picks a free port)")
            }
            _ => format!("choose another address or port ({flag})"),
        };
        anyhow::anyhow!("cannot listen on {addr} for {flag}: {e}; {hint}")
    })
}

/// `--device ID`: create missing SAS devices with generated keys, keep existing ones; one
/// write (one commit) for all of them.
async fn ensure_devices(store: &Store, ids: &[String]) -> anyhow::Result<()> {
    let now = clock::now_iso();
    store
        .write(|registry, changes| {
            for id in ids {
                if registry.devices.contains_key(id) {
                    continue;
                }
                let body = json!({"authentication": {"type": "sas", "symmetricKey": {
                    "primaryKey": random_key().expose_base64(),
                    "secondaryKey": random_key().expose_base64()}}});
                let parsed = IdentityBody::parse(&body, id, None, None)?;
                registry
                    .devices
                    .insert(id.clone(), Device::create(id, parsed, &now));
                changes.touch(id, None);
            }
            Ok(())
        })
        .await
        .context("creating the --device identities")?;
    Ok(())
}
