//! The service client's twin calls against the in-process emulator: the guides' back-end flow,
//! replace, etags, not-found, module twins, throttling and credentials.

use std::time::{Duration, Instant};

use iothub_twin::service::{Authentication, Device, Module, TokenProvider};
use iothub_twin::{Error, ErrorCode, RetryPolicy, ServiceClient, ServiceClientOptions};
use iothub_twin_e2e::{Hub, unique_id, user_properties};
use iothub_twin_emulator::{EmulatorConfig, FaultSettings};
use serde_json::json;

async fn new_device(hub: &Hub, prefix: &str) -> String {
    let id = unique_id(prefix);
    hub.client
        .create_device(&Device::new(&id, Authentication::sas()))
        .await
        .unwrap();
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guide_back_end_flow_updates_tags_and_desired_with_the_etag() {
    let hub = Hub::start().await;
    let id = new_device(&hub, "myDeviceId").await;

    let twin = hub.client.get_twin(&id).await.unwrap();
    assert_eq!(twin.device_id.as_deref(), Some(id.as_str()));
    let etag = twin.etag.clone().expect("a twin has an etag");
    assert_eq!(twin.tags, None, "a fresh twin has no tags");
    let properties = twin.properties.as_ref().unwrap();
    assert_eq!(properties.desired.version(), Some(1));

    // The guide: tags.location = {region: US, plant: Redmond43}, desired power_level = 1,
    // conditional on the etag just read.
    let patch = json!({
        "tags": {"location": {"region": "US", "plant": "Redmond43"}},
        "properties": {"desired": {"power_level": 1}}
    });
    let updated = hub
        .client
        .update_twin(&id, &patch, Some(&etag))
        .await
        .unwrap();
    assert_ne!(updated.etag.as_deref(), Some(etag.as_str()));
    assert_eq!(
        json!(updated.tags),
        json!({"location": {"region": "US", "plant": "Redmond43"}})
    );
    let desired = &updated.properties.as_ref().unwrap().desired;
    assert_eq!(user_properties(desired), json!({"power_level": 1}));
    assert_eq!(desired.version(), Some(2));
    assert!(desired.metadata().unwrap().contains_key("power_level"));

    let again = hub.client.get_twin(&id).await.unwrap();
    assert_eq!(again.etag, updated.etag);
    assert_eq!(again.tags, updated.tags);

    // Without an etag the update is unconditional (If-Match: "*"); null deletes.
    let after = hub
        .client
        .update_twin(
            &id,
            &json!({"properties": {"desired": {"power_level": null, "mode": "eco"}}}),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        user_properties(&after.properties.unwrap().desired),
        json!({"mode": "eco"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replace_swaps_tags_and_desired_wholesale() {
    let hub = Hub::start().await;
    let id = new_device(&hub, "replace").await;
    let first = hub
        .client
        .update_twin(
            &id,
            &json!({"tags": {"old": 1}, "properties": {"desired": {"a": 1, "b": 2}}}),
            None,
        )
        .await
        .unwrap();

    // Sending back a twin read with GET works: $metadata/$version in desired are dropped.
    let mut twin = hub.client.get_twin(&id).await.unwrap();
    twin.tags = Some(json!({"replaced": true}).as_object().unwrap().clone());
    let desired = &mut twin.properties.as_mut().unwrap().desired.0;
    desired.remove("a");
    desired.insert("c".into(), json!(3));
    let replaced = hub
        .client
        .replace_twin(&id, &twin, first.etag.as_deref())
        .await
        .unwrap();
    assert_eq!(json!(replaced.tags), json!({"replaced": true}));
    let desired = &replaced.properties.as_ref().unwrap().desired;
    assert_eq!(user_properties(desired), json!({"b": 2, "c": 3}));
    assert_eq!(desired.version(), Some(3));

    // Unconditional replace; a section left out becomes empty.
    let cleared = hub
        .client
        .replace_twin(&id, &json!({"properties": {"desired": {"only": 1}}}), None)
        .await
        .unwrap();
    assert_eq!(cleared.tags, None);
    assert_eq!(
        user_properties(&cleared.properties.unwrap().desired),
        json!({"only": 1})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_etag_is_precondition_failed() {
    let hub = Hub::start().await;
    let id = new_device(&hub, "stale").await;
    let stale = hub.client.get_twin(&id).await.unwrap().etag.unwrap();
    hub.client
        .update_twin(&id, &json!({"tags": {"v": 1}}), Some(&stale))
        .await
        .unwrap();

    for error in [
        hub.client
            .update_twin(&id, &json!({"tags": {"v": 2}}), Some(&stale))
            .await
            .unwrap_err(),
        hub.client
            .replace_twin(&id, &json!({"tags": {"v": 3}}), Some(&stale))
            .await
            .unwrap_err(),
    ] {
        assert!(error.is_precondition_failed(), "{error:?}");
        let Error::Service(e) = &error else {
            panic!("{error:?}")
        };
        assert_eq!(e.code, Some(ErrorCode::PreconditionFailed));
        assert_eq!(e.code_number, Some(412_001));
        assert!(e.tracking_id.is_some());
        assert!(!error.is_retryable());
    }
    let twin = hub.client.get_twin(&id).await.unwrap();
    assert_eq!(json!(twin.tags), json!({"v": 1}), "nothing changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_twins_and_identities_are_not_found() {
    let hub = Hub::start().await;
    let error = hub.client.get_twin("no-such-device").await.unwrap_err();
    assert!(error.is_not_found(), "{error:?}");
    assert_eq!(error.error_code(), Some(ErrorCode::DeviceNotFound));
    assert!(
        hub.client
            .update_twin("no-such-device", &json!({"tags": {"a": 1}}), None)
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert!(
        hub.client
            .get_device("nope")
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert!(
        hub.client
            .delete_device("nope", None)
            .await
            .unwrap_err()
            .is_not_found()
    );

    let id = new_device(&hub, "nomodule").await;
    let error = hub.client.get_module_twin(&id, "ghost").await.unwrap_err();
    assert!(error.is_not_found());
    assert_eq!(error.error_code(), Some(ErrorCode::ModuleNotFound));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn module_twins_get_update_and_replace() {
    let hub = Hub::start().await;
    let id = new_device(&hub, "withmodule").await;
    hub.client
        .create_module(&Module::new(&id, "sensor", Authentication::sas()))
        .await
        .unwrap();

    let twin = hub.client.get_module_twin(&id, "sensor").await.unwrap();
    assert_eq!(twin.module_id.as_deref(), Some("sensor"));
    let updated = hub
        .client
        .update_module_twin(
            &id,
            "sensor",
            &json!({"tags": {"kind": "thermo"}, "properties": {"desired": {"rate": 5}}}),
            twin.etag.as_deref(),
        )
        .await
        .unwrap();
    assert_eq!(
        user_properties(&updated.properties.as_ref().unwrap().desired),
        json!({"rate": 5})
    );
    let stale = hub
        .client
        .update_module_twin(&id, "sensor", &json!({"tags": {}}), twin.etag.as_deref())
        .await
        .unwrap_err();
    assert!(stale.is_precondition_failed());

    let replaced = hub
        .client
        .replace_module_twin(
            &id,
            "sensor",
            &json!({"properties": {"desired": {"rate": 10}}}),
            updated.etag.as_deref(),
        )
        .await
        .unwrap();
    assert_eq!(replaced.tags, None);
    assert_eq!(
        user_properties(&replaced.properties.unwrap().desired),
        json!({"rate": 10})
    );
    // The device twin is untouched.
    let device_twin = hub.client.get_twin(&id).await.unwrap();
    assert_eq!(device_twin.tags, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_calls_are_retried_after_retry_after() {
    let hub = Hub::start().await;
    let id = new_device(&hub, "throttled").await;
    hub.emulator.faults().set(FaultSettings {
        throttle_service_requests: 2,
        ..Default::default()
    });
    let start = Instant::now();
    let updated = hub
        .client
        .update_twin(&id, &json!({"tags": {"after": "throttling"}}), None)
        .await
        .unwrap();
    assert_eq!(json!(updated.tags), json!({"after": "throttling"}));
    // Two 429s, each with Retry-After: 1.
    assert!(
        start.elapsed() >= Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(hub.emulator.faults().get().throttle_service_requests, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_retries_disabled_a_429_surfaces_as_throttled() {
    let hub = Hub::start().await;
    let id = new_device(&hub, "noretry").await;
    let client = hub.client(ServiceClientOptions {
        retry: RetryPolicy::no_retries(),
        ..Default::default()
    });
    hub.emulator.faults().set(FaultSettings {
        throttle_service_requests: 1,
        ..Default::default()
    });
    let error = client.get_twin(&id).await.unwrap_err();
    assert!(error.is_throttled(), "{error:?}");
    assert!(error.is_retryable());
    let Error::Service(e) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(e.status, 429);
    assert_eq!(e.code, Some(ErrorCode::ThrottlingException));
    assert_eq!(e.code_number, Some(429_001));
    assert!(e.tracking_id.as_deref().is_some_and(|t| !t.is_empty()));
    // The fault is used up: the next call goes through.
    client.get_twin(&id).await.unwrap();
}

struct Entra(&'static str);

impl TokenProvider for Entra {
    async fn token(&self) -> iothub_twin::Result<String> {
        Ok(format!("Bearer {}", self.0))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_provider_client_uses_bearer_tokens() {
    let hub = Hub::start_with(EmulatorConfig {
        entra_token: Some("e2e-entra-token".into()),
        ..EmulatorConfig::ephemeral()
    })
    .await;
    let host = format!("localhost:{}", hub.emulator.https_addr.port());
    let options = hub.options(ServiceClientOptions::default());
    let client =
        ServiceClient::with_token_provider(&host, Entra("e2e-entra-token"), options.clone())
            .unwrap();
    let id = unique_id("entra");
    client
        .create_device(&Device::new(&id, Authentication::sas()))
        .await
        .unwrap();
    let twin = client
        .update_twin(&id, &json!({"tags": {"by": "entra"}}), None)
        .await
        .unwrap();
    assert_eq!(json!(twin.tags), json!({"by": "entra"}));

    let wrong = ServiceClient::with_token_provider(&host, Entra("not-it"), options).unwrap();
    let error = wrong.get_twin(&id).await.unwrap_err();
    assert!(error.is_unauthorized(), "{error:?}");
    assert!(matches!(error, Error::Authentication { .. }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_key_is_an_authentication_error() {
    let hub = Hub::start().await;
    let cs = format!(
        "HostName=localhost:{};SharedAccessKeyName=iothubowner;SharedAccessKey=d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXkh",
        hub.emulator.https_addr.port()
    );
    let client =
        ServiceClient::from_connection_string(&cs, hub.options(Default::default())).unwrap();
    let error = client.get_twin("any").await.unwrap_err();
    let Error::Authentication { reason, .. } = &error else {
        panic!("{error:?}")
    };
    assert!(reason.contains("401"), "{reason}");
    assert!(!reason.contains("d3Jvbmcta2V5"), "the key never shows");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ready_made_sas_token_in_the_connection_string_works() {
    use iothub_twin::auth::{SasToken, ServiceAuth, ServiceConnectionString, unix_time_now};

    let hub = Hub::start().await;
    let cs: ServiceConnectionString = hub.emulator.service_connection_string().parse().unwrap();
    let ServiceAuth::SharedAccessKey(key) = &cs.auth else {
        panic!("the emulator hands out a key")
    };
    let token = SasToken::generate(
        &cs.host_name.to_string(),
        key,
        Some(&cs.key_name),
        unix_time_now() + 600,
    );
    let with_token = format!(
        "HostName={};SharedAccessKeyName={};SharedAccessSignature={}",
        cs.host_name,
        cs.key_name,
        token.expose_secret()
    );
    let client =
        ServiceClient::from_connection_string(&with_token, hub.options(Default::default()))
            .unwrap();
    let id = unique_id("fixed-token");
    client
        .create_device(&Device::new(&id, Authentication::sas()))
        .await
        .unwrap();
    assert_eq!(
        client.get_twin(&id).await.unwrap().device_id.as_deref(),
        Some(id.as_str())
    );
}
