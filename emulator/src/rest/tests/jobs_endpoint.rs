//! `/jobs/v2`: scheduled twin-update jobs, driven with [`crate::hub::Hub::step_jobs`] and an
//! explicit time (the harness runs no job runner), so nothing here waits for a clock.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::harness::Hub;
use crate::hub::JobStep;
use crate::job_state::format_time;

const V: &str = "api-version=2021-04-12";

fn job(condition: &str, start: OffsetDateTime, max_seconds: u64) -> Value {
    json!({
        "type": "scheduleUpdateTwin",
        "queryCondition": condition,
        "updateTwin": {"tags": {"rollout": "fw2"}, "properties": {"desired": {"firmware": {"version": "2.0"}}}},
        "startTime": format_time(start),
        "maxExecutionTimeInSeconds": max_seconds,
    })
}

async fn fleet(hub: &Hub, count: usize, plant: &str) {
    for i in 0..count {
        let id = format!("{plant}-{i:03}");
        hub.create_device(&id).await;
        let reply = hub
            .call(
                Method::PATCH,
                &format!("/twins/{id}?{V}"),
                Some(&json!({"tags": {"plant": plant}})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK);
    }
}

async fn put_job(hub: &Hub, id: &str, body: &Value) -> super::harness::Reply {
    hub.call(Method::PUT, &format!("/jobs/v2/{id}?{V}"), Some(body))
        .await
}

async fn get_job(hub: &Hub, id: &str) -> Value {
    let reply = hub
        .call(Method::GET, &format!("/jobs/v2/{id}?{V}"), None)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body
}

/// Steps until nothing is due at `now`; how many steps did work.
async fn run_until_idle(hub: &Hub, now: OffsetDateTime, batch: usize) -> usize {
    let mut steps = 0;
    while hub.state.step_jobs(now, batch).await.unwrap() == JobStep::Worked {
        steps += 1;
        assert!(steps < 10_000, "the jobs never went idle");
    }
    steps
}

async fn twin(hub: &Hub, id: &str) -> Value {
    hub.call(Method::GET, &format!("/twins/{id}?{V}"), None)
        .await
        .body
}

#[tokio::test]
async fn a_job_patches_every_matching_twin_in_batches_with_exact_counts() {
    let hub = Hub::new();
    fleet(&hub, 7, "Redmond43").await;
    fleet(&hub, 2, "Other").await;
    let now = OffsetDateTime::now_utc();
    let reply = put_job(&hub, "fw2", &job("tags.plant = 'Redmond43'", now, 600)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["jobId"], "fw2");
    assert_eq!(reply.body["status"], "queued");
    assert_eq!(reply.body["type"], "scheduleUpdateTwin");

    // Start: the targets are fixed, nothing patched yet.
    assert_eq!(hub.state.step_jobs(now, 3).await.unwrap(), JobStep::Worked);
    let running = get_job(&hub, "fw2").await;
    assert_eq!(running["status"], "running");
    assert_eq!(
        running["deviceJobStatistics"],
        json!({"deviceCount": 7, "failedCount": 0, "succeededCount": 0, "runningCount": 0, "pendingCount": 7})
    );
    // One batch of 3.
    hub.state.step_jobs(now, 3).await.unwrap();
    let partial = get_job(&hub, "fw2").await;
    assert_eq!(partial["deviceJobStatistics"]["succeededCount"], 3);
    assert_eq!(partial["deviceJobStatistics"]["pendingCount"], 4);
    assert_eq!(run_until_idle(&hub, now, 3).await, 2);
    let done = get_job(&hub, "fw2").await;
    assert_eq!(done["status"], "completed");
    assert_eq!(done["deviceJobStatistics"]["succeededCount"], 7);
    assert!(done["endTime"].is_string());

    let patched = twin(&hub, "Redmond43-004").await;
    assert_eq!(
        patched["properties"]["desired"]["firmware"]["version"],
        "2.0"
    );
    assert_eq!(patched["properties"]["desired"]["$version"], 2);
    assert_eq!(
        patched["tags"],
        json!({"plant": "Redmond43", "rollout": "fw2"})
    );
    let untouched = twin(&hub, "Other-000").await;
    assert_eq!(untouched["properties"]["desired"]["$version"], 1);
    assert_eq!(untouched["tags"], json!({"plant": "Other"}));
}

#[tokio::test]
async fn a_job_scheduled_in_the_future_does_nothing_until_then() {
    let hub = Hub::new();
    fleet(&hub, 2, "Redmond43").await;
    let now = OffsetDateTime::now_utc();
    let start = now + time::Duration::hours(1);
    let reply = put_job(&hub, "later", &job("tags.plant = 'Redmond43'", start, 600)).await;
    assert_eq!(reply.body["status"], "scheduled");
    let step = hub.state.step_jobs(now, 100).await.unwrap();
    assert!(
        matches!(step, JobStep::Idle(Some(at)) if (at - start).abs() < time::Duration::milliseconds(1))
    );
    assert_eq!(get_job(&hub, "later").await["status"], "scheduled");
    assert_eq!(
        twin(&hub, "Redmond43-000").await["properties"]["desired"]["$version"],
        1
    );

    run_until_idle(&hub, start, 100).await;
    assert_eq!(get_job(&hub, "later").await["status"], "completed");
    assert_eq!(
        twin(&hub, "Redmond43-000").await["properties"]["desired"]["$version"],
        2
    );
}

#[tokio::test]
async fn cancel_stops_a_job_and_keeps_what_it_did() {
    let hub = Hub::new();
    fleet(&hub, 5, "Redmond43").await;
    let now = OffsetDateTime::now_utc();
    put_job(&hub, "stopme", &job("tags.plant = 'Redmond43'", now, 600)).await;
    hub.state.step_jobs(now, 2).await.unwrap(); // start
    hub.state.step_jobs(now, 2).await.unwrap(); // two patched
    let reply = hub
        .call(Method::POST, &format!("/jobs/v2/stopme/cancel?{V}"), None)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["status"], "cancelled");
    assert_eq!(run_until_idle(&hub, now, 2).await, 0);
    let cancelled = get_job(&hub, "stopme").await;
    assert_eq!(cancelled["deviceJobStatistics"]["succeededCount"], 2);
    assert_eq!(cancelled["deviceJobStatistics"]["pendingCount"], 3);
    assert_eq!(
        twin(&hub, "Redmond43-004").await["properties"]["desired"]["$version"],
        1
    );
    // Cancelling a job that ended answers it as it is.
    let again = hub
        .call(Method::POST, &format!("/jobs/v2/stopme/cancel?{V}"), None)
        .await;
    assert_eq!(again.body["status"], "cancelled");
}

#[tokio::test]
async fn a_condition_matching_no_device_completes_with_zero_counts() {
    let hub = Hub::new();
    fleet(&hub, 2, "Other").await;
    let now = OffsetDateTime::now_utc();
    put_job(&hub, "none", &job("tags.plant = 'Nowhere'", now, 600)).await;
    run_until_idle(&hub, now, 100).await;
    let done = get_job(&hub, "none").await;
    assert_eq!(done["status"], "completed");
    assert_eq!(
        done["deviceJobStatistics"],
        json!({"deviceCount": 0, "failedCount": 0, "succeededCount": 0, "runningCount": 0, "pendingCount": 0})
    );
}

#[tokio::test]
async fn past_its_max_execution_time_a_job_fails_the_devices_it_did_not_reach() {
    let hub = Hub::new();
    fleet(&hub, 5, "Redmond43").await;
    let now = OffsetDateTime::now_utc();
    put_job(&hub, "slow", &job("tags.plant = 'Redmond43'", now, 60)).await;
    hub.state.step_jobs(now, 2).await.unwrap();
    hub.state.step_jobs(now, 2).await.unwrap();
    run_until_idle(&hub, now + time::Duration::seconds(61), 2).await;
    let failed = get_job(&hub, "slow").await;
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["deviceJobStatistics"]["succeededCount"], 2);
    assert_eq!(failed["deviceJobStatistics"]["failedCount"], 3);
    assert_eq!(failed["deviceJobStatistics"]["pendingCount"], 0);
    assert!(
        failed["failureReason"]
            .as_str()
            .unwrap()
            .contains("maxExecutionTimeInSeconds")
    );
}

#[tokio::test]
async fn a_device_deleted_before_its_turn_fails_with_device_not_found() {
    let hub = Hub::new();
    fleet(&hub, 2, "Redmond43").await;
    let now = OffsetDateTime::now_utc();
    put_job(&hub, "gone", &job("tags.plant = 'Redmond43'", now, 600)).await;
    hub.state.step_jobs(now, 100).await.unwrap(); // start: both are targets
    let deleted = hub
        .call(Method::DELETE, &format!("/devices/Redmond43-001?{V}"), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    run_until_idle(&hub, now, 100).await;
    let done = get_job(&hub, "gone").await;
    assert_eq!(done["deviceJobStatistics"]["succeededCount"], 1);
    assert_eq!(done["deviceJobStatistics"]["failedCount"], 1);
}

#[tokio::test]
async fn bad_requests_get_iot_hubs_status_and_code() {
    let hub = Hub::new();
    let now = OffsetDateTime::now_utc();
    let bad_condition = put_job(&hub, "j1", &job("tags.plant = ", now, 60)).await;
    assert_eq!(bad_condition.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_condition.error_code(), "ArgumentInvalid");

    let bad_id = put_job(&hub, "bad%20id", &job("tags.a = 1", now, 60)).await;
    assert_eq!(bad_id.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_id.error_code(), "ArgumentInvalid");

    assert_eq!(
        put_job(&hub, "dup", &job("tags.a = 1", now, 60))
            .await
            .status,
        StatusCode::OK
    );
    let duplicate = put_job(&hub, "dup", &job("tags.a = 1", now, 60)).await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT);
    assert_eq!(duplicate.error_code(), "JobAlreadyExists");

    let missing = hub
        .call(Method::GET, &format!("/jobs/v2/nosuchjob?{V}"), None)
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.error_code(), "JobNotFound");

    let mut bad_patch = job("tags.a = 1", now, 60);
    bad_patch["updateTwin"] = json!({"properties": {"desired": {"bad key": 1}}});
    let refused = put_job(&hub, "j2", &bad_patch).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);

    let mut zero = job("tags.a = 1", now, 60);
    zero["maxExecutionTimeInSeconds"] = json!(0);
    assert_eq!(
        put_job(&hub, "j3", &zero).await.status,
        StatusCode::BAD_REQUEST
    );

    let mut other_id = job("tags.a = 1", now, 60);
    other_id["jobId"] = json!("someone-else");
    assert_eq!(
        put_job(&hub, "j4", &other_id).await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn device_method_and_import_export_jobs_are_refused_by_name() {
    let hub = Hub::new();
    let method_job = json!({"type": "scheduleDeviceMethod", "queryCondition": "tags.a = 1",
        "cloudToDeviceMethod": {"methodName": "reboot"}});
    let reply = put_job(&hub, "m1", &method_job).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error_code(), "InvalidOperation");
    assert!(
        reply.body["Message"]
            .as_str()
            .unwrap()
            .contains("not supported by this emulator")
    );
    for (method, path) in [
        (Method::POST, "/jobs/create"),
        (Method::GET, "/jobs"),
        (Method::GET, "/jobs/export1"),
        (Method::DELETE, "/jobs/export1"),
    ] {
        let body = json!({"type": "export", "outputBlobContainerUri": "https://x"});
        let reply = hub
            .call(method.clone(), &format!("{path}?{V}"), Some(&body))
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{method} {path}");
        assert!(
            reply.body["Message"]
                .as_str()
                .unwrap()
                .contains("not supported by this emulator")
        );
    }
}

#[tokio::test]
async fn jobs_are_listed_by_type_and_status_page_by_page() {
    let hub = Hub::new();
    let now = OffsetDateTime::now_utc();
    for id in ["a", "b", "c"] {
        put_job(&hub, id, &job("tags.a = 1", now, 60)).await;
    }
    put_job(
        &hub,
        "d",
        &job("tags.a = 1", now + time::Duration::hours(1), 60),
    )
    .await;
    run_until_idle(&hub, now, 100).await;

    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut headers = vec![("x-ms-max-item-count", "2".to_owned())];
        if let Some(token) = &token {
            headers.push(("x-ms-continuation", token.clone()));
        }
        let authorization = hub.token("iothubowner");
        headers.push(("authorization", authorization));
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let reply = hub
            .call_with(
                Method::GET,
                &format!("/jobs/v2/query?{V}&jobType=scheduleUpdateTwin&jobStatus=completed"),
                None,
                &headers,
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let page = reply.body.as_array().unwrap();
        assert!(page.len() <= 2);
        seen.extend(page.iter().map(|j| j["jobId"].as_str().unwrap().to_owned()));
        match reply.headers.get("x-ms-continuation") {
            Some(next) => token = Some(next.to_str().unwrap().to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, ["a", "b", "c"]);
    let scheduled = hub
        .call(
            Method::GET,
            &format!("/jobs/v2/query?{V}&jobStatus=scheduled"),
            None,
        )
        .await;
    assert_eq!(scheduled.body.as_array().unwrap().len(), 1);
    let methods = hub
        .call(
            Method::GET,
            &format!("/jobs/v2/query?{V}&jobType=scheduleDeviceMethod"),
            None,
        )
        .await;
    assert_eq!(methods.body, json!([]));
}

#[tokio::test]
async fn an_accepted_job_and_its_progress_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let now = OffsetDateTime::now_utc();
    {
        let (store, policies) = crate::store::Store::open(Some(dir.path())).unwrap();
        let hub = Hub::with(store.clone(), policies);
        fleet(&hub, 4, "Redmond43").await;
        put_job(&hub, "durable", &job("tags.plant = 'Redmond43'", now, 600)).await;
        hub.state.step_jobs(now, 3).await.unwrap();
        hub.state.step_jobs(now, 3).await.unwrap();
        store.close().await;
    }
    let (store, policies) = crate::store::Store::open(Some(dir.path())).unwrap();
    let hub = Hub::with(store.clone(), policies);
    let resumed = get_job(&hub, "durable").await;
    assert_eq!(resumed["status"], "running");
    assert_eq!(resumed["deviceJobStatistics"]["succeededCount"], 3);
    run_until_idle(&hub, now, 3).await;
    assert_eq!(
        get_job(&hub, "durable").await["deviceJobStatistics"]["succeededCount"],
        4
    );
    for i in 0..4 {
        let twin = twin(&hub, &format!("Redmond43-{i:03}")).await;
        assert_eq!(
            twin["properties"]["desired"]["$version"], 2,
            "patched exactly once"
        );
    }
    store.close().await;
}
