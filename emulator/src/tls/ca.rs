//! X.509 client certificates on the MQTT port (spec §3.1, §4.5): the TLS layer asks every client
//! for a certificate but requires none (SAS clients send none); after the handshake, which
//! proves the client holds the certificate's key, the registry decides: a `selfSigned`
//! identity by SHA-1 or SHA-256 thumbprint of the leaf, a `certificateAuthority` identity by a
//! chain to the emulator's own CA whose leaf's common name is the device id.
//!
//! The emulator's CA stands in for the CA certificates a real hub has uploaded and verified;
//! [`CertificateAuthority::issue`] signs device certificates with it, for tests and users.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName as TlsName, SignatureScheme};
use rustls_pki_types::{CertificateDer, UnixTime};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// A client's certificate chain as presented in the handshake.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ClientCertificate<'a> {
    pub leaf: &'a CertificateDer<'static>,
    pub chain: &'a [CertificateDer<'static>],
}

/// Whether `thumbprint` (hex, any case) is the SHA-1 or SHA-256 of the certificate.
pub(crate) fn thumbprint_matches(certificate: &CertificateDer<'_>, thumbprint: &str) -> bool {
    let wanted = thumbprint.to_ascii_lowercase();
    let sha1 = hex(&Sha1::digest(certificate.as_ref()));
    let sha256 = hex(&Sha256::digest(certificate.as_ref()));
    wanted == sha1 || wanted == sha256
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The emulator CA as a verifier (and issuer) of device certificates.
#[derive(Debug)]
pub(crate) struct CertificateAuthority {
    verifier: Arc<dyn ClientCertVerifier>,
    ca_key_pem: String,
}

impl CertificateAuthority {
    pub(crate) fn new(
        ca_cert: CertificateDer<'static>,
        ca_key_pem: String,
    ) -> anyhow::Result<Self> {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(ca_cert)?;
        let verifier =
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider()).build()?;
        Ok(Self {
            verifier,
            ca_key_pem,
        })
    }

    /// Whether the chain leads to the emulator CA and the leaf's common name is `device_id`.
    pub(crate) fn verifies(&self, certificate: &ClientCertificate<'_>, device_id: &str) -> bool {
        let intermediates = certificate.chain.get(1..).unwrap_or_default();
        self.verifier
            .verify_client_cert(certificate.leaf, intermediates, UnixTime::now())
            .is_ok()
            && common_name(certificate.leaf).as_deref() == Some(device_id)
    }

    /// A client certificate for `common_name` signed by the emulator CA: `(cert PEM, key PEM)`.
    pub(crate) fn issue(&self, common_name: &str) -> anyhow::Result<(String, String)> {
        let ca_key = KeyPair::from_pem(&self.ca_key_pem)?;
        let issuer = Issuer::new(ca_params(), ca_key);
        let mut params = CertificateParams::default();
        let mut name = DistinguishedName::new();
        name.push(DnType::CommonName, common_name);
        params.distinguished_name = name;
        params.use_authority_key_identifier_extension = true;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &issuer)?;
        Ok((cert.pem(), key.serialize_pem()))
    }
}

/// The CA's parameters. Deterministic, so the issuer can be rebuilt from the stored key alone.
pub(crate) fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, "iothub-twin emulator CA");
    name.push(DnType::OrganizationName, "iothub-twin");
    params.distinguished_name = name;
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}

/// The leaf's subject common name.
fn common_name(certificate: &CertificateDer<'_>) -> Option<String> {
    let (_, parsed) = x509_parser::parse_x509_certificate(certificate.as_ref()).ok()?;
    let name = parsed
        .subject()
        .iter_common_name()
        .next()?
        .as_str()
        .ok()?
        .to_owned();
    Some(name)
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Asks for a client certificate, accepts any (or none), and checks only that the client
/// holds its key; the registry decides afterwards.
#[derive(Debug)]
pub(crate) struct AnyClientCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

impl AnyClientCertificate {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            algorithms: provider().signature_verification_algorithms,
        })
    }
}

impl ClientCertVerifier for AnyClientCertificate {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[TlsName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbprints_match_by_sha1_or_sha256_in_any_case() {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(vec!["d".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let der = cert.der();
        let sha1 = hex(&Sha1::digest(der.as_ref()));
        let sha256 = hex(&Sha256::digest(der.as_ref()));
        assert_eq!((sha1.len(), sha256.len()), (40, 64));
        assert!(thumbprint_matches(der, &sha1));
        assert!(thumbprint_matches(der, &sha256.to_ascii_uppercase()));
        assert!(!thumbprint_matches(der, &"0".repeat(40)));
    }
}
