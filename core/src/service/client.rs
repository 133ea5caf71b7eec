//! [`ServiceClient`]: construction, and the one path every REST call takes (sign, send, retry,
//! map errors, decode).

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use reqwest::Method;
use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, IF_MATCH, USER_AGENT,
};
use serde::de::DeserializeOwned;

use super::ServiceClientOptions;
use super::credential::{Credential, SasTokenProvider, TokenProvider};
use super::http::{HttpRequest, HttpResponse, HttpSend, ReqwestSender};
use super::retry;
use crate::auth::{
    HostPort, SasToken, ServiceAuth, ServiceConnectionString, encode_uri_component, unix_time_now,
};
use crate::{Error, Result};

/// A client for IoT Hub's service REST API: twins, the identity registry and queries.
///
/// Cheap to clone (one `Arc`); clones share the connection pool and the cached SAS token.
/// Calls need a tokio runtime (the caller's: the client never starts one).
///
/// `Debug` shows the hub and how the client signs, never a key or token.
#[derive(Clone)]
pub struct ServiceClient {
    inner: Arc<Inner>,
}

struct Inner {
    host_name: HostPort,
    base_url: String,
    credential: Credential,
    transport: Arc<dyn HttpSend>,
    user_agent: HeaderValue,
    options: ServiceClientOptions,
}

/// One REST call, before signing.
#[derive(Debug)]
pub(crate) struct Call {
    /// Named in [`Error::Timeout`].
    pub(crate) operation: &'static str,
    pub(crate) method: Method,
    /// Path with every id already encoded, e.g. `/twins/dev%231`.
    pub(crate) path: String,
    /// Extra query parameters after `api-version`, already encoded (`top=10`).
    pub(crate) query: Option<String>,
    pub(crate) body: Option<Bytes>,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    /// Whether repeating the call after a broken connection is harmless.
    pub(crate) idempotent: bool,
    /// A non-2xx status whose body is the answer, not an error (the bulk registry call
    /// answers 400 with its per-item result).
    pub(crate) answer_status: Option<u16>,
}

impl Call {
    pub(crate) fn new(operation: &'static str, method: Method, path: String) -> Self {
        let idempotent = matches!(method, Method::GET | Method::DELETE);
        Self {
            operation,
            method,
            path,
            query: None,
            body: None,
            headers: Vec::new(),
            idempotent,
            answer_status: None,
        }
    }

    /// A JSON body.
    pub(crate) fn json(mut self, body: &impl serde::Serialize) -> Result<Self> {
        let bytes = serde_json::to_vec(body).map_err(|e| Error::InvalidArgument {
            reason: format!("the request body could not be serialized: {e}"),
        })?;
        self.body = Some(Bytes::from(bytes));
        Ok(self)
    }

    /// `If-Match: "<etag>"`, or `"*"` (any version) when `etag` is `None`, as the Python and
    /// Node SDKs send it. A PUT with `If-Match` is idempotent.
    pub(crate) fn if_match(mut self, etag: Option<&str>) -> Result<Self> {
        let etag = etag.map(str::trim).unwrap_or("*");
        let quoted = if etag.len() >= 2 && etag.starts_with('"') && etag.ends_with('"') {
            etag.to_owned()
        } else {
            format!("\"{etag}\"")
        };
        let value = HeaderValue::from_str(&quoted).map_err(|_| Error::InvalidArgument {
            reason: "the etag is not a valid header value".into(),
        })?;
        self.headers.push((IF_MATCH, value));
        if self.method == Method::PUT {
            self.idempotent = true;
        }
        Ok(self)
    }
}

/// `/a/{id}/b/{id}` with each id encoded like `encodeURIComponent` (as the Node SDK does).
pub(crate) fn path(segments: &[&str]) -> String {
    let mut out = String::new();
    for (i, segment) in segments.iter().enumerate() {
        out.push('/');
        if i % 2 == 1 {
            out.push_str(&encode_uri_component(segment));
        } else {
            out.push_str(segment);
        }
    }
    out
}

impl ServiceClient {
    /// A client for the hub of a service connection string
    /// (`HostName=…;SharedAccessKeyName=…;SharedAccessKey=…`, or `SharedAccessSignature=…`
    /// instead of the key). `HostName` may carry a port (`localhost:8443`) for a local hub.
    pub fn from_connection_string(
        connection_string: &str,
        options: ServiceClientOptions,
    ) -> Result<Self> {
        options.validate()?;
        let cs: ServiceConnectionString = connection_string.parse()?;
        let credential = match &cs.auth {
            ServiceAuth::SharedAccessKey(key) => Credential::Sas(Arc::new(SasTokenProvider::new(
                &cs.host_name,
                &cs.key_name,
                key.clone(),
                options.sas_token_ttl,
            )?)),
            ServiceAuth::SharedAccessSignature(token) => Credential::fixed(token)?,
        };
        Self::build(cs.host_name, credential, options)
    }

    /// A client for a ready-made service SAS token (`SharedAccessSignature sr={host}&sig=…&se=…&skn=…`),
    /// as azure-iothub's `Registry.fromSharedAccessSignature`: the hub is the token's `sr`. It
    /// cannot be renewed, so requests fail with an authentication error once it expires.
    pub fn from_shared_access_signature(
        token: &str,
        options: ServiceClientOptions,
    ) -> Result<Self> {
        options.validate()?;
        let token = SasToken::parse(token)
            .map_err(|e| Error::invalid_argument(format!("not a SAS token: {e}")))?;
        token
            .check_expiry(unix_time_now())
            .map_err(|e| Error::invalid_argument(e.to_string()))?;
        if token.key_name().is_none() {
            return Err(Error::invalid_argument(
                "a service SAS token names its policy (skn); this one is a device token",
            ));
        }
        let host_name: HostPort = token.resource().parse()?;
        Self::build(host_name, Credential::fixed(&token)?, options)
    }

    /// A client for hub `host_name` (`myhub.azure-devices.net`, or `host:port`) that asks
    /// `provider` for the `Authorization` header of every request, e.g. Microsoft Entra
    /// `Bearer` tokens.
    pub fn with_token_provider(
        host_name: &str,
        provider: impl TokenProvider,
        options: ServiceClientOptions,
    ) -> Result<Self> {
        options.validate()?;
        Self::build(host_name.parse()?, Credential::provider(provider), options)
    }

    fn build(
        host_name: HostPort,
        credential: Credential,
        options: ServiceClientOptions,
    ) -> Result<Self> {
        let transport = Arc::new(ReqwestSender::new(&options)?);
        Self::with_transport(host_name, credential, options, transport)
    }

    pub(crate) fn with_transport(
        host_name: HostPort,
        credential: Credential,
        options: ServiceClientOptions,
        transport: Arc<dyn HttpSend>,
    ) -> Result<Self> {
        let mut agent = format!("iothub-twin/{} (rust; service)", env!("CARGO_PKG_VERSION"));
        if let Some(extra) = &options.product_info {
            agent.push(' ');
            agent.push_str(extra);
        }
        let user_agent = HeaderValue::from_str(&agent).map_err(|_| Error::InvalidArgument {
            reason: "product_info must be printable ASCII".into(),
        })?;
        Ok(Self {
            inner: Arc::new(Inner {
                base_url: format!("https://{host_name}"),
                host_name,
                credential,
                transport,
                user_agent,
                options,
            }),
        })
    }

    /// The hub this client talks to, as given (`host[:port]`).
    pub fn host_name(&self) -> &HostPort {
        &self.inner.host_name
    }

    /// The options the client was built with.
    pub fn options(&self) -> &ServiceClientOptions {
        &self.inner.options
    }

    /// Sends `call` with retries under the deadline; the 2xx answer, or the mapped error.
    pub(crate) async fn execute(&self, call: &Call) -> Result<HttpResponse> {
        let inner = &*self.inner;
        retry::run(
            &inner.options.retry,
            inner.options.timeout,
            call.operation,
            || async {
                let request = inner.request(call).await?;
                let result = inner.transport.send(request).await;
                let result = match result {
                    Ok(response) if call.answer_status == Some(response.status) => {
                        return Ok(retry::Outcome::Success(response));
                    }
                    other => other,
                };
                Ok::<_, Error>(retry::classify(result, call.idempotent, SystemTime::now()))
            },
        )
        .await
    }

    /// [`execute`](Self::execute), then the body decoded as `T`.
    pub(crate) async fn execute_json<T: DeserializeOwned>(&self, call: &Call) -> Result<T> {
        let response = self.execute(call).await?;
        decode(call.operation, &response.body)
    }
}

/// `T` from a JSON body, or [`Error::Protocol`].
pub(crate) fn decode<T: DeserializeOwned>(operation: &str, body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| Error::Protocol {
        reason: format!("{operation}: the answer is not the expected JSON: {e}"),
    })
}

impl Inner {
    async fn request(&self, call: &Call) -> Result<HttpRequest> {
        let mut url = format!(
            "{}{}?api-version={}",
            self.base_url,
            call.path,
            encode_uri_component(&self.options.api_version)
        );
        if let Some(query) = &call.query {
            url.push('&');
            url.push_str(query);
        }
        let mut headers = HeaderMap::with_capacity(6 + call.headers.len());
        headers.insert(AUTHORIZATION, self.credential.authorization().await?);
        headers.insert(USER_AGENT, self.user_agent.clone());
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        if call.body.is_some() {
            headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            );
        }
        for (name, value) in &call.headers {
            headers.insert(name.clone(), value.clone());
        }
        Ok(HttpRequest {
            method: call.method.clone(),
            url,
            headers,
            body: call.body.clone(),
        })
    }
}

impl fmt::Debug for ServiceClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceClient")
            .field("host_name", &self.inner.host_name.to_string())
            .field("credential", &self.inner.credential)
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}
