//! The service client's configuration and statistics calls against the in-process emulator:
//! create, apply, metrics, update rules, etags, query checks, delete, statistics.

use iothub_twin::service::{Authentication, Configuration, ConfigurationQueriesTestInput, Device};
use iothub_twin::{Error, ErrorCode};
use iothub_twin_e2e::{Hub, unique_id};
use serde_json::json;

fn content(path: &str, value: serde_json::Value) -> iothub_twin::twin::JsonObject {
    let mut object = iothub_twin::twin::JsonObject::new();
    object.insert(path.to_owned(), value);
    object
}

fn service_code(error: &Error) -> Option<ErrorCode> {
    match error {
        Error::Service(e) => e.code,
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configuration_is_applied_by_priority_and_its_metrics_count_the_twins() {
    let hub = Hub::start().await;
    let plant = unique_id("plant");
    let mut ids = Vec::new();
    for ring in ["prod", "test"] {
        let id = unique_id("dev");
        hub.client
            .create_device(&Device::new(&id, Authentication::sas()))
            .await
            .unwrap();
        let tags = json!({"tags": {"plant": plant, "ring": ring}});
        hub.client.update_twin(&id, &tags, None).await.unwrap();
        ids.push(id);
    }
    let wide = Configuration::new(
        "plant-wide",
        format!("tags.plant = '{plant}'"),
        content("properties.desired.telemetry", json!({"interval": 60})),
        1,
    );
    let created = hub.client.create_configuration(&wide).await.unwrap();
    assert_eq!(created.schema_version.as_deref(), Some("1.0"));
    assert_eq!(created.etag.as_deref(), Some("MQ=="));
    let test_ring = Configuration::new(
        "test-ring",
        format!("tags.plant = '{plant}' AND tags.ring = 'test'"),
        content("properties.desired.telemetry.interval", json!(5)),
        10,
    );
    hub.client.create_configuration(&test_ring).await.unwrap();
    let again = hub.client.create_configuration(&wide).await.unwrap_err();
    assert_eq!(
        service_code(&again),
        Some(ErrorCode::ConfigurationAlreadyExists)
    );

    hub.emulator.hub().apply_configurations().await.unwrap();
    let prod = hub.client.get_twin(&ids[0]).await.unwrap();
    let test = hub.client.get_twin(&ids[1]).await.unwrap();
    let interval = |twin: &iothub_twin::twin::Twin| {
        json!(twin.properties.as_ref().unwrap().desired)["telemetry"]["interval"].clone()
    };
    assert_eq!(interval(&prod), 60);
    assert_eq!(interval(&test), 5);

    let read = hub.client.get_configuration("plant-wide").await.unwrap();
    let system = read.system_metrics.clone().unwrap().results.unwrap();
    assert_eq!(system["targetedCount"], 2);
    assert_eq!(system["appliedCount"], 2);
    let all = hub.client.get_configurations(None).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(
        hub.client.get_configurations(Some(1)).await.unwrap().len(),
        1
    );

    // Priority may change under the etag; the target condition may not.
    let mut raised = read.clone();
    raised.priority = Some(20);
    let stale = hub
        .client
        .update_configuration(&raised, Some("Mg=="))
        .await
        .unwrap_err();
    assert_eq!(service_code(&stale), Some(ErrorCode::PreconditionFailed));
    let updated = hub
        .client
        .update_configuration(&raised, read.etag.as_deref())
        .await
        .unwrap();
    assert_eq!(updated.priority, Some(20));
    let mut moved = updated.clone();
    moved.target_condition = Some("tags.plant = 'elsewhere'".into());
    let refused = hub
        .client
        .update_configuration(&moved, None)
        .await
        .unwrap_err();
    assert_eq!(service_code(&refused), Some(ErrorCode::ArgumentInvalid));

    hub.client
        .delete_configuration("plant-wide", updated.etag.as_deref())
        .await
        .unwrap();
    let gone = hub
        .client
        .get_configuration("plant-wide")
        .await
        .unwrap_err();
    assert_eq!(service_code(&gone), Some(ErrorCode::ConfigurationNotFound));
    hub.client
        .delete_configuration("test-ring", None)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_are_checked_and_statistics_are_exact() {
    let hub = Hub::start().await;
    let input = ConfigurationQueriesTestInput {
        target_condition: Some("tags.plant = ".into()),
        custom_metric_queries: Some([("bad".to_owned(), "SELECT FROM".to_owned())].into()),
    };
    let tested = hub.client.test_configuration_queries(&input).await.unwrap();
    assert!(!tested.target_condition_error.unwrap().is_empty());
    assert!(
        tested
            .custom_metric_query_errors
            .unwrap()
            .contains_key("bad")
    );
    let invalid = Configuration::new(
        "invalid",
        "tags.plant = ",
        content("properties.desired.x", json!(1)),
        0,
    );
    let refused = hub.client.create_configuration(&invalid).await.unwrap_err();
    assert_eq!(service_code(&refused), Some(ErrorCode::ArgumentInvalid));

    for _ in 0..3 {
        hub.client
            .create_device(&Device::new(unique_id("stat"), Authentication::sas()))
            .await
            .unwrap();
    }
    let statistics = hub.client.get_device_registry_statistics().await.unwrap();
    assert_eq!(statistics.total_device_count, 3);
    assert_eq!(statistics.enabled_device_count, 3);
    assert_eq!(statistics.disabled_device_count, 0);
    let service = hub.client.get_service_statistics().await.unwrap();
    assert_eq!(service.connected_device_count, 0);
}
