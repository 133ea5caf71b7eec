//! Loads the shared golden vectors from `tests/fixtures/` at test time.
// Each test file uses only some of these helpers.
#![allow(dead_code)]

use std::path::PathBuf;

use serde_json::Value;

pub(crate) fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

pub(crate) fn cases<'a>(doc: &'a Value, key: &str) -> &'a [Value] {
    let cases = doc[key]
        .as_array()
        .unwrap_or_else(|| panic!("fixture has no array {key:?}"));
    assert!(!cases.is_empty(), "fixture array {key:?} is empty");
    cases
}

pub(crate) fn str_of<'a>(case: &'a Value, key: &str) -> &'a str {
    case[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key:?} is not a string in {case}"))
}

pub(crate) fn object(value: &Value) -> serde_json::Map<String, Value> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .clone()
}
