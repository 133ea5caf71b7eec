//! mosquitto as the raw-MQTT baseline: started on 127.0.0.1 with a generated config and a TLS
//! certificate made here with rcgen (ECDSA P-256, as the emulator's), stopped on drop.

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};

/// A running mosquitto.
#[derive(Debug)]
pub struct Mosquitto {
    child: Child,
    /// The TLS listener's port on 127.0.0.1.
    pub port: u16,
    /// The CA that signed its server certificate, PEM.
    pub ca_pem: String,
    _dir: tempfile::TempDir,
}

impl Mosquitto {
    /// Starts `mosquitto` (from `PATH`) with one TLS listener on a free port; returns once the
    /// port accepts connections.
    pub fn start() -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let (ca_pem, cert_pem, key_pem) = certificates()?;
        let path = |name: &str| dir.path().join(name);
        std::fs::write(path("ca.pem"), &ca_pem)?;
        std::fs::write(path("server.pem"), &cert_pem)?;
        std::fs::write(path("server-key.pem"), &key_pem)?;
        let port = super::free_port()?;
        // `user root`: stay the user who started it (else it switches to `mosquitto`, which
        // cannot read the key in our private temp dir).
        let config = format!(
            "user root\nallow_anonymous true\npersistence false\nlog_dest stderr\n\
             log_type error\nlog_type warning\nset_tcp_nodelay true\n\
             listener {port} 127.0.0.1\ncafile {}\ncertfile {}\nkeyfile {}\n",
            path("ca.pem").display(),
            path("server.pem").display(),
            path("server-key.pem").display(),
        );
        std::fs::write(path("mosquitto.conf"), config)?;
        let mut child = Command::new("mosquitto")
            .arg("-c")
            .arg(path("mosquitto.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting mosquitto (make bench installs it)")?;
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = child.try_wait()? {
                bail!("mosquitto exited: {status}");
            }
            if started.elapsed() > Duration::from_secs(10) {
                bail!("mosquitto did not listen on {port} within 10 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Self {
            child,
            port,
            ca_pem,
            _dir: dir,
        })
    }

    /// mosquitto's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `mosquitto -h`'s first line, e.g. `mosquitto version 2.0.11`.
    pub fn version() -> String {
        Command::new("mosquitto")
            .arg("-h")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.lines().next().map(str::to_owned))
            .unwrap_or_default()
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// (CA PEM, server certificate PEM for `localhost`/`127.0.0.1`, server key PEM).
fn certificates() -> anyhow::Result<(String, String, String)> {
    let ca_key = KeyPair::generate()?;
    let mut ca = CertificateParams::default();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, "iothub-twin bench CA");
    ca.distinguished_name = name;
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_pem = ca.self_signed(&ca_key)?.pem();

    let mut server = CertificateParams::default();
    server.subject_alt_names = vec![
        SanType::DnsName("localhost".try_into()?),
        SanType::IpAddress([127, 0, 0, 1].into()),
    ];
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, "localhost");
    server.distinguished_name = name;
    server.use_authority_key_identifier_extension = true;
    let key = KeyPair::generate()?;
    let cert = server.signed_by(&key, &Issuer::new(ca, &ca_key))?;
    Ok((ca_pem, cert.pem(), key.serialize_pem()))
}
