//! What goes on the wire: paths, api-version, headers, If-Match, bodies; and what is refused
//! before anything is sent.

use std::sync::Arc;

use serde_json::{Value, json};

use super::mock::{KEY, MockSender, client, respond, twin_ok};
use crate::auth::SasToken;
use crate::service::credential::Credential;
use crate::service::http::HttpRequest;
use crate::service::{
    Authentication, Device, Module, ServiceClient, ServiceClientOptions, TokenProvider,
};
use crate::twin::Twin;
use crate::{Error, Result};

fn header<'a>(request: &'a HttpRequest, name: &str) -> Option<&'a str> {
    request.headers.get(name).map(|v| v.to_str().unwrap())
}

fn body(request: &HttpRequest) -> Value {
    serde_json::from_slice(request.body.as_ref().unwrap()).unwrap()
}

#[tokio::test]
async fn get_twin_is_signed_versioned_and_encodes_ids() {
    let sender = MockSender::new([twin_ok(), twin_ok()]);
    let client = client(&sender, ServiceClientOptions::default());
    client.get_twin("dev#1 ?x").await.unwrap();
    client.get_module_twin("d1", "mod/1").await.unwrap();
    let sent = sender.sent();
    assert_eq!(sent[0].method, reqwest::Method::GET);
    assert_eq!(
        sent[0].url,
        "https://myhub.example/twins/dev%231%20%3Fx?api-version=2021-04-12"
    );
    assert_eq!(
        sent[1].url,
        "https://myhub.example/twins/d1/modules/mod%2F1?api-version=2021-04-12"
    );
    let auth = header(&sent[0], "authorization").unwrap();
    let token = SasToken::parse(auth).unwrap();
    assert_eq!(token.key_name(), Some("iothubowner"));
    let key = crate::auth::SharedAccessKey::from_base64(KEY).unwrap();
    token
        .verify(&[&key], "myhub.example", &[], crate::auth::unix_time_now())
        .unwrap();
    assert!(sent[0].headers["authorization"].is_sensitive());
    assert_eq!(header(&sent[0], "accept"), Some("application/json"));
    assert!(
        header(&sent[0], "user-agent")
            .unwrap()
            .starts_with("iothub-twin/")
    );
    assert_eq!(header(&sent[0], "content-type"), None);
    assert!(sent[0].body.is_none());
    // Both requests carry the same cached token.
    assert_eq!(header(&sent[1], "authorization"), Some(auth));
    assert!(!format!("{:?}", sent[0]).contains("sig="));
}

#[tokio::test]
async fn update_and_replace_send_if_match_and_the_patch() {
    let sender = MockSender::new([twin_ok(), twin_ok(), twin_ok(), twin_ok()]);
    let client = client(&sender, ServiceClientOptions::default());
    let patch = json!({"tags": {"location": {"region": "US", "plant": "Redmond43"}},
        "properties": {"desired": {"power_level": 1}}});
    let twin = client
        .update_twin("d1", &patch, Some("AAAAAAAAAAE="))
        .await
        .unwrap();
    assert_eq!(twin.version, Some(3));
    client
        .update_module_twin("d1", "m1", &patch, None)
        .await
        .unwrap();
    client
        .replace_twin(
            "d1",
            &json!({"tags": {"replaced": true}}),
            Some("\"AAAAAAAAAAI=\""),
        )
        .await
        .unwrap();
    // A twin read with GET can be sent back: $metadata and $version are dropped.
    let read: Twin = serde_json::from_value(json!({"deviceId": "d1", "etag": "AAAAAAAAAAI=",
        "properties": {"desired": {"x": 1, "$version": 4, "$metadata": {"$lastUpdated": "t"}},
        "reported": {"$version": 1}}}))
    .unwrap();
    client
        .replace_module_twin("d1", "m1", &read, read.etag.as_deref())
        .await
        .unwrap();

    let sent = sender.sent();
    assert_eq!(sent[0].method, reqwest::Method::PATCH);
    assert_eq!(header(&sent[0], "if-match"), Some("\"AAAAAAAAAAE=\""));
    assert_eq!(
        header(&sent[0], "content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(body(&sent[0]), patch);
    assert_eq!(
        sent[1].url,
        "https://myhub.example/twins/d1/modules/m1?api-version=2021-04-12"
    );
    assert_eq!(
        header(&sent[1], "if-match"),
        Some("\"*\""),
        "no etag = any version"
    );
    assert_eq!(sent[2].method, reqwest::Method::PUT);
    assert_eq!(
        header(&sent[2], "if-match"),
        Some("\"AAAAAAAAAAI=\""),
        "not quoted twice"
    );
    assert_eq!(body(&sent[3])["properties"]["desired"], json!({"x": 1}));
}

#[tokio::test]
async fn invalid_patches_are_refused_before_sending() {
    let sender = MockSender::new([]);
    let client = client(&sender, ServiceClientOptions::default());
    for bad in [
        json!({"tags": {"a.b": 1}}),
        json!({"properties": {"desired": {"list": [1, null]}}}),
        json!({"tags": {"big": "x".repeat(5000)}}),
    ] {
        let error = client.update_twin("d1", &bad, None).await.unwrap_err();
        assert!(matches!(error, Error::InvalidTwin(_)), "{error:?}");
        assert_eq!(error.error_code().map(|c| c.number()), Some(400_004));
    }
    let error = client
        .replace_twin("d1", &json!([1]), None)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InvalidArgument { .. }));
    assert!(sender.sent().is_empty());
}

#[tokio::test]
async fn registry_calls_use_the_right_methods_and_conditions() {
    let device = r#"{"deviceId":"d1","etag":"MQ==","status":"enabled","authentication":{"symmetricKey":{"primaryKey":"a2V5a2V5a2V5a2V5a2V5a2V5","secondaryKey":"a2V5a2V5a2V5a2V5a2V5a2V6"},"x509Thumbprint":{"primaryThumbprint":null,"secondaryThumbprint":null},"type":"sas"}}"#;
    let module = r#"{"moduleId":"m1","deviceId":"d1","etag":"MQ==","authentication":{"type":"certificateAuthority"}}"#;
    let sender = MockSender::new([
        respond(200, &[], device),
        respond(200, &[], device),
        respond(200, &[], device),
        respond(204, &[], ""),
        respond(200, &[], &format!("[{device}]")),
        respond(200, &[], module),
        respond(200, &[], module),
        respond(204, &[], ""),
        respond(200, &[], &format!("[{module}]")),
    ]);
    let client = client(&sender, ServiceClientOptions::default());
    let created = client
        .create_device(&Device::new("d1", Authentication::sas()))
        .await
        .unwrap();
    assert_eq!(created.etag.as_deref(), Some("MQ=="));
    client.get_device("d1").await.unwrap();
    client
        .update_device(&created, created.etag.as_deref())
        .await
        .unwrap();
    client.delete_device("d1", None).await.unwrap();
    assert_eq!(client.list_devices(Some(10)).await.unwrap().len(), 1);
    client
        .create_module(&Module::new(
            "d1",
            "m1",
            Authentication::certificate_authority(),
        ))
        .await
        .unwrap();
    client
        .update_module(&Module::new("d1", "m1", Authentication::sas()), None)
        .await
        .unwrap();
    client
        .delete_module("d1", "m1", Some("MQ=="))
        .await
        .unwrap();
    assert_eq!(client.list_modules("d1").await.unwrap()[0].module_id, "m1");

    let sent = sender.sent();
    let summary: Vec<(String, String, Option<&str>)> = sent
        .iter()
        .map(|r| {
            let path = r.url.trim_start_matches("https://myhub.example").to_owned();
            (r.method.to_string(), path, header(r, "if-match"))
        })
        .collect();
    let v = "api-version=2021-04-12";
    assert_eq!(
        summary,
        [
            ("PUT".into(), format!("/devices/d1?{v}"), None),
            ("GET".into(), format!("/devices/d1?{v}"), None),
            ("PUT".into(), format!("/devices/d1?{v}"), Some("\"MQ==\"")),
            ("DELETE".into(), format!("/devices/d1?{v}"), Some("\"*\"")),
            ("GET".into(), format!("/devices?{v}&top=10"), None),
            ("PUT".into(), format!("/devices/d1/modules/m1?{v}"), None),
            (
                "PUT".into(),
                format!("/devices/d1/modules/m1?{v}"),
                Some("\"*\"")
            ),
            (
                "DELETE".into(),
                format!("/devices/d1/modules/m1?{v}"),
                Some("\"MQ==\"")
            ),
            ("GET".into(), format!("/devices/d1/modules?{v}"), None),
        ]
    );
    assert_eq!(
        body(&sent[0]),
        json!({"deviceId": "d1", "authentication": {"type": "sas", "symmetricKey": {"primaryKey": null, "secondaryKey": null}}})
    );
}

#[tokio::test]
async fn unexpected_answers_are_protocol_errors() {
    let sender = MockSender::new([respond(200, &[], "<html>"), respond(200, &[], "[]")]);
    let client = client(&sender, ServiceClientOptions::default());
    let error = client.get_twin("d1").await.unwrap_err();
    assert!(matches!(error, Error::Protocol { .. }), "{error:?}");
    assert!(error.to_string().contains("get_twin"));
    assert!(matches!(
        client.get_device("d1").await,
        Err(Error::Protocol { .. })
    ));
}

struct Entra {
    token: &'static str,
}

impl TokenProvider for Entra {
    async fn token(&self) -> Result<String> {
        if self.token.is_empty() {
            return Err(Error::authentication("no Entra token available"));
        }
        Ok(format!("Bearer {}", self.token))
    }
}

#[tokio::test]
async fn token_providers_supply_the_authorization_header() {
    let sender = MockSender::new([twin_ok()]);
    let host = "myhub.example:8443".parse().unwrap();
    let client = ServiceClient::with_transport(
        host,
        Credential::provider(Entra { token: "eyJ0eXAi" }),
        ServiceClientOptions::default(),
        sender.clone(),
    )
    .unwrap();
    client.get_twin("d1").await.unwrap();
    let sent = sender.sent();
    assert_eq!(header(&sent[0], "authorization"), Some("Bearer eyJ0eXAi"));
    assert!(
        sent[0]
            .url
            .starts_with("https://myhub.example:8443/twins/d1?")
    );
    let debug = format!("{client:?}");
    assert!(!debug.contains("eyJ0eXAi"), "{debug}");

    // A provider's error fails the call before anything is sent.
    let sender = MockSender::new([]);
    let client = ServiceClient::with_transport(
        "h".parse().unwrap(),
        Credential::provider(Entra { token: "" }),
        ServiceClientOptions::default(),
        sender.clone(),
    )
    .unwrap();
    assert!(client.get_twin("d1").await.unwrap_err().is_unauthorized());
    assert!(sender.sent().is_empty());
}

#[test]
fn constructors_check_their_input_and_redact() {
    let cs =
        format!("HostName=localhost:8443;SharedAccessKeyName=iothubowner;SharedAccessKey={KEY}");
    let client =
        ServiceClient::from_connection_string(&cs, ServiceClientOptions::default()).unwrap();
    assert_eq!(client.host_name().to_string(), "localhost:8443");
    let debug = format!("{client:?}");
    assert!(!debug.contains(KEY), "{debug}");
    assert!(debug.contains("iothubowner"), "{debug}");
    let _clone: ServiceClient = client.clone();

    let error = ServiceClient::from_connection_string(
        "HostName=h;DeviceId=d;SharedAccessKey=a2V5",
        ServiceClientOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(error, Error::InvalidConnectionString { .. }),
        "{error:?}"
    );
    let error = ServiceClient::from_connection_string(
        &cs,
        ServiceClientOptions {
            trust: crate::tls::Trust::Pem("nope".into()),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(matches!(error, Error::InvalidArgument { .. }));
    assert!(
        ServiceClient::with_token_provider("bad host", Entra { token: "t" }, Default::default())
            .is_err()
    );
    let _: Arc<dyn Send + Sync> = Arc::new(client);
}
