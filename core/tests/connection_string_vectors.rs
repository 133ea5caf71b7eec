//! Connection-string vectors: what each valid string parses to, and one clear error for each
//! invalid one that never contains a secret.

mod common;

use common::{cases, fixture, str_of};
use iothub_twin::Error;
use iothub_twin::auth::{ConnectionString, DeviceAuth, ServiceAuth};

#[test]
fn valid_strings_parse_to_their_parts() {
    let doc = fixture("connection_strings.json");
    for case in cases(&doc, "valid") {
        let name = str_of(case, "name");
        let parsed: ConnectionString = str_of(case, "text")
            .parse()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(parsed.to_string(), str_of(case, "redacted"), "{name}");
        match (str_of(case, "kind"), parsed) {
            ("device", ConnectionString::Device(d)) => {
                assert_eq!(d.host_name.to_string(), str_of(case, "host_name"), "{name}");
                assert_eq!(d.device_id, str_of(case, "device_id"), "{name}");
                assert_eq!(d.module_id.as_deref(), case["module_id"].as_str(), "{name}");
                assert_eq!(
                    d.gateway_host_name
                        .as_ref()
                        .map(ToString::to_string)
                        .as_deref(),
                    case["gateway_host_name"].as_str(),
                    "{name}"
                );
                assert_eq!(d.sas_resource(), str_of(case, "sas_resource"), "{name}");
                assert_eq!(
                    d.connect_host().to_string(),
                    str_of(case, "connect_host"),
                    "{name}"
                );
                assert_eq!(d.client_id(), str_of(case, "client_id"), "{name}");
                let (auth, key_name) = match &d.auth {
                    DeviceAuth::SharedAccessKey { key_name, .. } => ("key", key_name.as_deref()),
                    DeviceAuth::SharedAccessSignature(_) => ("token", None),
                    DeviceAuth::X509 => ("x509", None),
                    other => panic!("{name}: unexpected {other:?}"),
                };
                assert_eq!(auth, str_of(case, "auth"), "{name}");
                assert_eq!(key_name, case["key_name"].as_str(), "{name}");
                // The exposed form parses back to the same thing.
                let again: ConnectionString = d.expose_secret().parse().unwrap();
                assert_eq!(again.to_string(), str_of(case, "redacted"), "{name}");
            }
            ("service", ConnectionString::Service(s)) => {
                assert_eq!(s.host_name.to_string(), str_of(case, "host_name"), "{name}");
                assert_eq!(s.key_name, str_of(case, "key_name"), "{name}");
                let auth = match &s.auth {
                    ServiceAuth::SharedAccessKey(_) => "key",
                    ServiceAuth::SharedAccessSignature(_) => "token",
                    other => panic!("{name}: unexpected {other:?}"),
                };
                assert_eq!(auth, str_of(case, "auth"), "{name}");
                let again: ConnectionString = s.expose_secret().parse().unwrap();
                assert_eq!(again.to_string(), str_of(case, "redacted"), "{name}");
            }
            (kind, other) => panic!("{name}: expected {kind}, got {other}"),
        }
    }
}

#[test]
fn invalid_strings_give_one_clear_error_without_secrets() {
    let doc = fixture("connection_strings.json");
    let secrets: Vec<&str> = doc["secret_fragments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    for case in cases(&doc, "invalid") {
        let name = str_of(case, "name");
        let text = str_of(case, "text");
        // Never a panic, whatever the input.
        let result = std::panic::catch_unwind(|| text.parse::<ConnectionString>());
        let error = match result {
            Ok(Err(error)) => error,
            Ok(Ok(parsed)) => panic!("{name}: parsed as {parsed}"),
            Err(_) => panic!("{name}: panicked"),
        };
        assert!(
            matches!(error, Error::InvalidConnectionString { .. }),
            "{name}: {error:?}"
        );
        let message = error.to_string();
        assert!(message.contains(str_of(case, "error")), "{name}: {message}");
        for secret in &secrets {
            assert!(
                !message.contains(secret),
                "{name}: error leaks a secret: {message}"
            );
            assert!(
                !format!("{error:?}").contains(secret),
                "{name}: Debug leaks a secret"
            );
        }
    }
}

#[test]
fn debug_of_parsed_strings_never_shows_the_key() {
    let doc = fixture("connection_strings.json");
    for case in cases(&doc, "valid") {
        let parsed: ConnectionString = str_of(case, "text").parse().unwrap();
        let debug = format!("{parsed:?}");
        assert!(
            !debug.contains("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="),
            "{debug}"
        );
        assert!(!debug.contains("YmIL"), "{debug}");
        assert!(!debug.contains("3wj9Ut7"), "{debug}");
    }
}

#[test]
fn device_and_service_types_refuse_each_other() {
    use iothub_twin::auth::{DeviceConnectionString, ServiceConnectionString};
    let service = "HostName=h;SharedAccessKeyName=iothubowner;SharedAccessKey=AAAA";
    let device = "HostName=h;DeviceId=d;SharedAccessKey=AAAA";
    let err = service
        .parse::<DeviceConnectionString>()
        .unwrap_err()
        .to_string();
    assert!(err.contains("this is a service connection string"), "{err}");
    let err = device
        .parse::<ServiceConnectionString>()
        .unwrap_err()
        .to_string();
    assert!(err.contains("this is a device connection string"), "{err}");
}
