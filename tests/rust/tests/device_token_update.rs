//! Replacing a user-supplied SAS token: the client reconnects with it and keeps its desired
//! subscription; a token for another identity, an expired one, or a client with a key refuse.

mod common;

use std::time::Duration;

use common::Hub;
use iothub_twin::auth::{DeviceAuth, DeviceConnectionString, SasToken, unix_time_now};
use iothub_twin::{DeviceClient, DeviceClientOptions, Error};
use serde_json::json;

#[tokio::test]
async fn a_new_sas_token_keeps_the_desired_subscription() {
    let hub = Hub::start().await;
    let cs_text = hub.device("dev1").await;
    let cs: DeviceConnectionString = cs_text.parse().unwrap();
    let DeviceAuth::SharedAccessKey { key, .. } = &cs.auth else {
        unreachable!()
    };
    let token = |ttl| SasToken::generate(&cs.sas_resource(), key, None, unix_time_now() + ttl);
    let options = DeviceClientOptions {
        endpoint: cs.gateway_host_name.clone(),
        ..hub.options()
    };
    let client = DeviceClient::connect_with_sas_token(token(600).expose_secret(), options)
        .await
        .unwrap();
    let mut desired = client.desired_property_updates();
    let mut states = client.connection_state_updates();
    client
        .update_sas_token(token(1200).expose_secret())
        .await
        .unwrap();
    // It reconnects with the new token...
    let reconnected = tokio::time::timeout(Duration::from_secs(20), async {
        let mut left = false;
        while let Some(state) = states.next_state().await {
            left |= state.as_str() != "connected";
            if left && state.as_str() == "connected" {
                return;
            }
        }
        panic!("the state stream ended");
    });
    reconnected.await.expect("reconnected with the new token");
    // ...and desired changes still arrive on the same stream.
    hub.patch_desired("dev1", json!({"after": 1})).await;
    let patch = tokio::time::timeout(Duration::from_secs(20), desired.next_patch())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(patch.to_json()["after"], 1);

    let other = SasToken::generate(
        &format!("{}/devices/someone-else", cs.host_name),
        key,
        None,
        unix_time_now() + 600,
    );
    let err = client
        .update_sas_token(other.expose_secret())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err}");
    let expired = SasToken::generate(&cs.sas_resource(), key, None, 1);
    let err = client
        .update_sas_token(expired.expose_secret())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err}");
    client.close().await;

    let keyed = DeviceClient::connect(&cs_text, hub.options())
        .await
        .unwrap();
    let err = keyed
        .update_sas_token(token(600).expose_secret())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("signs its own"), "{err}");
    keyed.close().await;
}
