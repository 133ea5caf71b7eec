//! Every example query of spec §6.4, over the fleet `doc_fleet` seeds.

use serde_json::json;

use super::doc_fleet;

#[test]
fn select_star_returns_every_device_twin_as_get_renders_it() {
    let fleet = doc_fleet();
    let twins = fleet.run("SELECT * FROM devices");
    assert_eq!(twins.len(), 7);
    for twin in &twins {
        let (identity, state) = fleet
            .registry
            .twin_of(twin["deviceId"].as_str().unwrap(), None)
            .unwrap();
        assert_eq!(twin, &identity.twin_json(state));
    }
    assert_eq!(twins[1]["tags"]["location"]["plant"], "Redmond43");
    assert_eq!(twins[1]["properties"]["desired"]["$version"], 2);
}

#[test]
fn count_of_all_devices() {
    let fleet = doc_fleet();
    assert_eq!(
        fleet.run("SELECT COUNT() as totalNumberOfDevices FROM devices"),
        vec![json!({"totalNumberOfDevices": 7})]
    );
}

#[test]
fn filters_on_tags_and_reported_properties() {
    let fleet = doc_fleet();
    assert_eq!(
        fleet.ids("SELECT * FROM devices WHERE tags.location.region = 'US'"),
        ["device1", "device2", "device4"]
    );
    assert_eq!(
        fleet.ids(
            "SELECT * FROM devices WHERE tags.location.region = 'US' AND \
             properties.reported.telemetryConfig.sendFrequencyInSecs >= 60"
        ),
        ["device1", "device4"]
    );
    assert_eq!(
        fleet.ids(
            "SELECT * FROM devices WHERE properties.reported.connectivity IN ['wired', 'wifi']"
        ),
        ["device1", "device2", "device5"]
    );
    assert_eq!(
        fleet.ids("SELECT * FROM devices WHERE is_defined(properties.reported.connectivity)"),
        ["device1", "device2", "device3", "device5"]
    );
}

#[test]
fn group_by_reported_status_counts_each_group() {
    let fleet = doc_fleet();
    let groups = fleet.run(
        "SELECT properties.reported.telemetryConfig.status AS status, COUNT() AS numberOfDevices \
         FROM devices GROUP BY properties.reported.telemetryConfig.status",
    );
    // Groups in the order of their first twin; AZ3166Device reports no status.
    assert_eq!(
        groups,
        vec![
            json!({"numberOfDevices": 1}),
            json!({"status": "Success", "numberOfDevices": 3}),
            json!({"status": "Pending", "numberOfDevices": 2}),
            json!({"status": "Error", "numberOfDevices": 1}),
        ]
    );
}

#[test]
fn projections_use_the_canonical_spelling_of_root_fields() {
    let fleet = doc_fleet();
    let rows = fleet.run(
        "SELECT DeviceId, LastActivityTime FROM devices WHERE status = 'enabled' AND \
         connectionState = 'Disconnected'",
    );
    assert_eq!(rows.len(), 5, "{rows:?}");
    assert_eq!(
        rows[0],
        json!({"deviceId": "AZ3166Device", "lastActivityTime": "2021-05-07T00:50:38.0543092Z"})
    );
    assert!(rows.iter().all(|r| r.as_object().unwrap().len() == 2));
    let times = fleet.run("SELECT LastActivityTime FROM devices WHERE status = 'enabled'");
    assert_eq!(times.len(), 6);
    assert!(
        times
            .iter()
            .all(|t| t.as_object().unwrap().keys().eq(["lastActivityTime"]))
    );
}

#[test]
fn module_twins() {
    let fleet = doc_fleet();
    assert_eq!(
        fleet.ids("SELECT * FROM devices.modules"),
        [
            "device1/scanner",
            "device2/scanner",
            "device3/scanner",
            "device3/uploader"
        ]
    );
    assert_eq!(
        fleet.ids("SELECT * FROM devices.modules WHERE properties.reported.status = 'scanning'"),
        ["device1/scanner", "device2/scanner", "device3/scanner"]
    );
    assert_eq!(
        fleet.ids(
            "SELECT * FROM devices.modules WHERE properties.reported.status = 'scanning' AND \
             deviceId IN ['device1', 'device2']"
        ),
        ["device1/scanner", "device2/scanner"]
    );
    let twins = fleet.run("Select * from devices.modules where moduleId = 'uploader'");
    let (identity, state) = fleet.registry.twin_of("device3", Some("uploader")).unwrap();
    assert_eq!(twins, vec![identity.twin_json(state)]);
}

#[test]
fn job_queries_read_one_row_per_device_of_each_job() {
    use crate::job_state::{Job, JobStatus, Target, TargetStatus};
    let mut registry = crate::registry::Registry::default();
    let target = |device_id: &str, status| Target {
        device_id: device_id.to_owned(),
        status,
        end_time: Some("2016-09-02T00:00:00.0000000Z".to_owned()),
        error: None,
    };
    let job = |job_id: &str, targets| Job {
        job_id: job_id.to_owned(),
        query_condition: "tags.a = 1".to_owned(),
        update_twin: serde_json::json!({"tags": {"a": 2}}),
        created_time: "2016-09-02T00:00:00.0000000Z".to_owned(),
        start_time: "2016-09-02T00:00:00.0000000Z".to_owned(),
        started_time: None,
        max_execution_time_in_seconds: 60,
        status: JobStatus::Running,
        end_time: None,
        failure_reason: None,
        cursor: 1,
        targets,
    };
    registry.jobs.insert(
        "myJobId".into(),
        job(
            "myJobId",
            vec![
                target("myDeviceId", TargetStatus::Completed),
                target("other", TargetStatus::Pending),
            ],
        ),
    );
    registry.jobs.insert(
        "second".into(),
        job("second", vec![target("myDeviceId", TargetStatus::Failed)]),
    );
    let run = |text: &str| {
        let query = crate::query::prepare(text).unwrap();
        assert_eq!(query.item_type(), crate::query::ItemType::DeviceJob);
        query
            .all(&registry)
            .unwrap()
            .into_iter()
            .map(|row| format!("{}/{}/{}", row["jobId"], row["deviceId"], row["status"]))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        run("SELECT * FROM devices.jobs WHERE devices.jobs.deviceId = 'myDeviceId'"),
        [
            r#""myJobId"/"myDeviceId"/"completed""#,
            r#""second"/"myDeviceId"/"failed""#
        ]
    );
    assert_eq!(
        run(
            "SELECT * FROM devices.jobs WHERE devices.jobs.deviceId = 'myDeviceId' AND \
             devices.jobs.jobType = 'scheduleUpdateTwin' AND devices.jobs.status = 'completed' AND \
             devices.jobs.createdDateTimeUtc > '2016-09-01'"
        ),
        [r#""myJobId"/"myDeviceId"/"completed""#]
    );
    assert_eq!(
        run("SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 'myJobId'"),
        [
            r#""myJobId"/"myDeviceId"/"completed""#,
            r#""myJobId"/"other"/"scheduled""#
        ]
    );
    let first = crate::query::prepare("SELECT * FROM devices.jobs")
        .unwrap()
        .page(&registry, 2, None)
        .unwrap();
    assert_eq!(first.items.len(), 2);
    let token = first.continuation.expect("a third row");
    let rest = crate::query::prepare("SELECT * FROM devices.jobs")
        .unwrap()
        .page(&registry, 2, Some(&token))
        .unwrap();
    assert_eq!(rest.items.len(), 1);
    assert_eq!(rest.continuation, None);
}

#[test]
fn escaped_names_and_edge_capability() {
    let fleet = doc_fleet();
    assert_eq!(
        fleet.ids("SELECT * FROM devices WHERE tags.[[group]].name = 'some_value'"),
        ["device4"]
    );
    assert_eq!(
        fleet.ids("SELECT * FROM devices WHERE capabilities.iotEdge = true"),
        ["device5"]
    );
}
