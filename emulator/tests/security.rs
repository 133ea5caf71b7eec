//! Security suite: one test per attack, each asserting the hub's exact
//! refusal over REST and MQTT wherever the attack applies, against the emulator binary logging
//! at `trace`; every test ends by searching the emulator's and the clients' logs for every
//! key, token and signature it used (`hub.finish()`). `make security` runs it and counts the
//! `attack:` lines.

#[path = "security/hub.rs"]
mod hub;
#[path = "security/isolation.rs"]
mod isolation;
#[path = "security/normal_flow.rs"]
mod normal_flow;
#[path = "security/transport.rs"]
mod transport;

use hub::{Hub, Outcome, expect_refused, not_authorized, unauthorized};
use iothub_twin::auth::SharedAccessKey;
use iothub_twin_test_support::RawClient;
use reqwest::Method;
use rumqttc::mqttbytes::v4::ConnectReturnCode;
use serde_json::{Value, json};

/// A fresh random key no identity or policy has.
fn stranger_key(hub: &Hub) -> SharedAccessKey {
    let key = SharedAccessKey::from_bytes(&rand::random::<[u8; 32]>());
    hub.remember_key(&key);
    key
}

#[tokio::test]
async fn wrong_key() {
    let hub = Hub::start();
    hub.sas_device("dev1").await;
    let wrong = stranger_key(&hub);
    let token = hub.token("localhost/devices/dev1", &wrong, None, 3600);
    let (_, got) = hub.mqtt("dev1", Some(token)).await;
    expect_refused("wrong key", "MQTT device token", got, not_authorized());
    let token = hub.token("localhost", &wrong, Some("iothubowner"), 3600);
    let (got, _) = hub.call(Method::GET, "/twins/dev1", &token, None).await;
    expect_refused("wrong key", "REST owner policy", got, unauthorized());
    let token = hub.token("localhost/devices/dev1", &wrong, Some("device"), 3600);
    let (_, got) = hub.mqtt("dev1", Some(token)).await;
    expect_refused("wrong key", "MQTT device policy", got, not_authorized());
    let token = hub.token("localhost/devices/dev1", &wrong, None, 3600);
    let (mut client, _) = RawClient::websocket(hub.https_port, &hub.ca, "mqtt").await;
    let got = hub::connect(&mut client, "dev1", Some(token)).await;
    expect_refused("wrong key", "MQTT over WebSockets", got, not_authorized());
    // Without --entra-token no bearer token is valid.
    let bearer = "Bearer eyJhbGciOiJIUzI1NiJ9.e30.wrong";
    hub.remember(bearer);
    let (got, _) = hub.call(Method::GET, "/twins/dev1", bearer, None).await;
    expect_refused("wrong key", "REST bearer token", got, unauthorized());
    hub.finish();
}

#[tokio::test]
async fn expired_token() {
    let hub = Hub::start();
    let key = hub.sas_device("dev1").await;
    let (_, got) = hub
        .mqtt("dev1", Some(hub.device_token("dev1", &key, -5)))
        .await;
    expect_refused("expired token", "MQTT CONNECT", got, not_authorized());
    let owner = hub.policies.get("iothubowner").unwrap().primary_key.clone();
    let token = hub.token("localhost", &owner, Some("iothubowner"), -5);
    let (got, _) = hub.call(Method::GET, "/twins/dev1", &token, None).await;
    expect_refused("expired token", "REST", got, unauthorized());
    // A connection outlives its token by nothing: the hub closes it when `se` passes (4 s
    // leave room for a slow CONNECT on a busy machine).
    let (mut client, got) = hub
        .mqtt("dev1", Some(hub.device_token("dev1", &key, 4)))
        .await;
    assert_eq!(got, Outcome::Connack(ConnectReturnCode::Success));
    let dropped = match client.recv_within(std::time::Duration::from_secs(15)).await {
        None => Outcome::Closed,
        Some(packet) => panic!("expected the close, got {packet:?}"),
    };
    expect_refused(
        "expired token",
        "open MQTT connection",
        dropped,
        Outcome::Closed,
    );
    hub.finish();
}

#[tokio::test]
async fn token_for_another_device() {
    let hub = Hub::start();
    let key_a = hub.sas_device("dev-a").await;
    let key_b = hub.sas_device("dev-b").await;
    let token_b = hub.device_token("dev-b", &key_b, 3600);
    let (_, got) = hub.mqtt("dev-a", Some(token_b.clone())).await;
    expect_refused("token of device B", "MQTT as A", got, not_authorized());
    let (_, got) = hub.mqtt("dev-a/mod1", Some(token_b.clone())).await;
    expect_refused(
        "token of device B",
        "MQTT as a module of A",
        got,
        not_authorized(),
    );
    // A DeviceConnect policy token scoped to B does not open A.
    let device_policy = hub.policies.get("device").unwrap().primary_key.clone();
    let scoped_b = hub.token(
        "localhost/devices/dev-b",
        &device_policy,
        Some("device"),
        3600,
    );
    let (_, got) = hub.mqtt("dev-a", Some(scoped_b)).await;
    expect_refused(
        "policy token scoped to B",
        "MQTT as A",
        got,
        not_authorized(),
    );
    // A module's token does not open its device, nor the device's token its module.
    let module = hub
        .owner(Method::PUT, "/devices/dev-a/modules/mod1", Some(&json!({})))
        .await;
    let module_key = module["authentication"]["symmetricKey"]["primaryKey"]
        .as_str()
        .unwrap()
        .to_owned();
    let module_key = SharedAccessKey::from_base64(&module_key).unwrap();
    hub.remember_key(&module_key);
    let module_token = hub.token(
        "localhost/devices/dev-a/modules/mod1",
        &module_key,
        None,
        3600,
    );
    let (_, got) = hub.mqtt("dev-a", Some(module_token)).await;
    expect_refused(
        "token of module A/mod1",
        "MQTT as device A",
        got,
        not_authorized(),
    );
    let (_, got) = hub
        .mqtt("dev-a/mod1", Some(hub.device_token("dev-a", &key_a, 3600)))
        .await;
    expect_refused(
        "token of device A",
        "MQTT as module A/mod1",
        got,
        not_authorized(),
    );
    // REST: a device token is no service credential, not even for its own twin.
    for path in ["/twins/dev-a", "/twins/dev-b", "/devices/dev-a"] {
        let (got, _) = hub.call(Method::GET, path, &token_b, None).await;
        expect_refused(
            "token of device B",
            &format!("REST GET {path}"),
            got,
            unauthorized(),
        );
    }
    // An owner-policy token scoped to B's resource covers neither A nor the service API.
    let owner = hub.policies.get("iothubowner").unwrap().primary_key.clone();
    let owner_b = hub.token("localhost/devices/dev-b", &owner, Some("iothubowner"), 3600);
    let (got, _) = hub.call(Method::GET, "/twins/dev-a", &owner_b, None).await;
    expect_refused(
        "owner token scoped to B",
        "REST GET A's twin",
        got,
        unauthorized(),
    );
    let patch = json!({"properties": {"desired": {"hijacked": true}}});
    let (got, _) = hub
        .call(Method::PATCH, "/twins/dev-a", &owner_b, Some(&patch))
        .await;
    expect_refused(
        "owner token scoped to B",
        "REST PATCH A's twin",
        got,
        unauthorized(),
    );
    let twin = hub.owner(Method::GET, "/twins/dev-a", None).await;
    assert_eq!(twin["properties"]["desired"].get("hijacked"), None);
    hub.finish();
}

#[tokio::test]
async fn policy_lacking_the_permission() {
    let hub = Hub::start();
    hub.sas_device("dev1").await;
    let patch = json!({"properties": {"desired": {"x": 1}}});
    let new_device = json!({});
    let query = json!({"query": "SELECT * FROM devices"});
    let cases: [(&str, Method, &str, Option<&Value>); 9] = [
        ("registryRead", Method::PATCH, "/twins/dev1", Some(&patch)),
        ("registryReadWrite", Method::GET, "/twins/dev1", None),
        ("registryRead", Method::POST, "/devices/query", Some(&query)),
        ("device", Method::GET, "/twins/dev1", None),
        ("device", Method::GET, "/devices/dev1", None),
        (
            "service",
            Method::PUT,
            "/devices/intruder",
            Some(&new_device),
        ),
        ("service", Method::DELETE, "/devices/dev1", None),
        ("registryRead", Method::DELETE, "/devices/dev1", None),
        ("service", Method::GET, "/emulator/connections", None),
    ];
    for (policy, method, path, body) in cases {
        let token = hub.policy_token(policy);
        let how = format!("REST {method} {path} with policy {policy}");
        let (got, _) = hub.call(method, path, &token, body).await;
        expect_refused("policy lacking the permission", &how, got, unauthorized());
    }
    for policy in ["service", "registryReadWrite"] {
        let key = hub.policies.get(policy).unwrap().primary_key.clone();
        let token = hub.token("localhost/devices/dev1", &key, Some(policy), 3600);
        let (_, got) = hub.mqtt("dev1", Some(token)).await;
        let how = format!("MQTT CONNECT with policy {policy}");
        expect_refused("policy lacking the permission", &how, got, not_authorized());
    }
    // Nothing the refused calls asked for happened.
    let twin = hub.owner(Method::GET, "/twins/dev1", None).await;
    assert_eq!(twin["properties"]["desired"].get("x"), None);
    let (status, _) = match hub
        .call(
            Method::GET,
            "/devices/intruder",
            &hub.policy_token("iothubowner"),
            None,
        )
        .await
    {
        (Outcome::Http(status, code), _) => (status, code),
        other => panic!("{other:?}"),
    };
    assert_eq!(status, 404, "the refused create made no device");
    hub.owner(Method::GET, "/devices/dev1", None).await;
    hub.finish();
}

/// `sr=` replaced in a valid token (the signature left as it was).
fn with_sr(token: &str, sr: &str) -> String {
    let fields: Vec<String> = token
        .strip_prefix("SharedAccessSignature ")
        .unwrap()
        .split('&')
        .map(|f| {
            if f.starts_with("sr=") {
                format!("sr={sr}")
            } else {
                f.to_owned()
            }
        })
        .collect();
    format!("SharedAccessSignature {}", fields.join("&"))
}

#[tokio::test]
async fn tampered_token() {
    let hub = Hub::start();
    let key_a = hub.sas_device("dev-a").await;
    hub.sas_device("dev-b").await;
    let token_a = hub.device_token("dev-a", &key_a, 3600);
    let cases = [
        (
            "dev-b",
            with_sr(&token_a, "localhost%2Fdevices%2Fdev-b"),
            "sr renamed to B, as B",
        ),
        (
            "dev-a",
            with_sr(&token_a, "localhost%2Fdevices"),
            "sr widened to all devices",
        ),
        (
            "dev-a",
            with_sr(&token_a, "otherhub%2Fdevices%2Fdev-a"),
            "sr naming another hub",
        ),
        (
            "dev-a",
            token_a.replace("&se=", "&se=9"),
            "se pushed into the future",
        ),
    ];
    for (client_id, token, how) in cases {
        hub.remember(&token);
        let (_, got) = hub.mqtt(client_id, Some(token)).await;
        expect_refused(
            "tampered token",
            &format!("MQTT, {how}"),
            got,
            not_authorized(),
        );
    }
    let owner = hub.policy_token("iothubowner");
    let rest_cases = [
        (with_sr(&owner, "otherhub"), "sr naming another hub"),
        (
            with_sr(&owner, "localhost%2Fdevices%2Fdev-a"),
            "sr narrowed to one device",
        ),
        (owner.replace("&se=", "&se=9"), "se pushed into the future"),
        (
            owner.replace("skn=iothubowner", "skn=service"),
            "skn renamed",
        ),
    ];
    for (token, how) in rest_cases {
        hub.remember(&token);
        let (got, _) = hub.call(Method::GET, "/twins/dev-a", &token, None).await;
        expect_refused(
            "tampered token",
            &format!("REST, {how}"),
            got,
            unauthorized(),
        );
    }
    hub.finish();
}

#[tokio::test]
async fn disabled_and_deleted_devices() {
    let hub = Hub::start();
    let key = hub.sas_device("dev1").await;
    let token = hub.device_token("dev1", &key, 3600);
    let (mut open, got) = hub.mqtt("dev1", Some(token.clone())).await;
    assert_eq!(got, Outcome::Connack(ConnectReturnCode::Success));
    hub.set_status("dev1", "disabled").await;
    let dropped = match open.recv().await {
        None => Outcome::Closed,
        Some(packet) => panic!("expected the close, got {packet:?}"),
    };
    expect_refused(
        "disabled device",
        "open MQTT connection",
        dropped,
        Outcome::Closed,
    );
    let (_, got) = hub.mqtt("dev1", Some(token.clone())).await;
    expect_refused("disabled device", "MQTT CONNECT", got, not_authorized());
    // Enabled again, the same token works: the refusal was the status, not the key.
    hub.set_status("dev1", "enabled").await;
    let (mut open, got) = hub.mqtt("dev1", Some(token.clone())).await;
    assert_eq!(got, Outcome::Connack(ConnectReturnCode::Success));

    hub.owner(Method::DELETE, "/devices/dev1", None).await;
    let dropped = match open.recv().await {
        None => Outcome::Closed,
        Some(packet) => panic!("expected the close, got {packet:?}"),
    };
    expect_refused(
        "deleted device",
        "open MQTT connection",
        dropped,
        Outcome::Closed,
    );
    let (_, got) = hub.mqtt("dev1", Some(token.clone())).await;
    expect_refused("deleted device", "MQTT CONNECT", got, not_authorized());
    // Re-created under the same id, it has new keys: the old token stays dead.
    hub.sas_device("dev1").await;
    let (_, got) = hub.mqtt("dev1", Some(token)).await;
    expect_refused(
        "deleted device",
        "MQTT CONNECT with the old identity's token",
        got,
        not_authorized(),
    );
    hub.finish();
}
