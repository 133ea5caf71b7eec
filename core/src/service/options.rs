//! Options of [`ServiceClient`](super::ServiceClient).

use std::time::Duration;

use super::API_VERSION;
use crate::options::positive;
use crate::proxy::ProxyOptions;
use crate::retry::RetryPolicy;
use crate::tls::Trust;
use crate::{Error, Result};

/// How a [`ServiceClient`](super::ServiceClient) connects, retries and signs.
///
/// Every field is public; set the ones you need and take the rest from `Default`:
///
/// ```
/// use std::time::Duration;
/// use iothub_twin::service::ServiceClientOptions;
/// use iothub_twin::tls::Trust;
///
/// let options = ServiceClientOptions {
///     trust: Trust::Pem("-----BEGIN CERTIFICATE-----\n…".into()),
///     timeout: Duration::from_secs(10),
///     ..Default::default()
/// };
/// # let _ = options;
/// ```
///
/// Nothing here is secret, so `Debug` shows it all.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceClientOptions {
    /// Which server certificates to trust: the system's roots (real hubs, the default) or a
    /// given CA such as the emulator's `ca.pem`.
    pub trust: Trust,
    /// Retries of throttled (429) and unavailable (503) calls, and of idempotent calls (GET,
    /// DELETE, PUT with `If-Match`, queries) whose connection failed. A `Retry-After` from the
    /// hub replaces the computed delay. Default: 5 retries, 200 ms doubling to 10 s, 20 % jitter.
    pub retry: RetryPolicy,
    /// Deadline of each call, retries and waits included; past it the call fails with
    /// [`Error::Timeout`](crate::Error::Timeout). Default 60 s.
    pub timeout: Duration,
    /// Limit for opening one TCP + TLS connection (a failed attempt may then be retried).
    /// Default 10 s.
    pub connect_timeout: Duration,
    /// Lifetime of the SAS tokens signed with a shared access key; each is renewed when less
    /// than a tenth of it (at most 5 minutes) is left. Default 1 hour.
    pub sas_token_ttl: Duration,
    /// The `api-version` query parameter. Default `2021-04-12`.
    pub api_version: String,
    /// Appended to the `User-Agent` header, e.g. `"my-app/1.2"`.
    pub product_info: Option<String>,
    /// An HTTP CONNECT proxy for every request; `None`: the one `HTTPS_PROXY` names, unless
    /// `NO_PROXY` exempts the hub (reqwest reads both).
    pub proxy: Option<ProxyOptions>,
}

impl ServiceClientOptions {
    /// Checks the options, with the same rules for every language: positive timeouts, a SAS
    /// token lifetime of at least a second, a sound retry policy. The client's constructors
    /// call it first.
    pub fn validate(&self) -> Result<()> {
        positive("timeout", self.timeout)?;
        positive("connect_timeout", self.connect_timeout)?;
        if self.sas_token_ttl < Duration::from_secs(1) {
            return Err(Error::invalid_argument(
                "sas_token_ttl must be at least one second",
            ));
        }
        self.retry.validate("retry")
    }
}

impl Default for ServiceClientOptions {
    fn default() -> Self {
        Self {
            trust: Trust::System,
            retry: RetryPolicy {
                initial_delay: Duration::from_millis(200),
                max_delay: Duration::from_secs(10),
                multiplier: 2.0,
                jitter: 0.2,
                max_retries: Some(5),
            },
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            sas_token_ttl: Duration::from_secs(3600),
            api_version: API_VERSION.to_owned(),
            product_info: None,
            proxy: None,
        }
    }
}
