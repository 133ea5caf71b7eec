//! Binding the listeners, serving, and shutting down.

mod limits;

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use axum_server::Handle;
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};
use iothub_twin::auth::check_identity_id;
use serde_json::{Map, Value, json};
use tokio::task::JoinHandle;

use crate::config::EmulatorConfig;
use crate::explorer;
use crate::faults::Faults;
use crate::hub::Hub;
use crate::mqtt;
use crate::policies::Policies;
use crate::rest::{TWIN_EVENT_BACKLOG, TwinFeed, router, twin_event_routes};
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
    hub: Arc<Hub>,
    devices: Vec<String>,
    https: Handle<SocketAddr>,
    https_task: JoinHandle<std::io::Result<()>>,
    mqtt_task: JoinHandle<()>,
    dispatcher: JoinHandle<()>,
    job_runner: JoinHandle<()>,
    configuration_runs: JoinHandle<()>,
    twin_feed: JoinHandle<()>,
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
        let hub = Hub::new(
            store,
            policies,
            config.hostname.clone(),
            config.entra_token.clone(),
            tls.certificate_authority()?,
        );
        // Following the store before anything is written: the feed's backlog misses nothing.
        let (feed, twin_feed) = TwinFeed::follow(&hub, TWIN_EVENT_BACKLOG);
        hub.ensure_sas_devices(&config.devices)
            .await
            .context("creating the --device identities")?;

        let https_addr = https_listener.local_addr()?;
        let https = Handle::new();
        let rustls = RustlsConfig::from_config(tls.server_config(&[b"h2", b"http/1.1"])?);
        let bounds = &config.https_limits;
        let max_connections = limits::effective_max_connections(bounds.max_connections);
        let acceptor = RustlsAcceptor::new(rustls)
            .handshake_timeout(bounds.handshake_timeout)
            .acceptor(limits::ConnectionLimit::new(max_connections));
        let server = axum_server::from_tcp(https_listener)?
            .acceptor(acceptor)
            .first_request_timeout(bounds.first_request_timeout)
            .handle(https.clone());
        let mqtt_addr = mqtt_listener.local_addr()?;
        let app = router(hub.clone())
            .merge(twin_event_routes(hub.clone(), feed))
            .merge(explorer::routes(
                hub.clone(),
                explorer::Ports {
                    https: https_addr.port(),
                    mqtt: mqtt_addr.port(),
                },
            ));
        let https_task = tokio::spawn(async move { server.serve(app.into_make_service()).await });

        mqtt_listener.set_nonblocking(true)?;
        let mqtt_listener = tokio::net::TcpListener::from_std(mqtt_listener)?;
        let acceptor = tokio_rustls::TlsAcceptor::from(tls.mqtt_server_config()?);
        let dispatcher = mqtt::spawn_dispatcher(hub.clone());
        let job_runner = crate::hub::spawn_job_runner(hub.clone());
        let configuration_runs =
            crate::hub::spawn_configuration_runs(hub.clone(), config.configuration_interval);
        let mqtt_task = tokio::spawn(mqtt::serve_tls(hub.clone(), mqtt_listener, acceptor));
        tracing::info!(%https_addr, %mqtt_addr, hostname = %config.hostname, "emulator ready");
        Ok(Self {
            hostname: config.hostname,
            https_addr,
            mqtt_addr,
            ca_cert_path: tls.ca_cert_path,
            ca_cert_pem: tls.ca_cert_pem,
            hub,
            devices: config.devices,
            https,
            https_task,
            mqtt_task,
            dispatcher,
            job_runner,
            configuration_runs,
            twin_feed,
            _temp_dir: temp_dir,
        })
    }

    /// The store, for tests and the MQTT endpoint.
    pub fn store(&self) -> &Store {
        self.hub.store()
    }

    /// The shared access policies.
    pub fn policies(&self) -> &Policies {
        self.hub.policies()
    }

    /// The hub: its operations, as the adapters call them.
    pub fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    /// `HostName=host[:port];SharedAccessKeyName=iothubowner;SharedAccessKey=…` (the port is
    /// written when it is not 443).
    pub fn service_connection_string(&self) -> String {
        let owner = self.hub.policies().owner();
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
        let key = self.hub.store().read(|registry| {
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
            "explorer_url": self.explorer_url(),
        })
    }

    /// The explorer page's address with its one-time login token (exchanged for a session
    /// cookie on first use).
    pub fn explorer_url(&self) -> String {
        format!(
            "https://{}/explorer/?token={}",
            with_port(&self.hostname, self.https_addr.port(), 443),
            self.hub.explorer_access().login_token()
        )
    }

    /// Fault injection settings (also settable over the control API).
    pub fn faults(&self) -> &Faults {
        self.hub.faults()
    }

    /// A client certificate with common name `device_id` signed by the emulator CA, for
    /// `certificateAuthority` devices: `(certificate PEM, private key PEM)`.
    pub fn issue_device_certificate(&self, device_id: &str) -> anyhow::Result<(String, String)> {
        self.hub.issue_device_certificate(device_id)
    }

    /// Stops serving (MQTT connections included), commits everything queued and closes the
    /// store.
    pub async fn shutdown(self) {
        self.mqtt_task.abort();
        for connection in self.hub.live.all() {
            connection.stop.notify_one();
        }
        self.https.graceful_shutdown(Some(Duration::from_secs(5)));
        let _ = self.https_task.await;
        self.dispatcher.abort();
        self.job_runner.abort();
        self.configuration_runs.abort();
        self.twin_feed.abort();
        self.hub.store().close().await;
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
