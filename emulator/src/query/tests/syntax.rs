//! Lexical rules (strings, escapes, numbers, escaped names, keyword case), the length limit,
//! and the 400s for syntax errors and unsupported constructs, with their positions.

use iothub_twin::ErrorCode;
use serde_json::json;

use super::{Fleet, rejected};
use crate::query::MAX_QUERY_CHARS;
use crate::query::prepare;

fn strings_fleet() -> Fleet {
    let mut fleet = Fleet::default();
    fleet.device("d1").tags(
        "d1",
        json!({
            "quote": "it's \"fine\"", "slash": "a\\b/c", "accent": "café", "emoji": "😀",
            "lines": "a\nb\tc", "my-key": "dash", "select": "reserved", "n": 31
        }),
    );
    fleet
}

#[test]
fn strings_accept_both_quotes_and_every_escape() {
    let fleet = strings_fleet();
    for condition in [
        r#"tags.quote = 'it\'s "fine"'"#,
        r#"tags.quote = "it's \"fine\"""#,
        r"tags.slash = 'a\\b/c'",
        r"tags.slash = 'a\\b\/c'",
        r"tags.accent = 'caf\u00e9'",
        r"tags.accent = 'caf\u00E9'",
        r"tags.emoji = '\uD83D\uDE00'",
        r"tags.lines = 'a\nb\tc'",
        "tags.emoji = '😀'",
        "tags.[[my-key]] = 'dash'",
        "tags.[[select]] = 'reserved'",
        "[[tags]].[[n]] = 31",
        "tags.n = 0x1F",
        "tags.n = 0X1f",
        "tags.n = 31.0",
        "tags.n = 3.1e1",
        "tags.n = 310E-1",
        "tags.n * 0.5 = 15.5",
        "tags.n > .5",
        "tags.n = 31 AND\n\ttags.accent\r\n= 'café'",
    ] {
        let query = format!("SELECT * FROM devices WHERE {condition}");
        assert_eq!(fleet.ids(&query), ["d1"], "{condition}");
    }
}

#[test]
fn keywords_and_constants_ignore_case() {
    let fleet = strings_fleet();
    for query in [
        "select * from devices where tags.n = 31",
        "SeLeCt TOP 5 * FrOm DEVICES wHeRe tags.n In [31] AnD NoT tags.n NiN [31, 32] Or FALSE",
        "SELECT * FROM devices WHERE IS_DEFINED(tags.n) = TRUE AND tags.x = UNDEFINED OR NULL = Null",
    ] {
        assert_eq!(fleet.ids(query), ["d1"], "{query}");
    }
}

#[test]
fn the_length_limit_is_8192_characters() {
    let base = "SELECT * FROM devices WHERE tags.x = ''";
    let fill = |n: usize| base.replace("''", &format!("'{}'", "é".repeat(n)));
    let longest = fill(MAX_QUERY_CHARS - base.chars().count());
    assert_eq!(longest.chars().count(), MAX_QUERY_CHARS);
    prepare(&longest).unwrap();
    let error = rejected(&fill(MAX_QUERY_CHARS - base.chars().count() + 1));
    assert_eq!(error.code, ErrorCode::ArgumentInvalid);
    assert_eq!(
        error.message,
        "the query is 8193 characters long; the limit is 8192"
    );
}

#[test]
fn empty_queries_are_argument_null() {
    for query in ["", "   ", "\n\t"] {
        let error = rejected(query);
        assert_eq!(
            (error.code, error.message.as_str()),
            (ErrorCode::ArgumentNull, "BadRequest")
        );
    }
}

#[test]
fn syntax_errors_name_line_and_column() {
    let cases = [
        (
            "SELEC * FROM devices",
            "line 1, column 1: expected SELECT, found `SELEC`",
        ),
        (
            "SELECT * FORM devices",
            "line 1, column 10: expected FROM, found `FORM`",
        ),
        (
            "SELECT FROM devices",
            "line 1, column 8: expected *, a property path or an aggregate",
        ),
        (
            "SELECT * FROM device",
            "line 1, column 15: expected devices or devices.modules",
        ),
        (
            "SELECT * FROM devices.things",
            "line 1, column 23: expected modules after devices.",
        ),
        (
            "SELECT * FROM devices WHERE",
            "line 1, column 28: expected a condition after WHERE, found the end",
        ),
        (
            "SELECT * FROM devices\nWHERE tags.x =\n  ",
            "line 3, column 3: expected a value to compare with",
        ),
        (
            "SELECT *\r\nFROM devices\r\nWHERE (tags.x = 1",
            "line 3, column 18: expected `)`",
        ),
        (
            "SELECT * FROM devices WHERE tags.x = 'abc",
            "line 1, column 38: expected the closing quote",
        ),
        (
            r"SELECT * FROM devices WHERE tags.x = 'a\qb'",
            "line 1, column 40: expected an escape",
        ),
        (
            r"SELECT * FROM devices WHERE tags.x = '\u12'",
            "line 1, column 39: expected four hex digits",
        ),
        (
            r"SELECT * FROM devices WHERE tags.x = '\uD800'",
            "line 1, column 39: a \\u escape names a lone UTF-16 surrogate",
        ),
        (
            r"SELECT * FROM devices WHERE tags.x = '\uDC00'",
            "a \\u escape names a lone UTF-16 surrogate",
        ),
        (
            "SELECT * FROM devices WHERE tags.x = 0x",
            "line 1, column 40: expected hex digits after 0x",
        ),
        (
            "SELECT * FROM devices WHERE tags.x = 0x1FFFFFFFFFFFFFFFF",
            "column 38: this number is out of range",
        ),
        (
            "SELECT * FROM devices WHERE tags.x = 1e999",
            "column 38: this number is out of range",
        ),
        (
            "SELECT * FROM devices WHERE tags.group.name = 'x'",
            "column 34: `group` is a reserved word: write it as [[group]]",
        ),
        (
            "SELECT * FROM devices WHERE tags.[[group.name = 'x'",
            "column 34: expected `]]` closing the escaped name",
        ),
        (
            "SELECT * FROM devices WHERE tags.x = [1, 2]",
            "column 38: array constants are allowed only after IN or NIN",
        ),
        (
            "SELECT * FROM devices WHERE tags.x IN ('a', 'b')",
            "column 39: expected an array constant",
        ),
        (
            "SELECT * FROM devices WHERE tags.x IN ['a', tags.y]",
            "column 45: expected a constant",
        ),
        (
            "SELECT * FROM devices WHERE tags.x IN ['a' 'b']",
            "column 44: expected `,` or `]`",
        ),
        (
            "SELECT * FROM devices WHERE tags.x == 1",
            "column 37: expected a value to compare with, found `=`",
        ),
        (
            "SELECT * FROM devices WHERE tags.x = 1 = 2",
            "column 40: expected the end of the query, found `=`",
        ),
        (
            "SELECT * FROM devices WHERE tags.x = 1 AND",
            "column 43: expected a condition after AND, found the end",
        ),
        (
            "SELECT * FROM devices WHERE tags. = 1",
            "column 35: expected a property name after `.`, found `=`",
        ),
        (
            "SELECT * FROM devices WHERE tags.x = 1 tags.y = 2",
            "column 40: expected the end of the query, found `tags.y`",
        ),
        (
            "SELECT TOP -1 * FROM devices",
            "column 12: expected a whole number after TOP",
        ),
        (
            "SELECT TOP 1.5 * FROM devices",
            "column 12: expected a whole number after TOP",
        ),
        (
            "SELECT COUNT(deviceId) FROM devices",
            "column 14: expected `)`: COUNT takes no argument",
        ),
        (
            "SELECT AVG() FROM devices",
            "column 12: expected a property path",
        ),
        (
            "SELECT LOWER(deviceId) FROM devices",
            "column 8: only property paths and the aggregates",
        ),
        (
            "SELECT deviceId AS FROM devices",
            "column 20: `FROM` is a reserved word: write it as [[FROM]]",
        ),
        (
            "SELECT deviceId AS 1 FROM devices",
            "column 20: expected a name after AS, found `1`",
        ),
        (
            "SELECT deviceId, FROM devices",
            "column 18: expected *, a property path or an aggregate",
        ),
    ];
    let mut failures = Vec::new();
    for (query, fragment) in cases {
        let error = rejected(query);
        if error.code != ErrorCode::ArgumentInvalid || !error.message.contains(fragment) {
            failures.push(format!(
                "{query:?}\n    wanted …{fragment}…\n    got    {}",
                error.message
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn constructs_the_hub_lacks_are_refused_as_unsupported() {
    for (query, message) in [
        (
            "SELECT * FROM devices ORDER BY deviceId",
            "ORDER BY is not supported in IoT Hub twin queries (at line 1, column 23)",
        ),
        (
            "SELECT * FROM devices WHERE tags.x = 1 order by deviceId",
            "ORDER BY is not supported",
        ),
        (
            "SELECT tags.x, COUNT() FROM devices GROUP BY tags.x HAVING COUNT() > 1",
            "HAVING is not supported",
        ),
        (
            "SELECT * FROM devices JOIN devices.modules",
            "JOIN is not supported",
        ),
        (
            "SELECT DISTINCT tags.x FROM devices",
            "SELECT DISTINCT is not supported",
        ),
        (
            "SELECT VALUE tags.x FROM devices",
            "SELECT VALUE is not supported",
        ),
        (
            "SELECT * FROM devices WHERE deviceId IN (SELECT deviceId FROM devices.modules)",
            "a subquery is not supported",
        ),
        (
            "SELECT * FROM devices WHERE (SELECT 1)",
            "a subquery is not supported in IoT Hub twin queries (at line 1, column 29)",
        ),
        ("SELECT * FROM devices OFFSET 10", "OFFSET is not supported"),
        ("SELECT * FROM devices LIMIT 10", "LIMIT is not supported"),
        (
            "SELECT * FROM devices UNION SELECT * FROM devices",
            "UNION is not supported",
        ),
        (
            "SELECT COUNT() AS n FROM devices.jobs",
            "FROM devices.jobs takes SELECT * only",
        ),
    ] {
        let error = rejected(query);
        assert_eq!(error.code, ErrorCode::ArgumentInvalid);
        assert!(
            error.message.contains(message),
            "{query}: {}",
            error.message
        );
    }
}

#[test]
fn nesting_is_bounded() {
    let fine = format!(
        "SELECT * FROM devices WHERE {}1 = 1{}",
        "(".repeat(60),
        ")".repeat(60)
    );
    prepare(&fine).unwrap();
    for deep in [
        format!(
            "SELECT * FROM devices WHERE {}1 = 1{}",
            "(".repeat(4000),
            ")".repeat(4000)
        ),
        format!("SELECT * FROM devices WHERE {}true", "NOT ".repeat(2000)),
        format!("SELECT * FROM devices WHERE {}1 = -1", "-".repeat(8000)),
        format!(
            "SELECT * FROM devices WHERE {}1{} = 1",
            "ABS(".repeat(1500),
            ")".repeat(1500)
        ),
    ] {
        let error = rejected(&deep);
        assert!(
            error.message.contains("nests more than 64 levels deep"),
            "{}",
            error.message
        );
    }
    // Long flat chains are not nesting.
    let chain = format!(
        "SELECT * FROM devices WHERE 1{} = 1501",
        " + 1".repeat(1500)
    );
    prepare(&chain).unwrap();
    let chain = format!(
        "SELECT * FROM devices WHERE true{}",
        " AND true".repeat(800)
    );
    prepare(&chain).unwrap();
}
