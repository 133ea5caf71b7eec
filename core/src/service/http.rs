//! The HTTP transport behind one small trait ([`HttpSend`], the lancedb pattern), so unit tests
//! script responses without a server, and its one real implementation on reqwest (rustls with
//! *ring*, one connection pool per client).

use std::fmt;

use bytes::Bytes;
use futures::future::BoxFuture;
use reqwest::Method;
use reqwest::header::HeaderMap;

use super::ServiceClientOptions;
use crate::tls_cache::shared_client_config;
use crate::{Error, Result};

/// One request, fully built (URL with `api-version`, every header, the body).
#[derive(Clone)]
pub(crate) struct HttpRequest {
    pub(crate) method: Method,
    pub(crate) url: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Option<Bytes>,
}

impl fmt::Debug for HttpRequest {
    // The headers hold the Authorization token: show the method and URL only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.url)
    }
}

/// A response, read to the end.
#[derive(Clone, Debug)]
pub(crate) struct HttpResponse {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl HttpResponse {
    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// A header as text, when present and printable.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The request never got a complete answer: connecting, TLS, sending or reading failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TransportError {
    pub(crate) reason: String,
    /// The HTTP proxy answered `407`: its credentials are missing or wrong.
    pub(crate) proxy_refused: bool,
}

impl From<TransportError> for Error {
    fn from(e: TransportError) -> Self {
        if e.proxy_refused {
            return Error::authentication(
                "the proxy refused the credentials (407 Proxy Authentication Required)",
            );
        }
        Error::Connection { reason: e.reason }
    }
}

/// Sends one request and reads the whole answer. Retries, deadlines and error mapping happen
/// above this, so an implementation only moves bytes.
pub(crate) trait HttpSend: Send + Sync + fmt::Debug {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>>;
}

/// The real transport: one `reqwest::Client` (and so one connection pool) per service client,
/// HTTP/2 when the server offers it, HTTP/1.1 keep-alive otherwise.
#[derive(Debug)]
pub(crate) struct ReqwestSender {
    client: reqwest::Client,
}

impl ReqwestSender {
    pub(crate) fn new(options: &ServiceClientOptions) -> Result<Self> {
        let tls = shared_client_config(&options.trust, &[b"h2", b"http/1.1"], None)?;
        let mut builder = reqwest::Client::builder()
            .tls_backend_preconfigured((*tls).clone())
            .connect_timeout(options.connect_timeout);
        if let Some(proxy) = &options.proxy {
            let mut through =
                reqwest::Proxy::all(proxy.url()).map_err(|e| Error::InvalidArgument {
                    reason: format!("the proxy is not usable: {}", chain(&e)),
                })?;
            if let Some((username, password)) = proxy.basic_auth() {
                through = through.basic_auth(username, password);
            }
            builder = builder.proxy(through);
        }
        let client = builder.build().map_err(|e| Error::InvalidArgument {
            reason: format!("the HTTP client could not be built: {}", chain(&e)),
        })?;
        Ok(Self { client })
    }
}

impl HttpSend for ReqwestSender {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        Box::pin(async move {
            let mut builder = self
                .client
                .request(request.method, request.url)
                .headers(request.headers);
            if let Some(body) = request.body {
                builder = builder.body(body);
            }
            let mut response = builder.send().await.map_err(transport_error)?;
            let status = response.status().as_u16();
            let headers = std::mem::take(response.headers_mut());
            let body = response.bytes().await.map_err(transport_error)?;
            Ok(HttpResponse {
                status,
                headers,
                body,
            })
        })
    }
}

fn transport_error(error: reqwest::Error) -> TransportError {
    // reqwest's own text is terse ("error sending request"); the causes say what happened.
    // URLs carry no secrets (ids and api-version only).
    let reason = chain(&error);
    // hyper-util's tunnel reports a proxy's 407 as "proxy authorization required" (its error
    // type is not exported through reqwest, so the text is what there is to go by).
    let proxy_refused = reason.contains("proxy authorization required");
    TransportError {
        reason,
        proxy_refused,
    }
}

/// An error and its causes, `": "`-joined.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
