//! Attacks on the transport: plain TCP to the TLS ports, and client certificates the hub must
//! not trust (unregistered, from another CA, another device's, or presented without its key).

use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use rumqttc::mqttbytes::v4::{ConnectReturnCode, Packet};
use rustls::client::ResolvesClientCert;
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::hub::{Hub, Outcome, connect, expect_refused, not_authorized};
use iothub_twin_test_support::mqtt::{Link, RawClient, connect_packet};

/// Sends `bytes` over plain TCP and reads until the hub closes: `Closed` when it answered with
/// nothing or a TLS alert, else what it said.
async fn plain_tcp(port: u16, bytes: &[u8]) -> Outcome {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("the hub closes a plain-TCP connection promptly");
    // A reset instead of a clean close is also a refusal.
    let _ = read;
    match answer.first() {
        None | Some(0x15) => Outcome::Closed, // 0x15: a TLS alert record
        Some(_) => Outcome::Received(json!(String::from_utf8_lossy(&answer))),
    }
}

#[tokio::test]
async fn plain_tcp_to_the_tls_ports() {
    let mut hub = Hub::start();
    let key = hub.sas_device("dev1").await;
    let mut connect = bytes::BytesMut::new();
    Packet::Connect(connect_packet(
        "dev1",
        Some(hub.device_token("dev1", &key, 3600)),
        true,
    ))
    .write(&mut connect, 1 << 20)
    .unwrap();
    let got = plain_tcp(hub.mqtt_port, &connect).await;
    expect_refused(
        "plain TCP",
        "MQTT CONNECT to the MQTT port",
        got,
        Outcome::Closed,
    );
    let got = plain_tcp(hub.https_port, &connect).await;
    expect_refused(
        "plain TCP",
        "MQTT CONNECT to the HTTPS port",
        got,
        Outcome::Closed,
    );
    let http = format!(
        "GET /twins/dev1?api-version=2021-04-12 HTTP/1.1\r\nHost: localhost\r\nAuthorization: {}\r\n\r\n",
        hub.policy_token("iothubowner")
    );
    let got = plain_tcp(hub.https_port, http.as_bytes()).await;
    expect_refused(
        "plain TCP",
        "HTTP GET to the HTTPS port",
        got,
        Outcome::Closed,
    );
    let got = plain_tcp(hub.mqtt_port, http.as_bytes()).await;
    expect_refused(
        "plain TCP",
        "HTTP GET to the MQTT port",
        got,
        Outcome::Closed,
    );
    // A plain connection that says nothing holds up no one.
    let _silent = TcpStream::connect(("127.0.0.1", hub.mqtt_port))
        .await
        .unwrap();
    let _silent_https = TcpStream::connect(("127.0.0.1", hub.https_port))
        .await
        .unwrap();
    // The hub is still healthy: TLS clients get on with their work.
    assert!(hub.is_running());
    let (_, got) = hub
        .mqtt("dev1", Some(hub.device_token("dev1", &key, 3600)))
        .await;
    assert_eq!(got, Outcome::Connack(ConnectReturnCode::Success));
    hub.owner(Method::GET, "/twins/dev1", None).await;
    hub.finish();
}

/// Presents `chain` but signs the handshake with `key`, whatever the certificate says.
#[derive(Debug)]
struct FixedCertificate(Arc<CertifiedKey>);

impl ResolvesClientCert for FixedCertificate {
    fn resolve(&self, _: &[&[u8]], _: &[rustls::SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// MQTT over TLS presenting `cert_pem` and signing with `key_pem` (which need not match), then
/// CONNECT as `client_id` without a password: the CONNACK, or `Closed` when the handshake or
/// the connection failed.
async fn with_certificate(hub: &Hub, client_id: &str, cert_pem: &str, key_pem: &str) -> Outcome {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).unwrap();
    let signer = rustls::crypto::ring::sign::any_supported_type(&key).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(hub.ca.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_client_cert_resolver(Arc::new(FixedCertificate(Arc::new(CertifiedKey::new(
        chain, signer,
    )))));
    let tcp = TcpStream::connect(("127.0.0.1", hub.mqtt_port))
        .await
        .unwrap();
    let Ok(stream) = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
    else {
        return Outcome::Closed;
    };
    let mut client = RawClient::over(Link::Tls(Box::new(stream)));
    connect(&mut client, client_id, None).await
}

fn self_signed(common_name: &str) -> (String, String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec![common_name.to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    use sha2::Digest as _;
    let thumbprint = sha2::Sha256::digest(cert.der())
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    (cert.pem(), key.serialize_pem(), thumbprint)
}

/// A certificate with common name `device_id` signed by a CA the hub has never seen.
fn from_another_ca(device_id: &str) -> (String, String) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(vec![]).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Other CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let mut params = rcgen::CertificateParams::new(vec![]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, device_id);
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &issuer).unwrap();
    (format!("{}{}", cert.pem(), ca.pem()), key.serialize_pem())
}

#[tokio::test]
async fn untrusted_client_certificates() {
    let hub = Hub::start();
    let (cert, key, thumbprint) = self_signed("x509self");
    hub.remember_pem(&key);
    hub.owner(
        Method::PUT,
        "/devices/x509self",
        Some(&json!({"authentication": {"type": "selfSigned",
            "x509Thumbprint": {"primaryThumbprint": thumbprint}}})),
    )
    .await;
    hub.owner(
        Method::PUT,
        "/devices/x509ca",
        Some(&json!({"authentication": {"type": "certificateAuthority"}})),
    )
    .await;
    hub.owner(
        Method::PUT,
        "/devices/x509ca2",
        Some(&json!({"authentication": {"type": "certificateAuthority"}})),
    )
    .await;
    hub.sas_device("sasdev").await;
    let issued = hub
        .owner(Method::POST, "/emulator/devices/x509ca/certificate", None)
        .await;
    let (ca_cert, ca_key) = (
        issued["certificate"].as_str().unwrap().to_owned(),
        issued["privateKey"].as_str().unwrap().to_owned(),
    );
    hub.remember_pem(&ca_key);
    // The genuine credentials work, so each refusal below is about the certificate.
    for (device, cert, key) in [("x509self", &cert, &key), ("x509ca", &ca_cert, &ca_key)] {
        let got = with_certificate(&hub, device, cert, key).await;
        assert_eq!(
            got,
            Outcome::Connack(ConnectReturnCode::Success),
            "{device}"
        );
    }

    let (stranger, stranger_key, _) = self_signed("x509self");
    let (foreign, foreign_key) = from_another_ca("x509ca");
    let (foreign_sas, foreign_sas_key) = from_another_ca("sasdev");
    let (_, thief_key, _) = self_signed("thief");
    for pem in [&stranger_key, &foreign_key, &foreign_sas_key, &thief_key] {
        hub.remember_pem(pem);
    }
    let cases = [
        (
            "x509self",
            &stranger,
            &stranger_key,
            "unregistered self-signed certificate",
            not_authorized(),
        ),
        (
            "x509ca",
            &foreign,
            &foreign_key,
            "certificate from another CA",
            not_authorized(),
        ),
        (
            "sasdev",
            &foreign_sas,
            &foreign_sas_key,
            "certificate for a SAS device",
            not_authorized(),
        ),
        (
            "x509ca",
            &cert,
            &key,
            "another device's self-signed certificate",
            not_authorized(),
        ),
        (
            "x509self",
            &ca_cert,
            &ca_key,
            "another device's CA-signed certificate",
            not_authorized(),
        ),
        (
            "x509ca2",
            &ca_cert,
            &ca_key,
            "CA-signed certificate naming another device",
            not_authorized(),
        ),
        // Certificates are public; without the private key the TLS handshake fails.
        (
            "x509self",
            &cert,
            &thief_key,
            "registered certificate without its key",
            Outcome::Closed,
        ),
        (
            "x509ca",
            &ca_cert,
            &thief_key,
            "CA-signed certificate without its key",
            Outcome::Closed,
        ),
    ];
    for (device, cert, key, how, expected) in cases {
        let got = with_certificate(&hub, device, cert, key).await;
        expect_refused(
            "untrusted client certificate",
            &format!("MQTT as {device}, {how}"),
            got,
            expected,
        );
    }
    hub.finish();
}
