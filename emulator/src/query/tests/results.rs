//! Result shapes: projections, TOP, aggregates, GROUP BY, and paths reading exactly what GET
//! renders.

use serde_json::{Value, json};

use super::{Fleet, doc_fleet, prepared, rejected};
use crate::query::ItemType;
use crate::query::paths::{FieldPath, TwinView};

fn numbers_fleet() -> Fleet {
    let mut fleet = Fleet::default();
    for (id, kind, temp) in [
        ("a", "fan", json!(10)),
        ("b", "fan", json!(20.5)),
        ("c", "pump", json!(-4)),
        ("d", "pump", json!("hot")),
        ("e", "fan", json!(null)),
        ("f", "valve", json!(true)),
    ] {
        fleet.device(id).tags(id, json!({"kind": kind}));
        if !temp.is_null() {
            fleet.reported(id, json!({ "temp": temp }));
        }
    }
    fleet
}

#[test]
fn projections_key_by_alias_or_last_segment_and_omit_undefined() {
    let fleet = numbers_fleet();
    assert_eq!(
        fleet.run("SELECT deviceId, tags.kind, properties.reported.temp AS t FROM devices WHERE tags.kind = 'fan'"),
        vec![
            json!({"deviceId": "a", "kind": "fan", "t": 10}),
            json!({"deviceId": "b", "kind": "fan", "t": 20.5}),
            json!({"deviceId": "e", "kind": "fan"}),
        ]
    );
    assert_eq!(
        fleet.run("SELECT tags.nothing FROM devices WHERE deviceId = 'a'"),
        vec![json!({})]
    );
    let whole = fleet.run(
        "SELECT tags, properties.reported AS r, capabilities FROM devices WHERE deviceId = 'c'",
    );
    assert_eq!(whole[0]["tags"], json!({"kind": "pump"}));
    assert_eq!(whole[0]["r"]["temp"], -4);
    assert_eq!(whole[0]["r"]["$version"], 2);
    assert_eq!(whole[0]["capabilities"], json!({"iotEdge": false}));
    assert_eq!(
        prepared("SELECT deviceId FROM devices").item_type(),
        ItemType::Raw
    );
    assert_eq!(
        prepared("SELECT * FROM devices").item_type(),
        ItemType::Twin
    );
    assert_eq!(
        prepared("SELECT COUNT() FROM devices.modules").item_type(),
        ItemType::Raw
    );
}

#[test]
fn top_limits_the_results() {
    let fleet = numbers_fleet();
    assert_eq!(fleet.ids("SELECT TOP 2 * FROM devices"), ["a", "b"]);
    assert_eq!(
        fleet.ids("SELECT TOP 0 * FROM devices"),
        Vec::<String>::new()
    );
    assert_eq!(
        fleet.ids("SELECT TOP 0x2 * FROM devices WHERE tags.kind = 'pump'"),
        ["c", "d"]
    );
    assert_eq!(fleet.ids("SELECT TOP 100 * FROM devices").len(), 6);
    assert_eq!(
        fleet.run("SELECT TOP 1 tags.kind, COUNT() AS n FROM devices GROUP BY tags.kind"),
        vec![json!({"kind": "fan", "n": 3})]
    );
}

#[test]
fn aggregates_over_everything_and_per_group() {
    let fleet = numbers_fleet();
    assert_eq!(
        fleet.run(
            "SELECT COUNT() AS n, SUM(properties.reported.temp) AS sum, AVG(properties.reported.temp) AS avg, \
             MIN(properties.reported.temp) AS min, MAX(properties.reported.temp) AS max FROM devices"
        ),
        vec![json!({"n": 6, "sum": 26.5, "avg": 26.5 / 3.0, "min": true, "max": "hot"})]
    );
    assert_eq!(
        fleet.run(
            "SELECT tags.kind AS kind, COUNT(), SUM(properties.reported.temp), MIN(properties.reported.temp) \
             AS lowest, MAX(properties.reported.temp) FROM devices WHERE tags.kind != 'valve' GROUP BY tags.kind"
        ),
        vec![
            json!({"kind": "fan", "$1": 3, "$2": 30.5, "lowest": 10, "$3": 20.5}),
            json!({"kind": "pump", "$1": 2, "$2": -4, "lowest": -4, "$3": "hot"}),
        ]
    );
    assert_eq!(
        fleet.run("SELECT COUNT() AS n, AVG(tags.nothing) AS avg, SUM(tags.nothing) AS s FROM devices WHERE deviceId = 'zz'"),
        vec![json!({"n": 0, "s": 0})]
    );
    assert_eq!(
        fleet.run("SELECT tags.kind FROM devices GROUP BY tags.kind"),
        vec![
            json!({"kind": "fan"}),
            json!({"kind": "pump"}),
            json!({"kind": "valve"})
        ]
    );
    assert_eq!(
        fleet.run(
            "SELECT AVG(properties.reported.temp) AS avg FROM devices WHERE deviceId IN ['a', 'c']"
        ),
        vec![json!({"avg": 3})]
    );
}

#[test]
fn group_by_several_paths_and_module_twins() {
    let mut fleet = Fleet::default();
    for (device, module, a, b) in [
        ("d1", "m1", "x", 1),
        ("d1", "m2", "x", 2),
        ("d2", "m1", "x", 1),
        ("d2", "m2", "y", 1),
    ] {
        if fleet.registry.device(device).is_none() {
            fleet.device(device);
        }
        fleet
            .module(device, module)
            .reported(&format!("{device}/{module}"), json!({"a": a, "b": b}));
    }
    assert_eq!(
        fleet.run(
            "SELECT properties.reported.a, properties.reported.b, COUNT() AS n FROM devices.modules \
             GROUP BY properties.reported.a, properties.reported.b"
        ),
        vec![
            json!({"a": "x", "b": 1, "n": 2}),
            json!({"a": "x", "b": 2, "n": 1}),
            json!({"a": "y", "b": 1, "n": 1}),
        ]
    );
    assert_eq!(
        fleet.run("SELECT moduleId, COUNT() AS n FROM devices.modules GROUP BY moduleId"),
        vec![
            json!({"moduleId": "m1", "n": 2}),
            json!({"moduleId": "m2", "n": 2})
        ]
    );
}

#[test]
fn meaningless_selections_are_rejected() {
    for (query, fragment) in [
        (
            "SELECT * FROM devices GROUP BY tags.x",
            "SELECT * cannot be combined with GROUP BY",
        ),
        (
            "SELECT deviceId, COUNT() FROM devices",
            "deviceId is selected next to an aggregate or GROUP BY",
        ),
        (
            "SELECT tags.y FROM devices GROUP BY tags.x",
            "tags.y is selected next to an aggregate",
        ),
        (
            "SELECT tags.a.x, tags.b.x FROM devices",
            "two selected values are both named x",
        ),
        (
            "SELECT COUNT() AS n, SUM(tags.x) AS n FROM devices",
            "two selected values are both named n",
        ),
    ] {
        let error = rejected(query);
        assert!(
            error.message.contains(fragment),
            "{query}: {}",
            error.message
        );
    }
}

/// Every member of `value`, at every depth, as (path, value).
fn members(prefix: &[String], value: &Value, out: &mut Vec<(Vec<String>, Value)>) {
    if let Value::Object(map) = value {
        for (key, child) in map {
            let mut path = prefix.to_vec();
            path.push(key.clone());
            out.push((path.clone(), child.clone()));
            members(&path, child, out);
        }
    }
}

#[test]
fn every_path_reads_what_get_renders() {
    let mut fleet = doc_fleet();
    fleet.identity("device2").status_reason = Some("provisioned".into());
    let mut twins: Vec<TwinView<'_>> = Vec::new();
    for device in fleet.registry.devices.values() {
        twins.push(TwinView {
            identity: &device.identity,
            twin: &device.twin,
        });
        for module in device.modules.values() {
            twins.push(TwinView {
                identity: &module.identity,
                twin: &module.twin,
            });
        }
    }
    let mut checked = 0;
    for twin in twins {
        let document = twin.identity.twin_json(twin.twin);
        let mut all = Vec::new();
        members(&[], &document, &mut all);
        for (path, value) in all {
            let resolved = twin.resolve(&FieldPath::new(path.clone()));
            assert_eq!(resolved.as_deref(), Some(&value), "{path:?}");
            let mut missing = path.clone();
            missing.push("noSuchKey".into());
            assert_eq!(twin.resolve(&FieldPath::new(missing)), None, "{path:?}");
            checked += 1;
        }
        for absent in [
            &["deviceScope"][..],
            &["properties", "other"],
            &["properties", "desired", "$version", "x"],
            &["tags"],
        ] {
            if document.get("tags").is_none() || absent != ["tags"] {
                let path: Vec<String> = absent.iter().map(|s| (*s).to_owned()).collect();
                assert_eq!(twin.resolve(&FieldPath::new(path)), None, "{absent:?}");
            }
        }
    }
    assert!(checked > 300, "{checked}");
}

#[test]
fn many_groups_keep_their_first_seen_order_and_counts() {
    let mut fleet = Fleet::default();
    for i in 0..130 {
        let id = format!("d{i:03}");
        fleet.device(&id);
        if i < 120 {
            fleet.tags(&id, json!({"k": i % 40, "half": i % 2}));
        }
    }
    let groups = fleet.run(
        "SELECT tags.k AS k, tags.half AS h, COUNT() AS n FROM devices GROUP BY tags.k, tags.half",
    );
    let mut expected: Vec<Value> = (0..40)
        .map(|k| json!({"k": k, "h": k % 2, "n": 3}))
        .collect();
    expected.push(json!({"n": 10}));
    assert_eq!(groups, expected);
}
