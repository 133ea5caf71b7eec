//! The emulator's own CA and server certificate (rcgen), and the rustls server config.
//!
//! The CA key and certificate are made once and kept in the data dir, so clients that trust
//! `ca.pem` keep trusting the emulator across restarts. The server certificate (SANs
//! `localhost`, `127.0.0.1`, `::1` and `--hostname`) is kept too and re-issued only when the
//! hostname changes. TLS 1.2 stays enabled: the official Python device SDK speaks nothing else.
//! The CA itself (issuing and verifying device certificates) is in `tls/ca.rs`.

mod ca;

use ca::ca_params;
pub(crate) use ca::{CertificateAuthority, ClientCertificate, thumbprint_matches};

use std::fs;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use rcgen::{
    CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

const CA_CERT: &str = "ca.pem";
const CA_KEY: &str = "ca-key.pem";
const SERVER_CERT: &str = "server.pem";
const SERVER_KEY: &str = "server-key.pem";
const SERVER_HOST: &str = "server-hostname.txt";

/// The certificates in use.
#[derive(Debug)]
pub(crate) struct TlsMaterial {
    /// Absolute path of the CA certificate clients should trust.
    pub ca_cert_path: PathBuf,
    /// The CA certificate, PEM.
    pub ca_cert_pem: String,
    /// The CA key, PEM (it signs device certificates for X.509 CA authentication).
    pub ca_key_pem: String,
    /// The server chain (server certificate, then the CA).
    pub chain: Vec<CertificateDer<'static>>,
    /// The server key.
    pub key: PrivateKeyDer<'static>,
}

impl TlsMaterial {
    /// Loads the CA and server certificate from `dir`, making whatever is missing.
    pub(crate) fn load_or_create(dir: &Path, hostname: &str) -> anyhow::Result<Self> {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let ca_key = match read(dir, CA_KEY)? {
            Some(pem) => KeyPair::from_pem(&pem).context("reading the CA key")?,
            None => {
                let key = KeyPair::generate().context("generating the CA key")?;
                write_private(dir, CA_KEY, &key.serialize_pem())?;
                // A new key invalidates any old certificates.
                for stale in [CA_CERT, SERVER_CERT, SERVER_KEY, SERVER_HOST] {
                    let _ = fs::remove_file(dir.join(stale));
                }
                key
            }
        };
        let ca_cert_pem = match read(dir, CA_CERT)? {
            Some(pem) => pem,
            None => {
                let pem = ca_params()
                    .self_signed(&ca_key)
                    .context("signing the CA")?
                    .pem();
                fs::write(dir.join(CA_CERT), &pem)?;
                pem
            }
        };
        let current = (
            read(dir, SERVER_CERT)?,
            read(dir, SERVER_KEY)?,
            read(dir, SERVER_HOST)?,
        );
        let (server_pem, server_key_pem) = match current {
            (Some(cert), Some(key), Some(host)) if host == hostname => (cert, key),
            _ => {
                let (cert, key) = issue_server(&ca_key, hostname)?;
                fs::write(dir.join(SERVER_CERT), &cert)?;
                write_private(dir, SERVER_KEY, &key)?;
                fs::write(dir.join(SERVER_HOST), hostname)?;
                (cert, key)
            }
        };
        let mut chain = vec![CertificateDer::from_pem_slice(server_pem.as_bytes())?];
        chain.push(CertificateDer::from_pem_slice(ca_cert_pem.as_bytes())?);
        let key = PrivateKeyDer::from_pem_slice(server_key_pem.as_bytes())?;
        let ca_cert_path = fs::canonicalize(dir.join(CA_CERT))?;
        Ok(Self {
            ca_cert_path,
            ca_cert_pem,
            ca_key_pem: ca_key.serialize_pem(),
            chain,
            key,
        })
    }

    /// A rustls server config (TLS 1.2 and 1.3, ring) with the given ALPN protocols.
    pub(crate) fn server_config(&self, alpn: &[&[u8]]) -> anyhow::Result<Arc<ServerConfig>> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), self.key.clone_key())?;
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Ok(Arc::new(config))
    }

    /// The MQTT port's config: like [`Self::server_config`] without ALPN, but asking clients
    /// for an (optional) certificate, which the registry then judges (X.509 authentication).
    pub(crate) fn mqtt_server_config(&self) -> anyhow::Result<Arc<ServerConfig>> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
            .with_client_cert_verifier(ca::AnyClientCertificate::new())
            .with_single_cert(self.chain.clone(), self.key.clone_key())?;
        Ok(Arc::new(config))
    }

    /// The CA as a verifier and issuer of device certificates.
    pub(crate) fn certificate_authority(&self) -> anyhow::Result<ca::CertificateAuthority> {
        let ca = CertificateDer::from_pem_slice(self.ca_cert_pem.as_bytes())?;
        ca::CertificateAuthority::new(ca, self.ca_key_pem.clone())
    }
}

fn issue_server(ca_key: &KeyPair, hostname: &str) -> anyhow::Result<(String, String)> {
    let mut names: Vec<&str> = vec!["localhost", "127.0.0.1", "::1"];
    if !names.contains(&hostname) {
        names.push(hostname);
    }
    let mut params = CertificateParams::default();
    params.subject_alt_names = names
        .iter()
        .map(|name| match name.parse::<IpAddr>() {
            Ok(ip) => Ok(SanType::IpAddress(ip)),
            Err(_) => Ok(SanType::DnsName((*name).try_into()?)),
        })
        .collect::<Result<_, rcgen::Error>>()?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, hostname);
    params.distinguished_name = dn;
    params.use_authority_key_identifier_extension = true;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate()?;
    let issuer = Issuer::new(ca_params(), ca_key);
    let cert = params
        .signed_by(&key, &issuer)
        .context("signing the server certificate")?;
    Ok((cert.pem(), key.serialize_pem()))
}

fn read(dir: &Path, name: &str) -> anyhow::Result<Option<String>> {
    match fs::read_to_string(dir.join(name)) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", dir.join(name).display())),
    }
}

fn write_private(dir: &Path, name: &str, text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(dir.join(name))?;
    file.write_all(text.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificates_are_made_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = TlsMaterial::load_or_create(dir.path(), "localhost").unwrap();
        let again = TlsMaterial::load_or_create(dir.path(), "localhost").unwrap();
        assert_eq!(first.ca_cert_pem, again.ca_cert_pem);
        assert_eq!(first.chain[0], again.chain[0]);
        // A new hostname re-issues the server certificate under the same CA.
        let renamed = TlsMaterial::load_or_create(dir.path(), "hub.example").unwrap();
        assert_eq!(first.ca_cert_pem, renamed.ca_cert_pem);
        assert_ne!(first.chain[0], renamed.chain[0]);
        renamed.server_config(&[b"h2"]).unwrap();
    }
}
