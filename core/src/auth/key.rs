//! Shared access keys: the base64 secrets that sign SAS tokens.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use crate::{Error, Result};

type HmacSha256 = Hmac<Sha256>;

/// A symmetric key (device key or shared access policy key), as IoT Hub hands it out: standard
/// base64 with padding. Its `Debug` never shows the key.
#[derive(Clone)]
pub struct SharedAccessKey {
    base64: SecretString,
}

impl SharedAccessKey {
    /// Parses a base64 key. The error names the problem, never the key.
    pub fn from_base64(text: &str) -> Result<Self> {
        match STANDARD.decode(text) {
            Ok(bytes) if !bytes.is_empty() => Ok(Self {
                base64: SecretString::from(text),
            }),
            Ok(_) => Err(Error::InvalidArgument {
                reason: "shared access key is empty".into(),
            }),
            Err(_) => Err(Error::InvalidArgument {
                reason: "shared access key is not valid base64".into(),
            }),
        }
    }

    /// Wraps raw key bytes (for example freshly generated random bytes).
    pub fn from_bytes(bytes: &[u8]) -> Self {
        Self {
            base64: SecretString::from(STANDARD.encode(bytes)),
        }
    }

    /// The key in base64, for writing it into a connection string or a registry document.
    pub fn expose_base64(&self) -> &str {
        self.base64.expose_secret()
    }

    /// `base64(HMAC-SHA256(key, message))`, the SAS signature primitive (spec §2.2 step 5).
    pub fn sign_base64(&self, message: &[u8]) -> String {
        STANDARD.encode(self.mac(message).finalize().into_bytes())
    }

    /// Checks `signature` (raw HMAC bytes) against `message` in constant time.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.mac(message).verify_slice(signature).is_ok()
    }

    fn mac(&self, message: &[u8]) -> HmacSha256 {
        // The text was checked to be valid base64 at construction.
        let key = STANDARD
            .decode(self.base64.expose_secret())
            .unwrap_or_default();
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&key)
            .expect("HMAC-SHA256 accepts keys of any length");
        mac.update(message);
        mac
    }
}

impl fmt::Debug for SharedAccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedAccessKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_base64_without_echoing_it() {
        let err = SharedAccessKey::from_base64("not*base64!").unwrap_err();
        assert!(!err.to_string().contains("not*base64"), "{err}");
        assert!(SharedAccessKey::from_base64("").is_err());
    }

    #[test]
    fn debug_is_redacted() {
        let key = SharedAccessKey::from_base64("cGFzc3dvcmQ=").unwrap();
        assert_eq!(format!("{key:?}"), "SharedAccessKey(<redacted>)");
        assert_eq!(key.expose_base64(), "cGFzc3dvcmQ=");
    }

    #[test]
    fn from_bytes_round_trips() {
        let key = SharedAccessKey::from_bytes(b"password");
        assert_eq!(key.expose_base64(), "cGFzc3dvcmQ=");
    }
}
