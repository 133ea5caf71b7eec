//! The shared invalid-input vectors (`tests/fixtures/error_kinds.json`): each fails before
//! anything is sent, with the kind, code and class names the Python and Node tests expect too.

mod common;

use common::{cases, fixture, str_of};
use iothub_twin::device::DeviceCredential;
use iothub_twin::options::seconds;
use iothub_twin::{DeviceClient, DeviceClientOptions, Error, ServiceClient, ServiceClientOptions};
use serde_json::Value;

fn device_options(case: &Value) -> Result<DeviceClientOptions, Error> {
    let mut options = DeviceClientOptions::default();
    for (name, field) in [
        ("keep_alive", &mut options.keep_alive),
        ("operation_timeout", &mut options.operation_timeout),
        ("sas_token_ttl", &mut options.sas_token_ttl),
    ] {
        if let Some(value) = case["options"][name].as_f64() {
            *field = seconds(name, value)?;
        }
    }
    Ok(options)
}

fn assert_kind(case: &Value, error: &Error) {
    let kind = error.kind();
    let name = str_of(case, "name");
    assert_eq!(kind.code(), str_of(case, "code"), "{name}: {error}");
    assert_eq!(kind.node_class(), str_of(case, "node_class"), "{name}");
    assert_eq!(kind.python_class(), str_of(case, "python_class"), "{name}");
}

#[tokio::test]
async fn device_inputs_fail_with_their_kind() {
    let doc = fixture("error_kinds.json");
    for case in cases(&doc, "device") {
        let credential = match (
            case["connection_string"].as_str(),
            case["sas_token"].as_str(),
        ) {
            (Some(cs), None) => DeviceCredential::ConnectionString(cs.to_owned()),
            (None, Some(token)) => DeviceCredential::SasToken(token.to_owned()),
            _ => panic!("{case}: one of connection_string, sas_token"),
        };
        let error = match device_options(case) {
            Ok(options) => DeviceClient::connect_with(credential, options)
                .await
                .expect_err(str_of(case, "name")),
            Err(error) => error,
        };
        assert_kind(case, &error);
    }
}

#[test]
fn service_inputs_fail_with_their_kind() {
    let doc = fixture("error_kinds.json");
    for case in cases(&doc, "service") {
        let timeout = case["options"]["timeout"].as_f64();
        let error = match timeout.map(|t| seconds("timeout", t)).transpose() {
            Err(error) => error,
            Ok(timeout) => {
                let mut options = ServiceClientOptions::default();
                options.timeout = timeout.unwrap_or(options.timeout);
                let cs = str_of(case, "connection_string");
                ServiceClient::from_connection_string(cs, options).expect_err(str_of(case, "name"))
            }
        };
        assert_kind(case, &error);
    }
}
