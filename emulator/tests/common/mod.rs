//! Talking to a real emulator over HTTPS, and running the binary.

#![allow(dead_code)] // each test file uses some of these

pub(crate) mod mqtt;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::Arc;

use iothub_twin::auth::{SasToken, ServiceAuth, ServiceConnectionString, unix_time_now};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use serde_json::Value;

/// A rustls client config trusting only `ca_pem`, with the given protocol versions.
pub(crate) fn tls_config(
    ca_pem: &str,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth()
}

/// A small service-API client built from a service connection string.
pub(crate) struct Service {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Service {
    pub(crate) fn new(connection_string: &str, ca_pem: &str) -> Self {
        Self::with_tls(
            connection_string,
            tls_config(ca_pem, rustls::DEFAULT_VERSIONS),
        )
    }

    pub(crate) fn with_tls(connection_string: &str, tls: rustls::ClientConfig) -> Self {
        let cs: ServiceConnectionString = connection_string.parse().unwrap();
        let ServiceAuth::SharedAccessKey(key) = &cs.auth else {
            panic!("key expected")
        };
        let token = SasToken::generate(
            &cs.host_name.to_string(),
            key,
            Some(&cs.key_name),
            unix_time_now() + 3600,
        );
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .build()
            .unwrap();
        Self {
            http,
            base: format!("https://{}", cs.host_name),
            token: token.expose_secret().to_owned(),
        }
    }

    /// A request to `path` with this client's credential (no `api-version` added).
    pub(crate) fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .header("authorization", &self.token)
    }

    /// Sends `method path` with an optional JSON body and If-Match; returns status and JSON.
    pub(crate) async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        if_match: Option<&str>,
    ) -> Result<(u16, Value), reqwest::Error> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut request = self.request(method, &format!("{path}{sep}api-version=2021-04-12"));
        if let Some(body) = body {
            request = request.json(body);
        }
        if let Some(etag) = if_match {
            request = request.header("if-match", format!("\"{etag}\""));
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        };
        Ok((status, json))
    }
}

/// The emulator binary, started with `args`; stdout's ready line parsed.
pub(crate) struct Binary {
    pub(crate) child: Child,
    pub(crate) ready: Value,
    logs: Option<std::thread::JoinHandle<String>>,
}

impl Binary {
    pub(crate) fn start(args: &[&str]) -> Self {
        Self::start_logging(args, "info")
    }

    /// Like [`Binary::start`] with the `IOTHUB_TWIN_LOG` filter `log_filter`.
    pub(crate) fn start_logging(args: &[&str], log_filter: &str) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_iothub-twin-emulator"))
            .args(args)
            .env("IOTHUB_TWIN_LOG", log_filter)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let logs = Some(drain(child.stderr.take().unwrap()));
        let ready =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("ready line {line:?}: {e}"));
        Self { child, ready, logs }
    }

    pub(crate) fn in_dir(dir: &Path, extra: &[&str]) -> Self {
        let mut args = vec![
            "--data-dir",
            dir.to_str().unwrap(),
            "--https-port",
            "0",
            "--mqtt-port",
            "0",
        ];
        args.extend_from_slice(extra);
        Self::start(&args)
    }

    pub(crate) fn service(&self) -> Service {
        let ca = std::fs::read_to_string(self.ready["ca_cert"].as_str().unwrap()).unwrap();
        Service::new(
            self.ready["service_connection_string"].as_str().unwrap(),
            &ca,
        )
    }

    /// SIGKILL: no chance to flush anything.
    pub(crate) fn kill_9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM, then the exit status and everything logged.
    pub(crate) fn terminate(mut self) -> (std::process::ExitStatus, String) {
        let status = Command::new("kill")
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success());
        let status = self.child.wait().unwrap();
        (status, self.logs.take().unwrap().join().unwrap())
    }
}

/// Reads a child's stderr to the end on a thread, so the pipe never fills.
pub(crate) fn drain(stderr: ChildStderr) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut logs = String::new();
        let _ = std::io::Read::read_to_string(&mut { stderr }, &mut logs);
        logs
    })
}

/// Runs the binary expecting it to fail at start: exit status and stderr.
pub(crate) fn start_failure(args: &[&str]) -> (std::process::ExitStatus, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_iothub-twin-emulator"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(output.stdout.is_empty(), "no ready line on failure");
    (
        output.status,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
