//! TLS for the clients: rustls with the *ring* provider chosen explicitly (so nothing depends
//! on a process-wide default provider), trusting either the system's roots or a given CA.

use std::sync::Arc;

use rustls::ClientConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::{Error, Result};

/// Which server certificates to trust.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Trust {
    /// The operating system's roots (honouring `SSL_CERT_FILE`): real IoT Hubs.
    #[default]
    System,
    /// Only these PEM certificates, e.g. the emulator's `ca.pem`.
    Pem(String),
    /// As [`Trust::Pem`], the text shared rather than copied into each client's options: for a
    /// binding whose every client passes the same large bundle (Node with
    /// `NODE_EXTRA_CA_CERTS`: its ~140 roots plus the extra file, ~220 KB).
    Shared(Arc<str>),
}

/// An X.509 client certificate (PEM chain, leaf first) and its private key (PEM).
#[derive(Clone, PartialEq, Eq)]
pub struct ClientCertificate {
    /// Certificate chain, PEM.
    pub certificate_pem: String,
    /// Private key, PEM. Redacted in `Debug`.
    pub private_key_pem: String,
}

impl ClientCertificate {
    /// The certificate of a binding's two optional PEM arguments: both or neither.
    pub fn from_parts(
        certificate_pem: Option<String>,
        private_key_pem: Option<String>,
    ) -> crate::Result<Option<Self>> {
        match (certificate_pem, private_key_pem) {
            (Some(certificate_pem), Some(private_key_pem)) => Ok(Some(Self {
                certificate_pem,
                private_key_pem,
            })),
            (None, None) => Ok(None),
            _ => Err(crate::Error::invalid_argument(
                "an X.509 client certificate needs both the certificate and its private key",
            )),
        }
    }
}

impl std::fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("private_key_pem", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// A rustls client config (ring) for `trust`, offering the `alpn` protocols and presenting
/// `certificate` when given.
pub fn client_config(
    trust: &Trust,
    alpn: &[&[u8]],
    certificate: Option<&ClientCertificate>,
) -> Result<Arc<ClientConfig>> {
    let mut roots = rustls::RootCertStore::empty();
    match trust {
        Trust::Pem(pem) => add_pem(&mut roots, pem)?,
        Trust::Shared(pem) => add_pem(&mut roots, pem)?,
        Trust::System => {
            let found = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(found.certs);
            if roots.is_empty() {
                return Err(invalid(
                    "no trusted root certificates found on this system".to_owned(),
                ));
            }
        }
    }
    let builder =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| invalid(e.to_string()))?
            .with_root_certificates(roots);
    let mut config = match certificate {
        Some(identity) => {
            let chain = CertificateDer::pem_slice_iter(identity.certificate_pem.as_bytes())
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| invalid(format!("the client certificate is not PEM: {e}")))?;
            let key = PrivateKeyDer::from_pem_slice(identity.private_key_pem.as_bytes())
                .map_err(|_| invalid("the client private key is not PEM".to_owned()))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| invalid(format!("the client certificate is not usable: {e}")))?
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(Arc::new(config))
}

fn add_pem(roots: &mut rustls::RootCertStore, pem: &str) -> Result<()> {
    for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        let cert = cert.map_err(|e| invalid(format!("the CA certificate is not PEM: {e}")))?;
        roots
            .add(cert)
            .map_err(|e| invalid(format!("the CA certificate is not usable: {e}")))?;
    }
    if roots.is_empty() {
        return Err(invalid("the CA PEM holds no certificate".to_owned()));
    }
    Ok(())
}

fn invalid(reason: String) -> Error {
    Error::InvalidArgument { reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_pem_is_a_clear_error() {
        let err = client_config(&Trust::Pem("not a certificate".into()), &[], None).unwrap_err();
        assert!(err.to_string().contains("no certificate"), "{err}");
        let debug = format!(
            "{:?}",
            ClientCertificate {
                certificate_pem: "c".into(),
                private_key_pem: "SECRET".into()
            }
        );
        assert!(!debug.contains("SECRET"));
    }
}
