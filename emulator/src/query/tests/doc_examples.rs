//! Every example query of spec §6.4, over the fleet `doc_fleet` seeds.

use serde_json::json;

use super::{doc_fleet, rejected};

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
fn job_queries_are_refused_explicitly() {
    for query in [
        "SELECT * FROM devices.jobs WHERE devices.jobs.deviceId = 'myDeviceId'",
        "SELECT * FROM devices.jobs WHERE devices.jobs.deviceId = 'myDeviceId' AND \
         devices.jobs.jobType = 'scheduleUpdateTwin' AND devices.jobs.status = 'completed' AND \
         devices.jobs.createdTimeUtc > '2016-09-01'",
        "SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 'myJobId'",
    ] {
        let error = rejected(query);
        assert_eq!(error.code, iothub_twin::ErrorCode::ArgumentInvalid);
        assert!(
            error
                .message
                .starts_with("FROM devices.jobs (this emulator has no jobs) is not supported")
                && error.message.contains("line 1, column 15"),
            "{}",
            error.message
        );
    }
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
