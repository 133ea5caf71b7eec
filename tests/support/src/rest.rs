//! A small client of the emulator's service REST API (and its `/emulator/…` control API): any
//! method, path, body and `If-Match`, signed with the owner policy or any `Authorization`.

use std::sync::Arc;

use iothub_twin::auth::{SasToken, ServiceAuth, ServiceConnectionString, unix_time_now};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use serde_json::Value;

/// A rustls client config (ring) trusting only `ca_pem`, with the given protocol versions.
///
/// # Panics
/// When `ca_pem` holds no valid certificate.
pub fn tls_config(
    ca_pem: &str,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots
            .add(cert.expect("a PEM certificate"))
            .expect("a CA certificate");
    }
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_protocol_versions(versions)
        .expect("the versions are supported")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

/// An answer: status, the `iothub-errorcode` header, and the body as JSON (`Null` when empty,
/// a string when not JSON).
#[derive(Debug)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The `iothub-errorcode` header.
    pub error_code: Option<String>,
    /// The body.
    pub body: Value,
}

/// A REST client for one hub.
#[derive(Debug)]
pub struct Service {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Service {
    /// A client for the hub of service connection string `connection_string` (a key one),
    /// trusting `ca_pem`.
    pub fn new(connection_string: &str, ca_pem: &str) -> Self {
        Self::with_tls(
            connection_string,
            tls_config(ca_pem, rustls::DEFAULT_VERSIONS),
        )
    }

    /// Like [`Service::new`] over `tls`; HTTP/1.1 only when `tls` offers only `http/1.1`.
    ///
    /// # Panics
    /// When the connection string is not a key one.
    pub fn with_tls(connection_string: &str, tls: rustls::ClientConfig) -> Self {
        let cs: ServiceConnectionString = connection_string
            .parse()
            .expect("a service connection string");
        let ServiceAuth::SharedAccessKey(key) = &cs.auth else {
            panic!("a key connection string is expected")
        };
        let token = SasToken::generate(
            &cs.host_name.to_string(),
            key,
            Some(&cs.key_name),
            unix_time_now() + 3600,
        );
        let http1 = tls.alpn_protocols == [b"http/1.1".to_vec()];
        let mut http = reqwest::Client::builder().tls_backend_preconfigured(tls);
        if http1 {
            http = http.http1_only();
        }
        Self {
            http: http.build().expect("an HTTP client"),
            base: format!("https://{}", cs.host_name),
            token: token.expose_secret().to_owned(),
        }
    }

    /// A request to `path` as the owner (no `api-version` added), for what [`Service::send`]
    /// does not cover, like reading a streaming response.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.request_as(&self.token, method, path)
    }

    fn request_as(
        &self,
        authorization: &str,
        method: reqwest::Method,
        path: &str,
    ) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .header("authorization", authorization)
    }

    /// Sends `method path` as the owner with an optional JSON body and If-Match; returns
    /// status and JSON.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        if_match: Option<&str>,
    ) -> Result<(u16, Value), reqwest::Error> {
        let answer = self
            .send_as(&self.token, method, path, body, if_match)
            .await?;
        Ok((answer.status, answer.body))
    }

    /// Sends `method path` with `authorization` as the `Authorization` header.
    pub async fn send_as(
        &self,
        authorization: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        if_match: Option<&str>,
    ) -> Result<Answer, reqwest::Error> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut request = self.request_as(
            authorization,
            method,
            &format!("{path}{sep}api-version=2021-04-12"),
        );
        if let Some(body) = body {
            request = request.json(body);
        }
        if let Some(etag) = if_match {
            request = request.header("if-match", format!("\"{etag}\""));
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let error_code = response
            .headers()
            .get("iothub-errorcode")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = response.text().await?;
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Ok(Answer {
            status,
            error_code,
            body,
        })
    }
}
