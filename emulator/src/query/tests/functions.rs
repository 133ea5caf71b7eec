//! `IS_DEFINED` and the routing functions accepted as an extension (spec §6.2): one case per
//! function, plus wrong argument types (undefined, so the row is filtered).

use serde_json::json;

use super::{Fleet, rejected};

fn fleet() -> Fleet {
    let mut fleet = Fleet::default();
    fleet.device("d1").reported(
        "d1",
        json!({
            "name": "Thermostat-01", "temp": -21.5, "count": 16, "text": "42", "flag": true,
            "list": [1, 2], "nested": {"a": 1}, "accent": "Éte"
        }),
    );
    fleet.device("d2");
    fleet
}

#[test]
fn every_function_on_good_and_bad_arguments() {
    let fleet = fleet();
    let r = "properties.reported";
    let cases = [
        // (condition, passes for d1)
        (format!("IS_DEFINED({r}.name)"), true),
        (format!("IS_DEFINED({r}.nope)"), false),
        (format!("is_defined({r}.nested.a)"), true),
        (format!("IS_NULL({r}.name)"), false),
        (
            format!("IS_NULL(x509Thumbprint.primaryThumbprint) AND {r}.flag"),
            true,
        ),
        (format!("IS_BOOL({r}.flag)"), true),
        (format!("IS_BOOL({r}.text)"), false),
        (format!("IS_NUMBER({r}.temp)"), true),
        (format!("IS_NUMBER({r}.text)"), false),
        (format!("IS_STRING({r}.text)"), true),
        (format!("IS_ARRAY({r}.list)"), true),
        (format!("IS_OBJECT({r}.nested)"), true),
        (format!("IS_OBJECT({r}.list)"), false),
        (format!("IS_PRIMITIVE({r}.name)"), true),
        (format!("IS_PRIMITIVE({r}.nested)"), false),
        (format!("IS_PRIMITIVE({r}.nope)"), false),
        (format!("AS_NUMBER({r}.text) = 42"), true),
        (format!("AS_NUMBER({r}.name) = 42"), false),
        (format!("AS_NUMBER({r}.count) = 16"), true),
        (format!("ABS({r}.temp) = 21.5"), true),
        (format!("CEILING({r}.temp) = -21"), true),
        (format!("FLOOR({r}.temp) = -22"), true),
        (format!("SIGN({r}.temp) = -1"), true),
        (format!("SQRT({r}.count) = 4"), true),
        (format!("SQRT({r}.temp) = 0"), false),
        (format!("SQUARE({r}.count) = 256"), true),
        (format!("EXP(0) = 1 AND {r}.flag"), true),
        (format!("POWER({r}.count, 0.5) = 4"), true),
        (format!("POWER({r}.name, 2) = 4"), false),
        (
            format!("CONCAT({r}.name, '/', deviceId) = 'Thermostat-01/d1'"),
            true,
        ),
        (format!("CONCAT({r}.name, {r}.count) = 'x'"), false),
        (format!("LENGTH({r}.name) = 13"), true),
        (format!("LENGTH({r}.accent) = 3"), true),
        (format!("LENGTH({r}.count) = 2"), false),
        (format!("LOWER({r}.name) = 'thermostat-01'"), true),
        (format!("UPPER({r}.accent) = 'ÉTE'"), true),
        (format!("SUBSTRING({r}.name, 0, 4) = 'Ther'"), true),
        (format!("SUBSTRING({r}.name, 11, 99) = '01'"), true),
        (format!("SUBSTRING({r}.name, 1.5, 2) = 'he'"), false),
        (format!("INDEX_OF({r}.name, '-') = 10"), true),
        (format!("INDEX_OF({r}.name, 'x') = -1"), true),
        (format!("STARTSWITH({r}.name, 'Therm')"), true),
        (format!("STARTS_WITH({r}.name, 'therm')"), false),
        (format!("ENDSWITH({r}.name, '01')"), true),
        (format!("ENDS_WITH({r}.name, '01')"), true),
        (format!("CONTAINS({r}.name, 'stat')"), true),
        (format!("CONTAINS({r}.count, '1')"), false),
        (
            format!("contains(lower({r}.name), upper('x')) = false"),
            true,
        ),
    ];
    let mut failures = Vec::new();
    for (condition, passes) in &cases {
        let got = fleet.ids(&format!("SELECT * FROM devices WHERE {condition}"));
        let expected: &[&str] = if *passes { &["d1"] } else { &[] };
        if got != expected {
            failures.push(format!("{condition}: got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn arity_unknown_functions_and_aggregates_in_where_are_errors() {
    for (query, fragment) in [
        (
            "SELECT * FROM devices WHERE IS_DEFINED()",
            "IS_DEFINED takes 1 argument, not 0",
        ),
        (
            "SELECT * FROM devices WHERE is_defined(a, b)",
            "is_defined takes 1 argument, not 2",
        ),
        (
            "SELECT * FROM devices WHERE SUBSTRING('a', 1) = 'a'",
            "SUBSTRING takes 3 arguments, not 2",
        ),
        (
            "SELECT * FROM devices WHERE CONCAT('a') = 'a'",
            "CONCAT takes at least 2 arguments, not 1",
        ),
        (
            "SELECT * FROM devices WHERE ST_DISTANCE(a, b) < 1",
            "unknown function ST_DISTANCE",
        ),
        (
            "SELECT * FROM devices WHERE COUNT() > 1",
            "COUNT() is an aggregate: it is allowed only in the SELECT list",
        ),
    ] {
        let error = rejected(query);
        assert!(
            error.message.contains(fragment),
            "{query}: {}",
            error.message
        );
        assert!(
            error.message.contains("line 1, column 29"),
            "{query}: {}",
            error.message
        );
    }
    assert_eq!(
        rejected("SELECT * FROM devices WHERE IS_DEFINED(tags.x").message,
        "syntax error at line 1, column 46: expected `,` or `)`, found the end of the query"
    );
}
