//! What the bindings rely on: desired changes made before anyone watches are held for the first
//! watcher, each carries the merged document, and a failed client says why it failed.

mod common;

use std::time::Duration;

use common::Hub;
use futures::StreamExt as _;
use iothub_twin::device::{ConnectionState, DesiredPatch, DesiredPatchStream};
use iothub_twin::{DeviceClient, DeviceClientOptions, ErrorKind, RetryPolicy};
use serde_json::json;

async fn next_patch(stream: &mut DesiredPatchStream) -> DesiredPatch {
    tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("no desired patch in time")
        .expect("the stream ended")
}

#[tokio::test]
async fn changes_before_the_first_watch_are_held_for_it_with_the_merged_document() {
    let hub = Hub::start().await;
    let cs = hub.device("dev1").await;
    let client = DeviceClient::connect(&cs, hub.options()).await.unwrap();
    let first = hub
        .patch_desired("dev1", json!({"a": 1, "b": {"c": 1}}))
        .await;
    let second = hub.patch_desired("dev1", json!({"b": {"d": 2}})).await;
    // The hub has pushed both: a twin read answered after them proves they arrived.
    let twin = client.get_twin().await.unwrap();
    assert_eq!(twin.desired.version(), Some(second));
    let mut desired = client.desired_property_updates();
    let held = next_patch(&mut desired).await;
    assert_eq!(held.version, first);
    let held_second = next_patch(&mut desired).await;
    assert_eq!(held_second.version, second);
    assert_eq!(
        serde_json::Value::Object(held_second.document),
        json!({"a": 1, "b": {"c": 1, "d": 2}})
    );
    client.close().await;
}

#[tokio::test]
async fn an_exhausted_retry_policy_fails_as_a_connection_error_not_a_credential_one() {
    let hub = Hub::start().await;
    let cs = hub.device("dev1").await;
    let options = DeviceClientOptions {
        reconnect: RetryPolicy::no_retries(),
        ..hub.options()
    };
    let client = DeviceClient::connect(&cs, options).await.unwrap();
    let mut states = client.connection_state_updates();
    hub.drop_connection("dev1").await;
    let kind = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(state) = states.next().await {
            if let ConnectionState::Failed { kind, .. } = state {
                return kind;
            }
        }
        panic!("the state stream ended")
    })
    .await
    .expect("the client did not fail");
    assert_eq!(kind, ErrorKind::Connection);
    let error = client.get_twin().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Connection, "{error}");
    assert!(!error.is_unauthorized());
    client.close().await;
}
