//! Twin vectors: merge-patch, diff, replacement notifications and every limit at and one past
//! its bound.

mod common;

use common::{cases, fixture, object, str_of};
use iothub_twin::ErrorCode;
use iothub_twin::twin::{self, Section, Violation};
use serde_json::Value;

#[test]
fn merge_patch_vectors() {
    let doc = fixture("merge_patch.json");
    for case in cases(&doc, "cases") {
        let name = str_of(case, "name");
        let mut target = object(&case["target"]);
        let effective = twin::apply_patch(&mut target, &object(&case["patch"]));
        assert_eq!(Value::Object(target), case["result"], "{name}: result");
        assert_eq!(
            Value::Object(effective),
            case["effective"],
            "{name}: effective patch"
        );
    }
}

#[test]
fn diff_vectors_and_their_round_trip() {
    let doc = fixture("diff.json");
    for case in cases(&doc, "diff") {
        let name = str_of(case, "name");
        let (old, new) = (object(&case["old"]), object(&case["new"]));
        let patch = twin::diff(&old, &new);
        assert_eq!(Value::Object(patch.clone()), case["patch"], "{name}");
        let mut applied = old.clone();
        twin::apply_patch(&mut applied, &patch);
        assert_eq!(applied, new, "{name}: applying the diff");
    }
}

#[test]
fn replacement_vectors_and_their_round_trip() {
    let doc = fixture("diff.json");
    for case in cases(&doc, "replacement") {
        let name = str_of(case, "name");
        let (old, new) = (object(&case["old"]), object(&case["new"]));
        let patch = twin::replacement_patch(&old, &new);
        assert_eq!(Value::Object(patch.clone()), case["patch"], "{name}");
        // A device merging the notification ends up with the replacement.
        let mut device_view = old.clone();
        twin::apply_patch(&mut device_view, &patch);
        assert_eq!(device_view, new, "{name}: device view");
    }
}

fn section_of(name: &str) -> Section {
    match name {
        "tags" => Section::Tags,
        "desired" => Section::Desired,
        "reported" => Section::Reported,
        other => panic!("unknown section {other}"),
    }
}

fn violation_name(violation: &Violation) -> &'static str {
    match violation {
        Violation::NotAnObject => "NotAnObject",
        Violation::EmptyKey => "EmptyKey",
        Violation::KeyTooLong { .. } => "KeyTooLong",
        Violation::KeyCharacter { .. } => "KeyCharacter",
        Violation::StringTooLong { .. } => "StringTooLong",
        Violation::TooDeep => "TooDeep",
        Violation::NullInArray => "NullInArray",
        Violation::IntegerOutOfRange => "IntegerOutOfRange",
        Violation::TooLarge { .. } => "TooLarge",
        other => panic!("unnamed violation {other:?}"),
    }
}

#[test]
fn limit_vectors_pass_at_the_bound_and_fail_one_past() {
    let doc = fixture("limits.json");
    let (mut passed, mut failed) = (0, 0);
    for case in cases(&doc, "cases") {
        let name = str_of(case, "name");
        let result = twin::validate(section_of(str_of(case, "section")), &case["value"]);
        if case["valid"].as_bool().unwrap() {
            result.unwrap_or_else(|e| panic!("{name}: {e}"));
            passed += 1;
        } else {
            let err = result.expect_err(name);
            assert_eq!(err.path, str_of(case, "path"), "{name}");
            assert_eq!(
                violation_name(&err.violation),
                str_of(case, "violation"),
                "{name}"
            );
            assert_eq!(err.error_code(), ErrorCode::ArgumentInvalid, "{name}");
            assert_eq!(err.error_code().number(), 400_004);
            // The error converts into the crate error with the same code.
            assert_eq!(
                iothub_twin::Error::from(err).error_code(),
                Some(ErrorCode::ArgumentInvalid)
            );
            failed += 1;
        }
    }
    assert!(
        passed >= 15 && failed >= 20,
        "{passed} passing and {failed} failing cases"
    );
}

#[test]
fn at_bound_sections_measure_exactly_their_limit() {
    let doc = fixture("limits.json");
    for case in cases(&doc, "cases") {
        let name = str_of(case, "name");
        for (section, limit) in [("tags", 8192), ("desired", 32768), ("reported", 32768)] {
            if name == format!("{section} of exactly {limit}") {
                assert_eq!(
                    twin::measured_size(case["value"].as_object().unwrap()),
                    limit
                );
            }
        }
    }
}
