//! How a device client proves who it is: every way the official SDKs offer
//! (`create_from_connection_string`, `create_from_sastoken`, `create_from_symmetric_key`,
//! `create_from_x509_certificate`), behind the one [`DeviceClient::connect_with`].
//!
//! [`DeviceClient::connect_with`]: super::DeviceClient::connect_with

use std::fmt;

use super::link::DeviceIdentity;
use crate::auth::{
    DeviceAuth, DeviceConnectionString, SasToken, SharedAccessKey, check_identity_id, unix_time_now,
};
use crate::{Error, Result};

/// The credential a device client connects with.
#[derive(Clone)]
#[non_exhaustive]
pub enum DeviceCredential {
    /// A device or module connection string (`SharedAccessKey`, `SharedAccessSignature` or
    /// `x509=true` with the certificate in `DeviceClientOptions::client_certificate`).
    ConnectionString(String),
    /// A ready-made device or module SAS token (`SharedAccessSignature sr=…`); the hub and
    /// identity come from its `sr`. It cannot be renewed, so the connection ends when it
    /// expires; an expired token is refused at once.
    SasToken(String),
    /// A device, module or policy key for `identity`: the client makes (and renews) SAS
    /// tokens from it.
    SymmetricKey {
        /// Who connects.
        identity: DeviceIdentity,
        /// The key.
        key: SharedAccessKey,
        /// The policy name (`skn`), when the key is a shared access policy key.
        key_name: Option<String>,
    },
    /// The X.509 client certificate of `DeviceClientOptions::client_certificate`.
    X509 {
        /// Who connects.
        identity: DeviceIdentity,
    },
}

impl fmt::Debug for DeviceCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ConnectionString(_) => f.write_str("ConnectionString(<redacted>)"),
            Self::SasToken(_) => f.write_str("SasToken(<redacted>)"),
            Self::SymmetricKey { identity, .. } => f
                .debug_struct("SymmetricKey")
                .field("identity", identity)
                .finish_non_exhaustive(),
            Self::X509 { identity } => f.debug_struct("X509").field("identity", identity).finish(),
        }
    }
}

/// What the connection signs with, once the credential is understood.
#[derive(Clone, Debug)]
pub(crate) enum Secret {
    Key {
        key: SharedAccessKey,
        key_name: Option<String>,
    },
    Token(SasToken),
    X509,
}

impl DeviceCredential {
    /// The identity and what to sign with; every parse and check happens here, so a bad
    /// credential fails the same way from every language, before anything is sent.
    pub(crate) fn resolve(self) -> Result<(DeviceIdentity, Secret)> {
        match self {
            Self::ConnectionString(text) => {
                let parsed: DeviceConnectionString = text.parse()?;
                let secret = match parsed.auth {
                    DeviceAuth::SharedAccessKey { key, key_name } => Secret::Key { key, key_name },
                    DeviceAuth::SharedAccessSignature(token) => Secret::Token(token),
                    DeviceAuth::X509 => Secret::X509,
                };
                let identity = DeviceIdentity {
                    host_name: parsed.host_name,
                    device_id: parsed.device_id,
                    module_id: parsed.module_id,
                    gateway_host_name: parsed.gateway_host_name,
                };
                Ok((identity, secret))
            }
            Self::SasToken(text) => {
                let token = SasToken::parse(&text)
                    .map_err(|e| Error::invalid_argument(format!("not a SAS token: {e}")))?;
                token
                    .check_expiry(unix_time_now())
                    .map_err(|e| Error::invalid_argument(e.to_string()))?;
                let identity = DeviceIdentity::from_sas_token(&token)?;
                Ok((identity, Secret::Token(token)))
            }
            Self::SymmetricKey {
                identity,
                key,
                key_name,
            } => Ok((checked(identity)?, Secret::Key { key, key_name })),
            Self::X509 { identity } => Ok((checked(identity)?, Secret::X509)),
        }
    }
}

fn checked(identity: DeviceIdentity) -> Result<DeviceIdentity> {
    check_identity_id("deviceId", &identity.device_id).map_err(Error::invalid_argument)?;
    if let Some(module) = &identity.module_id {
        check_identity_id("moduleId", module).map_err(Error::invalid_argument)?;
    }
    Ok(identity)
}
