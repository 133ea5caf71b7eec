//! The core's JobClient and bulk registry calls against the in-process emulator (its job runner
//! runs the jobs; the tests poll with a bounded deadline).

use std::time::{Duration, Instant};

use iothub_twin::ErrorCode;
use iothub_twin::service::{
    Authentication, Device, DeviceJob, ExportImportDevice, ImportMode, JobClient, JobRequest,
    JobResponse, QueryOptions, TwinUpdate,
};
use iothub_twin_e2e::{Hub, unique_id};
use serde_json::json;

async fn finished(jobs: &JobClient, job_id: &str) -> JobResponse {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let job = jobs.get_job(job_id).await.unwrap();
        if job.is_finished() {
            return job;
        }
        assert!(Instant::now() < deadline, "the job did not finish: {job:?}");
        tokio::task::yield_now().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_twin_update_job_reaches_every_matching_device() {
    let hub = Hub::start().await;
    let client = &hub.client;
    let plant = unique_id("plant");
    let ids: Vec<String> = (0..5).map(|i| unique_id(&format!("job{i}"))).collect();
    let items: Vec<ExportImportDevice> = ids
        .iter()
        .map(|id| {
            let mut item = ExportImportDevice::new(id, ImportMode::Create);
            item.tags = Some(json!({"plant": plant}).as_object().unwrap().clone());
            item
        })
        .collect();
    let created = client.bulk_registry_operation(&items).await.unwrap();
    assert!(created.is_successful, "{created:?}");

    let jobs = client.jobs();
    let job_id = unique_id("rollout");
    let accepted = jobs
        .schedule_twin_update(
            &job_id,
            &format!("tags.plant = '{plant}'"),
            json!({"properties": {"desired": {"firmware": {"version": "2.0"}}}}),
            None,
            Some(600),
        )
        .await
        .unwrap();
    assert_eq!(accepted.job_id, job_id);
    assert_eq!(accepted.job_type.as_deref(), Some("scheduleUpdateTwin"));
    let done = finished(&jobs, &job_id).await;
    assert_eq!(done.status.as_deref(), Some("completed"));
    let stats = done.device_job_statistics.unwrap();
    assert_eq!((stats.device_count, stats.succeeded_count), (5, 5));
    for id in &ids {
        let twin = client.get_twin(id).await.unwrap();
        assert_eq!(
            twin.properties.as_ref().unwrap().desired.get("firmware"),
            Some(&json!({"version": "2.0"}))
        );
    }

    // The per-device rows, typed.
    let page = client
        .query_page(
            &format!("SELECT * FROM devices.jobs WHERE devices.jobs.jobId = '{job_id}'"),
            &QueryOptions::default(),
        )
        .await
        .unwrap();
    let rows: Vec<DeviceJob> = page
        .items
        .into_iter()
        .map(|item| DeviceJob::from_item(item).unwrap())
        .collect();
    assert_eq!(rows.len(), 5);
    assert!(
        rows.iter()
            .all(|row| row.status.as_deref() == Some("completed"))
    );

    // Listed, one per page.
    let mut pager = jobs.query_jobs(
        Some("scheduleUpdateTwin".into()),
        Some("completed".into()),
        Some(1),
    );
    let mut listed = Vec::new();
    while let Some(page) = pager.next_page().await.unwrap() {
        assert!(page.items.len() <= 1);
        listed.extend(page.items.into_iter().map(|job| job.job_id));
    }
    assert!(listed.contains(&job_id), "{listed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_future_job_waits_and_cancel_stops_it_and_errors_are_typed() {
    let hub = Hub::start().await;
    let jobs = hub.client.jobs();
    let job_id = unique_id("later");
    let mut request = JobRequest::update_twin(&job_id, "tags.x = 1", json!({"tags": {"y": 2}}));
    request.start_time = Some("2999-01-01T00:00:00Z".into());
    let accepted = jobs.create_job(&request).await.unwrap();
    assert_eq!(accepted.status.as_deref(), Some("scheduled"));
    let duplicate = jobs.create_job(&request).await.unwrap_err();
    assert_eq!(duplicate.status(), Some(409));
    assert_eq!(duplicate.error_code(), Some(ErrorCode::JobAlreadyExists));
    let cancelled = jobs.cancel_job(&job_id).await.unwrap();
    assert_eq!(cancelled.status.as_deref(), Some("cancelled"));

    let missing = jobs.get_job("no-such-job").await.unwrap_err();
    assert_eq!(missing.error_code(), Some(ErrorCode::JobNotFound));
    let bad = jobs
        .schedule_twin_update(
            &unique_id("bad"),
            "tags.x = ",
            json!({"tags": {}}),
            None,
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(bad.status(), Some(400));
    assert_eq!(bad.error_code(), Some(ErrorCode::ArgumentInvalid));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_add_update_remove_and_update_twins() {
    let hub = Hub::start().await;
    let client = &hub.client;
    let ids: Vec<String> = (0..3).map(|i| unique_id(&format!("bulk{i}"))).collect();
    let devices: Vec<Device> = ids
        .iter()
        .map(|id| Device::new(id, Authentication::sas()))
        .collect();
    assert!(client.add_devices(&devices).await.unwrap().is_successful);
    let again = client.add_devices(&devices[..1]).await.unwrap();
    assert!(!again.is_successful);
    assert_eq!(again.errors[0].device_id, ids[0]);
    assert_eq!(again.errors[0].error_code, "DeviceAlreadyExists");

    let updates: Vec<TwinUpdate> = ids
        .iter()
        .map(|id| TwinUpdate {
            device_id: id.clone(),
            desired: Some(json!({"mode": "eco"}).as_object().unwrap().clone()),
            ..TwinUpdate::default()
        })
        .collect();
    assert!(
        client
            .update_twins(&updates, true)
            .await
            .unwrap()
            .is_successful
    );
    let twin = client.get_twin(&ids[2]).await.unwrap();
    assert_eq!(
        twin.properties.as_ref().unwrap().desired.get("mode"),
        Some(&json!("eco"))
    );

    // Stale etags: nothing removed; forced: removed.
    let mut stale = devices.clone();
    for device in &mut stale {
        device.etag = Some("stale".into());
    }
    let refused = client.remove_devices(&stale, false).await.unwrap();
    assert_eq!(refused.errors.len(), 3);
    assert!(
        refused
            .errors
            .iter()
            .all(|e| e.error_code == "PreconditionFailed")
    );
    assert!(
        client
            .remove_devices(&devices, true)
            .await
            .unwrap()
            .is_successful
    );
    assert_eq!(
        client.get_device(&ids[0]).await.unwrap_err().status(),
        Some(404)
    );

    let too_many: Vec<Device> = (0..101)
        .map(|i| Device::new(format!("d{i}"), Authentication::sas()))
        .collect();
    assert!(client.add_devices(&too_many).await.is_err());
}
