//! Operators, undefined, null and type mismatches (spec §6.2): a table of conditions and the
//! twins each one keeps, over one twin per kind of value.

use serde_json::json;

use super::Fleet;

/// Device id => reported `v` (none for `missing`).
fn typed_fleet() -> Fleet {
    let mut fleet = Fleet::default();
    let values = [
        ("arr", json!([1, 2])),
        ("f", json!(false)),
        ("n1", json!(1)),
        ("n15", json!(1.5)),
        ("n2", json!(2)),
        ("neg", json!(-3)),
        ("obj", json!({"x": 1})),
        ("s_a", json!("a")),
        ("s_b", json!("b")),
        ("t", json!(true)),
    ];
    fleet.device("missing");
    for (id, value) in values {
        fleet.device(id).reported(id, json!({ "v": value }));
    }
    fleet
}

fn check(fleet: &Fleet, cases: &[(&str, &[&str])]) {
    let mut failures = Vec::new();
    for (condition, expected) in cases {
        let query = format!("SELECT * FROM devices WHERE {condition}");
        let got = fleet.ids(&query);
        if got != *expected {
            failures.push(format!(
                "{condition}\n    expected {expected:?}\n    got      {got:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

const V: &str = "properties.reported.v";

#[test]
fn comparisons_compare_same_typed_primitives_only() {
    let fleet = typed_fleet();
    let cases: Vec<(String, &[&str])> = vec![
        (format!("{V} = 1"), &["n1"]),
        (format!("{V} = 1.0"), &["n1"]),
        (format!("{V} = 0x1"), &["n1"]),
        (format!("{V} != 1"), &["n15", "n2", "neg"]),
        (format!("{V} <> 1"), &["n15", "n2", "neg"]),
        (format!("{V} < 2"), &["n1", "n15", "neg"]),
        (format!("{V} <= 2"), &["n1", "n15", "n2", "neg"]),
        (format!("{V} > 1"), &["n15", "n2"]),
        (format!("{V} >= 1.5"), &["n15", "n2"]),
        (format!("{V} = -3"), &["neg"]),
        (format!("{V} = 'a'"), &["s_a"]),
        (format!("{V} = \"a\""), &["s_a"]),
        (format!("{V} != 'a'"), &["s_b"]),
        (format!("{V} < 'b'"), &["s_a"]),
        (format!("{V} >= 'a'"), &["s_a", "s_b"]),
        (format!("{V} = true"), &["t"]),
        (format!("{V} != true"), &["f"]),
        (format!("{V} < true"), &[]),
        (format!("{V} = null"), &[]),
        (format!("{V} != null"), &[]),
        (format!("{V} = undefined"), &[]),
        (format!("{V} != undefined"), &[]),
        (format!("1 = {V}"), &["n1"]),
        (
            format!("{V} = {V}"),
            &["f", "n1", "n15", "n2", "neg", "s_a", "s_b", "t"],
        ),
        (format!("{V} = '1'"), &[]),
        ("properties.reported.nothing != 1".to_owned(), &[]),
        (
            "properties.reported.nothing = properties.reported.nothing".to_owned(),
            &[],
        ),
    ];
    let cases: Vec<(&str, &[&str])> = cases.iter().map(|(c, e)| (c.as_str(), *e)).collect();
    check(&fleet, &cases);
}

#[test]
fn logic_is_three_valued_and_only_true_passes() {
    let fleet = typed_fleet();
    let all = [
        "arr", "f", "missing", "n1", "n15", "n2", "neg", "obj", "s_a", "s_b", "t",
    ];
    let cases: Vec<(String, &[&str])> = vec![
        (format!("{V} = 1 OR {V} = 'a'"), &["n1", "s_a"]),
        (format!("{V} > 1 AND {V} < 2"), &["n15"]),
        (format!("NOT ({V} = 1)"), &["n15", "n2", "neg"]),
        (format!("NOT {V} = 1"), &["n15", "n2", "neg"]),
        (format!("NOT NOT {V} = 1"), &["n1"]),
        (format!("NOT IS_DEFINED({V})"), &["missing"]),
        (format!("false AND {V} = 1"), &[]),
        (format!("true OR {V} = 1"), &all),
        (format!("({V} = 1 OR {V} = 2) AND {V} < 2"), &["n1"]),
        (format!("{V} = 1 OR {V} = 2 AND {V} < 2"), &["n1"]),
        (
            format!("{V} = 'a' or {V} = true aNd {V} != false"),
            &["s_a", "t"],
        ),
        (V.to_owned(), &["t"]),
        ("true".to_owned(), &all),
        ("1".to_owned(), &[]),
        ("'true'".to_owned(), &[]),
        ("null".to_owned(), &[]),
        ("undefined".to_owned(), &[]),
        (format!("NOT {V}"), &["f"]),
    ];
    let cases: Vec<(&str, &[&str])> = cases.iter().map(|(c, e)| (c.as_str(), *e)).collect();
    check(&fleet, &cases);
}

#[test]
fn in_and_nin_test_membership_of_primitives() {
    let fleet = typed_fleet();
    let cases: Vec<(String, &[&str])> = vec![
        (format!("{V} IN [1, 'a', true]"), &["n1", "s_a", "t"]),
        (format!("{V} in [1.5, -3]"), &["n15", "neg"]),
        (format!("{V} IN []"), &[]),
        (format!("{V} IN [null]"), &[]),
        (
            format!("{V} NIN [1, 'a']"),
            &["f", "n15", "n2", "neg", "s_b", "t"],
        ),
        (
            format!("{V} NIN []"),
            &["f", "n1", "n15", "n2", "neg", "s_a", "s_b", "t"],
        ),
        ("properties.reported.nothing NIN [1]".to_owned(), &[]),
        (format!("{V} + 1 IN [2, 3]"), &["n1", "n2"]),
    ];
    let cases: Vec<(&str, &[&str])> = cases.iter().map(|(c, e)| (c.as_str(), *e)).collect();
    check(&fleet, &cases);
}

#[test]
fn arithmetic_works_on_numbers_with_the_usual_precedence() {
    let fleet = typed_fleet();
    let cases: Vec<(String, &[&str])> = vec![
        (format!("{V} + 1 = 2"), &["n1"]),
        (format!("{V} - 1 = 0"), &["n1"]),
        (format!("{V} * 2 = 3"), &["n15"]),
        (format!("{V} / 2 = 1"), &["n2"]),
        (format!("{V} / 2 = 0.5"), &["n1"]),
        (format!("{V} % 2 = 1"), &["n1"]),
        (format!("{V} % 2 = -1"), &["neg"]),
        (format!("{V} / 0 = 1"), &[]),
        (format!("{V} % 0 = 0"), &[]),
        (format!("-{V} = -1"), &["n1"]),
        (format!("- -{V} = 2"), &["n2"]),
        (format!("1 + {V} * 2 = 5"), &["n2"]),
        (format!("(1 + {V}) * 2 = 6"), &["n2"]),
        (format!("{V} - 1 - 1 = 0"), &["n2"]),
        (format!("12 / {V} / 2 = 3"), &["n2"]),
        (format!("{V} + 'a' = 'aa'"), &[]),
        (format!("{V} + true = 2"), &[]),
        (format!("{V}*2>{V}+1"), &["n15", "n2"]),
    ];
    let cases: Vec<(&str, &[&str])> = cases.iter().map(|(c, e)| (c.as_str(), *e)).collect();
    check(&fleet, &cases);
}

#[test]
fn null_matches_only_fields_the_hub_renders_as_null() {
    let fleet = typed_fleet();
    check(
        &fleet,
        &[
            (
                "x509Thumbprint.primaryThumbprint = null",
                &[
                    "arr", "f", "missing", "n1", "n15", "n2", "neg", "obj", "s_a", "s_b", "t",
                ],
            ),
            (
                "deviceId = 'n1' AND IS_NULL(x509Thumbprint.secondaryThumbprint)",
                &["n1"],
            ),
            ("statusReason = null", &[]),
            (
                "deviceId = 'n1' AND IS_DEFINED(x509Thumbprint.primaryThumbprint)",
                &["n1"],
            ),
            ("deviceId = 'n1' AND NOT IS_DEFINED(statusReason)", &["n1"]),
            ("deviceId = 'n1' AND NOT IS_DEFINED(moduleId)", &["n1"]),
        ],
    );
}

#[test]
fn root_fields_ignore_case_but_user_keys_do_not() {
    let mut fleet = Fleet::default();
    fleet
        .device("d1")
        .tags("d1", json!({"Site": "A", "site": "b"}))
        .reported("d1", json!({"Mode": "eco"}));
    check(
        &fleet,
        &[
            ("TAGS.Site = 'A'", &["d1"]),
            ("tags.site = 'b'", &["d1"]),
            ("tags.SITE = 'A'", &[]),
            ("Properties.Reported.Mode = 'eco'", &["d1"]),
            ("properties.reported.mode = 'eco'", &[]),
            ("DEVICEID = 'd1' AND Capabilities.IotEdge = false", &["d1"]),
            ("properties.REPORTED.$VERSION = 2", &["d1"]),
            ("properties.desired.$version = 1", &["d1"]),
            (
                "is_defined(properties.desired.$metadata.$lastUpdated)",
                &["d1"],
            ),
            ("devices.deviceId = 'd1'", &[]),
        ],
    );
}
