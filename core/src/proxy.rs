//! HTTP CONNECT proxies (with basic auth), for networks where the hub is only reachable through
//! one: the service client's HTTPS and the device client's MQTT (over TLS or WebSockets) tunnel
//! through it. Given explicitly ([`ProxyOptions`] in the client options, from the official
//! SDKs' `ProxyOptions` / `webSocketAgent`) or taken from `HTTPS_PROXY` / `https_proxy`.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use crate::{Error, Result};

/// The port of a proxy URL without one (the usual HTTP proxy port).
const DEFAULT_PROXY_PORT: u16 = 8080;

/// An HTTP proxy that tunnels with `CONNECT`, optionally with basic auth.
#[derive(Clone)]
pub struct ProxyOptions {
    /// The proxy's host name or address.
    pub host: String,
    /// The proxy's port.
    pub port: u16,
    /// Basic-auth user name, if the proxy asks for credentials.
    pub username: Option<String>,
    password: Option<SecretString>,
}

impl fmt::Debug for ProxyOptions {
    // The password is a secret: never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyOptions")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl PartialEq for ProxyOptions {
    fn eq(&self, other: &Self) -> bool {
        (&self.host, self.port, self.basic_auth()) == (&other.host, other.port, other.basic_auth())
    }
}

impl ProxyOptions {
    /// A proxy at `host:port` without credentials.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
            username: None,
            password: None,
        }
    }

    /// The same proxy, answering its `407` with basic auth.
    pub fn with_basic_auth(
        mut self,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        self.username = Some(username.into());
        self.password = Some(SecretString::from(password.into()));
        self
    }

    /// `http://[user:password@]host[:port]` (what `HTTPS_PROXY` holds); user and password are
    /// percent-decoded. Only `http` proxies: the tunnel inside is TLS already.
    pub fn parse(url: &str) -> Result<Self> {
        let invalid =
            |why: &str| Error::invalid_argument(format!("the proxy URL is not valid: {why}"));
        let parsed = reqwest::Url::parse(url).map_err(|e| invalid(&e.to_string()))?;
        if parsed.scheme() != "http" {
            return Err(invalid("only http:// proxies are supported"));
        }
        let host = parsed.host_str().ok_or_else(|| invalid("it has no host"))?;
        let mut proxy = Self::new(host, parsed.port().unwrap_or(DEFAULT_PROXY_PORT));
        if !parsed.username().is_empty() {
            let decode = |text: &str| {
                percent_encoding::percent_decode_str(text)
                    .decode_utf8_lossy()
                    .into_owned()
            };
            proxy = proxy.with_basic_auth(
                decode(parsed.username()),
                decode(parsed.password().unwrap_or("")),
            );
        }
        Ok(proxy)
    }

    /// The proxy `HTTPS_PROXY` (or `https_proxy`) names, if one is set.
    pub fn from_env() -> Result<Option<Self>> {
        match ["HTTPS_PROXY", "https_proxy"]
            .iter()
            .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
        {
            Some(url) => Self::parse(&url).map(Some),
            None => Ok(None),
        }
    }

    /// The proxy from `HTTPS_PROXY` for connections to `host`, unless `NO_PROXY` (or
    /// `no_proxy`: comma-separated names, `.suffix` or `suffix` matching subdomains, or `*`)
    /// exempts it, as reqwest and curl read them.
    pub fn from_env_for(host: &str) -> Result<Option<Self>> {
        let exempt = ["NO_PROXY", "no_proxy"]
            .iter()
            .find_map(|name| std::env::var(name).ok())
            .is_some_and(|list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|e| !e.is_empty())
                    .any(|entry| {
                        let suffix = entry.trim_start_matches('.');
                        entry == "*" || host == suffix || host.ends_with(&format!(".{suffix}"))
                    })
            });
        if exempt { Ok(None) } else { Self::from_env() }
    }

    /// `user` and `password` for basic auth, when set.
    pub fn basic_auth(&self) -> Option<(&str, &str)> {
        let username = self.username.as_deref()?;
        Some((
            username,
            self.password.as_ref().map_or("", |p| p.expose_secret()),
        ))
    }

    /// `http://host:port`, without the credentials.
    pub(crate) fn url(&self) -> String {
        format!("http://{}:{}", self.host, self.port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls_parse_with_and_without_credentials() {
        let plain = ProxyOptions::parse("http://proxy.example:3128").unwrap();
        assert_eq!(
            (plain.host.as_str(), plain.port, plain.basic_auth()),
            ("proxy.example", 3128, None)
        );
        let auth = ProxyOptions::parse("http://me:p%40ss@10.0.0.1").unwrap();
        assert_eq!(auth.port, DEFAULT_PROXY_PORT);
        assert_eq!(auth.basic_auth(), Some(("me", "p@ss")));
        assert!(!format!("{auth:?}").contains("p@ss"));
        assert!(ProxyOptions::parse("socks5://proxy:1080").is_err());
        assert!(ProxyOptions::parse("not a url").is_err());
    }
}
