//! The security suite's harness: the emulator *binary* logging at `trace`, every secret a test
//! makes (keys, SAS tokens and their signatures) remembered, and at the end of each test the
//! emulator's log and this process's own client-side log searched for every one of them.
//!
//! Each refusal a test checks goes through [`expect_refused`], which prints one line
//! `attack: <name> [<how>]: <outcome> -> refused`; `make security` counts those lines.

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::sync::{Arc, Mutex, OnceLock};

use iothub_twin::auth::{SasToken, SharedAccessKey, unix_time_now};
use iothub_twin_emulator::Policies;
use reqwest::Method;
use rumqttc::mqttbytes::v4::{ConnectReturnCode, SubscribeReasonCode};
use serde_json::Value;

use iothub_twin_test_support::mqtt::{RawClient, connect_packet};
use iothub_twin_test_support::{EmulatorProcess, Launch, Service};

/// What the hub did with an attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// An HTTP answer: status and the `iothub-errorcode` header.
    Http(u16, Option<String>),
    /// A CONNACK with this return code.
    Connack(ConnectReturnCode),
    /// The hub closed the connection without an MQTT answer.
    Closed,
    /// A SUBACK with these return codes.
    SubAck(Vec<SubscribeReasonCode>),
    /// The first message a client received.
    Received(Value),
}

/// `401 IotHubUnauthorizedAccess`, the hub's answer to every refused service credential.
pub(crate) fn unauthorized() -> Outcome {
    Outcome::Http(401, Some("IotHubUnauthorizedAccess".to_owned()))
}

/// CONNACK 5, the hub's answer to every refused device credential.
pub(crate) fn not_authorized() -> Outcome {
    Outcome::Connack(ConnectReturnCode::NotAuthorized)
}

/// Asserts that `attack` (tried as `how`) got `expected`, and prints the tally line.
pub(crate) fn expect_refused(attack: &str, how: &str, got: Outcome, expected: Outcome) {
    let verdict = if got == expected {
        "refused"
    } else {
        "NOT REFUSED AS EXPECTED"
    };
    println!("attack: {attack} [{how}]: {got:?} (expected {expected:?}) -> {verdict}");
    assert_eq!(got, expected, "{attack} [{how}]");
}

/// The emulator binary at `trace`, and the secrets used against it.
pub(crate) struct Hub {
    binary: Option<EmulatorProcess>,
    _dir: tempfile::TempDir,
    pub(crate) ca: String,
    pub(crate) https_port: u16,
    pub(crate) mqtt_port: u16,
    pub(crate) policies: Policies,
    http: Service,
    secrets: Mutex<BTreeSet<String>>,
}

impl Hub {
    /// Starts the binary on free ports with a durable data dir (so the policy keys can be read
    /// from it, as an operator would).
    pub(crate) fn start() -> Self {
        client_log();
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let launch = || {
            Launch::new(env!("CARGO_BIN_EXE_iothub-twin-emulator"))
                .data_dir(&data)
                .free_ports()
        };
        // The store is locked while the emulator runs: a first start makes the policies, which
        // are read from the stopped store, then the emulator runs again on the same data.
        launch().log("info").start().terminate();
        let policies = read_policies(&data);
        let binary = launch().log("trace").start();
        let ca = binary.ca_pem();
        let (https_port, mqtt_port) = (binary.ready.https_port, binary.ready.mqtt_port);
        let tls = iothub_twin_test_support::tls_config(&ca, rustls::DEFAULT_VERSIONS);
        let http = Service::with_tls(&binary.ready.service_connection_string, tls);
        let hub = Self {
            binary: Some(binary),
            _dir: dir,
            ca,
            https_port,
            mqtt_port,
            policies,
            http,
            secrets: Mutex::default(),
        };
        for policy in &hub.policies.0 {
            hub.remember_key(&policy.primary_key);
            hub.remember_key(&policy.secondary_key);
        }
        hub
    }

    /// The service connection string of `policy` (its primary key).
    pub(crate) fn service_connection_string(&self, policy: &str) -> String {
        let key = &self.policies.get(policy).unwrap().primary_key;
        format!(
            "HostName=localhost:{};SharedAccessKeyName={policy};SharedAccessKey={}",
            self.https_port,
            key.expose_base64()
        )
    }

    /// Keeps `key` (and so everything signed with it) on the list of secrets to look for.
    pub(crate) fn remember_key(&self, key: &SharedAccessKey) {
        self.remember(key.expose_base64());
    }

    /// Keeps `secret` on the list of strings the logs must never contain.
    pub(crate) fn remember(&self, secret: &str) {
        let mut secrets = self.secrets.lock().unwrap();
        secrets.insert(secret.to_owned());
        if let Some(signature) = signature_of(secret) {
            // The signature both as sent (percent-encoded) and decoded.
            secrets.insert(signature.clone());
            secrets.insert(
                percent_encoding::percent_decode_str(&signature)
                    .decode_utf8_lossy()
                    .into_owned(),
            );
        }
    }

    /// Keeps the base64 lines of a PEM private key on the list.
    pub(crate) fn remember_pem(&self, pem: &str) {
        for line in pem
            .lines()
            .filter(|l| !l.starts_with("-----") && l.len() >= 32)
        {
            self.remember(line);
        }
    }

    /// Whether the emulator process is still running.
    pub(crate) fn is_running(&mut self) -> bool {
        let binary = self.binary.as_mut().unwrap();
        binary.has_exited().is_none()
    }

    /// A SAS token for `resource` signed with `key` (`skn` = `policy`), valid for `ttl` s
    /// (negative: already expired); remembered as a secret.
    pub(crate) fn token(
        &self,
        resource: &str,
        key: &SharedAccessKey,
        policy: Option<&str>,
        ttl: i64,
    ) -> String {
        let expiry = u64::try_from(unix_time_now() as i64 + ttl).unwrap();
        let token = SasToken::generate(resource, key, policy, expiry)
            .expose_secret()
            .to_owned();
        self.remember(&token);
        token
    }

    /// A token of policy `policy` for the whole hub.
    pub(crate) fn policy_token(&self, policy: &str) -> String {
        let key = self.policies.get(policy).unwrap().primary_key.clone();
        self.token("localhost", &key, Some(policy), 3600)
    }

    /// A device token for `device_id` signed with `key_base64`.
    pub(crate) fn device_token(&self, device_id: &str, key_base64: &str, ttl: i64) -> String {
        let key = SharedAccessKey::from_base64(key_base64).unwrap();
        self.remember_key(&key);
        self.token(&format!("localhost/devices/{device_id}"), &key, None, ttl)
    }

    /// A REST call with `authorization` as the header; status and `iothub-errorcode`.
    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        authorization: &str,
        body: Option<&Value>,
    ) -> (Outcome, Value) {
        let if_match = (method == Method::DELETE).then_some("*");
        let answer = self
            .http
            .send_as(authorization, method, path, body, if_match)
            .await
            .unwrap();
        // A body that is not JSON counts as none here.
        let json = if answer.body.is_string() {
            Value::Null
        } else {
            answer.body
        };
        (Outcome::Http(answer.status, answer.error_code), json)
    }

    /// A REST call with the owner policy, which must succeed.
    pub(crate) async fn owner(&self, method: Method, path: &str, body: Option<&Value>) -> Value {
        let token = self.policy_token("iothubowner");
        let (outcome, json) = self.call(method, path, &token, body).await;
        let Outcome::Http(status, _) = outcome else {
            unreachable!()
        };
        assert!((200..300).contains(&status), "{path}: {status} {json}");
        json
    }

    /// Sets a device's `status` (`enabled` / `disabled`), unconditionally.
    pub(crate) async fn set_status(&self, id: &str, status: &str) {
        let token = self.policy_token("iothubowner");
        let body = serde_json::json!({ "status": status });
        let path = format!("/devices/{id}");
        let answer = self
            .http
            .send_as(&token, Method::PUT, &path, Some(&body), Some("*"))
            .await
            .unwrap();
        assert_eq!(answer.status, 200);
    }

    /// Creates a SAS device; returns its primary key (remembered).
    pub(crate) async fn sas_device(&self, id: &str) -> String {
        let device = self
            .owner(
                Method::PUT,
                &format!("/devices/{id}"),
                Some(&serde_json::json!({})),
            )
            .await;
        let key = device["authentication"]["symmetricKey"]["primaryKey"]
            .as_str()
            .unwrap()
            .to_owned();
        self.remember(&key);
        self.remember(
            device["authentication"]["symmetricKey"]["secondaryKey"]
                .as_str()
                .unwrap(),
        );
        key
    }

    /// Opens a TLS connection to the MQTT port and sends CONNECT as `client_id` with
    /// `password`; the client and what the hub answered.
    pub(crate) async fn mqtt(
        &self,
        client_id: &str,
        password: Option<String>,
    ) -> (RawClient, Outcome) {
        let mut client = RawClient::tls(self.mqtt_port, &self.ca).await;
        let outcome = connect(&mut client, client_id, password).await;
        (client, outcome)
    }

    /// Stops the emulator, then searches its log and this process's client log for every
    /// remembered secret. The emulator log must hold `trace` lines, so the search is real.
    pub(crate) fn finish(mut self) {
        let binary = self.binary.take().unwrap();
        let (_, emulator_log) = binary.terminate();
        assert!(
            emulator_log.contains("TRACE"),
            "the emulator logged nothing at trace level"
        );
        // A canary proves the client-side capture works before it is searched.
        let canary = format!("canary-{}", rand::random::<u64>());
        tracing::trace!("{canary}");
        let client_log = String::from_utf8_lossy(&client_log().lock().unwrap()).into_owned();
        assert!(
            client_log.contains(&canary),
            "the client log capture is broken"
        );
        let secrets = self.secrets.lock().unwrap();
        let mut hits = Vec::new();
        for secret in secrets.iter() {
            for (name, log) in [("emulator", &emulator_log), ("client", &client_log)] {
                if let Some(at) = log.find(secret.as_str()) {
                    let line_start = log[..at].rfind('\n').map_or(0, |n| n + 1);
                    let line_end = log[at..].find('\n').map_or(log.len(), |n| at + n);
                    hits.push(format!("{name} log: {}", &log[line_start..line_end]));
                }
            }
        }
        // Secrets the clients made themselves (the core device client signs its own tokens):
        // any unredacted `sig=` or `SharedAccessKey=` value.
        for (name, log) in [("emulator", &emulator_log), ("client", &client_log)] {
            hits.extend(
                unredacted_values(log)
                    .into_iter()
                    .map(|line| format!("{name} log (pattern): {line}")),
            );
        }
        println!(
            "secrets: {} secret strings searched in {} bytes of emulator log and {} bytes of client log: {} hits",
            secrets.len(),
            emulator_log.len(),
            client_log.len(),
            hits.len()
        );
        assert!(hits.is_empty(), "secrets in logs:\n{}", hits.join("\n"));
    }
}

/// CONNECT on an open client: the CONNACK code, or `Closed`.
pub(crate) async fn connect(
    client: &mut RawClient,
    client_id: &str,
    password: Option<String>,
) -> Outcome {
    client
        .send(rumqttc::mqttbytes::v4::Packet::Connect(connect_packet(
            client_id, password, true,
        )))
        .await;
    match client.recv().await {
        Some(rumqttc::mqttbytes::v4::Packet::ConnAck(ack)) => Outcome::Connack(ack.code),
        None => Outcome::Closed,
        Some(other) => panic!("expected CONNACK, got {other:?}"),
    }
}

/// Lines holding a `sig=` or `SharedAccessKey=` followed by something else than the redaction
/// marker.
fn unredacted_values(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|line| {
            ["sig=", "SharedAccessKey="].iter().any(|field| {
                line.match_indices(field).any(|(at, _)| {
                    let value: String = line[at + field.len()..]
                        .chars()
                        .take_while(|c| !"&;\"' ,}\\".contains(*c))
                        .collect();
                    value.len() >= 16 && value != "<redacted>"
                })
            })
        })
        .collect()
}

/// `sig=` of a SAS token, as transmitted.
fn signature_of(token: &str) -> Option<String> {
    let fields = token.strip_prefix("SharedAccessSignature ")?;
    fields
        .split('&')
        .find_map(|f| f.strip_prefix("sig="))
        .map(str::to_owned)
}

/// The policies as the emulator stored them in its data dir.
fn read_policies(data_dir: &std::path::Path) -> Policies {
    let db = rusqlite::Connection::open_with_flags(
        data_dir.join("iothub-twin.sqlite"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let json: String = db
        .query_row("SELECT value FROM meta WHERE key = 'policies'", [], |row| {
            row.get(0)
        })
        .unwrap();
    Policies::from_json(&json).unwrap()
}

/// Everything this test process logs (the core clients, reqwest, rustls, rumqttc) at `trace`,
/// kept in memory (tungstenite at `debug`, see below). One subscriber per process, installed by the first test that needs it.
pub(crate) fn client_log() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = MemoryWriter(buffer.clone());
        // Everything at TRACE except the one target core/README.md ("Logging") tells
        // applications to cap: tungstenite logs each WebSocket frame it sends, payload and so
        // the CONNECT's SAS token included (the suite found it; no setting of the library
        // avoids it).
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "trace,tungstenite=debug",
            ))
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .try_init()
            .expect("the security suite installs the only log subscriber");
        buffer
    })
}

#[derive(Clone)]
struct MemoryWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for MemoryWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
