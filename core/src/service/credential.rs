//! Where the `Authorization` header comes from: SAS tokens signed with a shared access policy
//! key (cached, renewed before expiry), a fixed token from a connection string, or a
//! caller-supplied [`TokenProvider`] (e.g. Microsoft Entra `Bearer` tokens).
//!
//! No token ever reaches a log: every `Debug` here redacts, and header values are marked
//! sensitive.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use reqwest::header::HeaderValue;

use crate::auth::{HostPort, SasToken, SharedAccessKey, unix_time_now};
use crate::{Error, Result};

/// Supplies the `Authorization` header of every request, e.g. a Microsoft Entra access token
/// for scope `https://iothubs.azure.net/.default` as `Bearer <token>`.
///
/// Implement it with an `async fn`; it is called before every attempt, so it should cache and
/// renew tokens itself. An error it returns fails the call as is (it is not retried).
///
/// ```
/// use iothub_twin::service::TokenProvider;
///
/// struct Entra;
///
/// impl TokenProvider for Entra {
///     async fn token(&self) -> iothub_twin::Result<String> {
///         Ok(format!("Bearer {}", "eyJ0eXAi…"))
///     }
/// }
/// ```
pub trait TokenProvider: Send + Sync + 'static {
    /// The full `Authorization` header value (`Bearer …` or `SharedAccessSignature …`).
    fn token(&self) -> impl Future<Output = Result<String>> + Send;
}

/// The object-safe form of [`TokenProvider`] the client stores.
pub(crate) trait DynTokenProvider: Send + Sync {
    fn token_boxed(&self) -> BoxFuture<'_, Result<String>>;
}

impl<T: TokenProvider> DynTokenProvider for T {
    fn token_boxed(&self) -> BoxFuture<'_, Result<String>> {
        Box::pin(self.token())
    }
}

/// SAS tokens for a shared access policy (`skn`), signed over the hub's host name, cached and
/// renewed when less than a tenth of their lifetime (at most 5 minutes) is left.
///
/// `Debug` shows the hub and policy, never the key or a token.
pub struct SasTokenProvider {
    resource: String,
    key_name: String,
    key: SharedAccessKey,
    ttl: Duration,
    cached: Mutex<Option<Cached>>,
}

#[derive(Clone)]
struct Cached {
    header: HeaderValue,
    expiry: u64,
}

impl SasTokenProvider {
    /// Tokens for policy `key_name` with `key` on hub `host_name`, each valid for `ttl`
    /// (at least one second).
    pub fn new(
        host_name: &HostPort,
        key_name: &str,
        key: SharedAccessKey,
        ttl: Duration,
    ) -> Result<Self> {
        if ttl < Duration::from_secs(1) {
            return Err(Error::InvalidArgument {
                reason: "the SAS token lifetime must be at least one second".into(),
            });
        }
        Ok(Self {
            resource: host_name.to_string(),
            key_name: key_name.to_owned(),
            key,
            ttl,
            cached: Mutex::new(None),
        })
    }

    /// How long before expiry a token is replaced: a tenth of its lifetime, at most 5 minutes.
    pub fn renewal_margin(&self) -> Duration {
        (self.ttl / 10).min(Duration::from_secs(300))
    }

    /// The header value to use at `now` (Unix seconds): the cached token, or a new one when
    /// the cached one is within the renewal margin of its expiry.
    pub(crate) fn header_at(&self, now: u64) -> HeaderValue {
        let mut cached = self.cached.lock().unwrap_or_else(|e| e.into_inner());
        let margin = self.renewal_margin().as_secs();
        if let Some(c) = cached.as_ref()
            && c.expiry.saturating_sub(now) > margin
        {
            return c.header.clone();
        }
        let expiry = now + self.ttl.as_secs();
        let token = SasToken::generate(&self.resource, &self.key, Some(&self.key_name), expiry);
        let header = sensitive(token.expose_secret()).expect("SAS tokens are ASCII");
        *cached = Some(Cached {
            header: header.clone(),
            expiry,
        });
        header
    }
}

impl TokenProvider for SasTokenProvider {
    async fn token(&self) -> Result<String> {
        let header = self.header_at(unix_time_now());
        Ok(header.to_str().unwrap_or_default().to_owned())
    }
}

impl fmt::Debug for SasTokenProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SasTokenProvider")
            .field("resource", &self.resource)
            .field("key_name", &self.key_name)
            .field("key", &crate::auth::REDACTED)
            .field("ttl", &self.ttl)
            .finish()
    }
}

/// What a client signs its requests with.
#[derive(Clone)]
pub(crate) enum Credential {
    /// A shared access key: tokens made and renewed here.
    Sas(Arc<SasTokenProvider>),
    /// A ready-made token (`SharedAccessSignature=` in the connection string): not renewable.
    Fixed(HeaderValue),
    /// The caller's provider.
    Provider(Arc<dyn DynTokenProvider>),
}

impl Credential {
    pub(crate) fn fixed(token: &SasToken) -> Result<Self> {
        sensitive(token.expose_secret()).map(Credential::Fixed)
    }

    pub(crate) fn provider(provider: impl TokenProvider) -> Self {
        Credential::Provider(Arc::new(provider))
    }

    /// The `Authorization` value for the next attempt.
    pub(crate) async fn authorization(&self) -> Result<HeaderValue> {
        match self {
            Credential::Sas(sas) => Ok(sas.header_at(unix_time_now())),
            Credential::Fixed(header) => Ok(header.clone()),
            Credential::Provider(provider) => sensitive(&provider.token_boxed().await?),
        }
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::Sas(sas) => sas.fmt(f),
            Credential::Fixed(_) => f.write_str("SharedAccessSignature(<redacted>)"),
            Credential::Provider(_) => f.write_str("TokenProvider(..)"),
        }
    }
}

/// A header value marked sensitive (HTTP/2 never indexes it, hyper never prints it).
fn sensitive(value: &str) -> Result<HeaderValue> {
    let mut header = HeaderValue::from_str(value).map_err(|_| {
        Error::authentication("the token is not a valid Authorization header value")
    })?;
    header.set_sensitive(true);
    Ok(header)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(ttl: u64) -> SasTokenProvider {
        SasTokenProvider::new(
            &"myhub.example:8443".parse().unwrap(),
            "iothubowner",
            SharedAccessKey::from_base64("cGFzc3dvcmQ=").unwrap(),
            Duration::from_secs(ttl),
        )
        .unwrap()
    }

    #[test]
    fn tokens_are_cached_and_renewed_before_expiry() {
        let sas = provider(3600);
        assert_eq!(sas.renewal_margin(), Duration::from_secs(300));
        let first = sas.header_at(1_000);
        let text = first.to_str().unwrap();
        assert!(text.starts_with("SharedAccessSignature sr=myhub.example%3A8443&sig="));
        assert!(text.ends_with("&se=4600&skn=iothubowner"), "{text}");
        assert!(first.is_sensitive());
        // Still more than the 5-minute margin left: the same token.
        assert_eq!(sas.header_at(1_000 + 3600 - 301), first);
        // Within the margin: a new token with a later expiry.
        let renewed = sas.header_at(1_000 + 3600 - 300);
        assert_ne!(renewed, first);
        assert!(renewed.to_str().unwrap().contains("&se=7900&"));

        let short = provider(60);
        assert_eq!(short.renewal_margin(), Duration::from_secs(6));
        let a = short.header_at(0);
        assert_eq!(short.header_at(53), a);
        assert_ne!(short.header_at(54), a);
    }

    #[test]
    fn debug_never_shows_key_or_token() {
        let sas = provider(3600);
        let token = sas.header_at(unix_time_now());
        let sig = token.to_str().unwrap().split("sig=").nth(1).unwrap()[..10].to_owned();
        for shown in [
            format!("{sas:?}"),
            format!("{:?}", Credential::Sas(Arc::new(provider(3600)))),
            format!(
                "{:?}",
                Credential::fixed(&SasToken::parse(token.to_str().unwrap()).unwrap()).unwrap()
            ),
        ] {
            assert!(!shown.contains("cGFzc3dvcmQ="), "{shown}");
            assert!(!shown.contains(&sig), "{shown}");
        }
        assert!(
            SasTokenProvider::new(
                &"h".parse().unwrap(),
                "p",
                SharedAccessKey::from_bytes(b"k"),
                Duration::ZERO
            )
            .is_err()
        );
    }
}
