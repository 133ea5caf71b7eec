//! IoT Hub's twin limits (spec/protocol.md §5.5), checked the way the hub checks them.
//!
//! | rule | limit |
//! |---|---|
//! | key | 1–1024 UTF-8 bytes; no `.`, `$`, space or control character (C0/C1) |
//! | string value | ≤ 4096 UTF-8 bytes |
//! | depth | ≤ 10 nested objects below the section root (arrays add no level) |
//! | integer | −2^52 … 2^52 − 1 |
//! | arrays | no `null` anywhere inside |
//! | section size | tags 8 KB, desired 32 KB, reported 32 KB |
//!
//! Size is measured as the hub documents it: the sum over properties of key length plus value
//! length, where strings count their characters other than control characters, numbers 8,
//! booleans 4 and objects and arrays the sum of their members. `$version` and `$metadata` are
//! not part of a section and must be removed before validating.
//!
//! Every violation is `400004 ArgumentInvalid` (the code IoT Hub is observed to use for twin
//! validation; the hub's codes for the other violations are unconfirmed, spec §5.5).

use std::fmt;

use serde_json::Value;

use crate::ErrorCode;

/// Longest key, in UTF-8 bytes.
pub const MAX_KEY_BYTES: usize = 1024;
/// Longest string value, in UTF-8 bytes.
pub const MAX_STRING_BYTES: usize = 4096;
/// Deepest object nesting below a section's root.
pub const MAX_DEPTH: usize = 10;
/// Largest integer a twin may hold (2^52 − 1).
pub const MAX_INTEGER: i64 = (1 << 52) - 1;
/// Smallest integer a twin may hold (−2^52).
pub const MIN_INTEGER: i64 = -(1 << 52);

/// The three writable parts of a twin, each with its own size limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Section {
    /// `tags`: 8 KB.
    Tags,
    /// `properties.desired`: 32 KB.
    Desired,
    /// `properties.reported`: 32 KB.
    Reported,
}

impl Section {
    /// The section's size limit as the hub measures it.
    pub const fn max_size(self) -> usize {
        match self {
            Section::Tags => 8 * 1024,
            Section::Desired | Section::Reported => 32 * 1024,
        }
    }

    /// The section's path in the twin document.
    pub const fn path(self) -> &'static str {
        match self {
            Section::Tags => "tags",
            Section::Desired => "properties.desired",
            Section::Reported => "properties.reported",
        }
    }
}

/// Which rule was broken.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Violation {
    /// The section (or patch) is not a JSON object.
    NotAnObject,
    /// A key is the empty string.
    EmptyKey,
    /// A key is longer than [`MAX_KEY_BYTES`].
    KeyTooLong {
        /// Its length in bytes.
        bytes: usize,
    },
    /// A key holds `.`, `$`, a space or a control character.
    KeyCharacter {
        /// The offending character.
        character: char,
    },
    /// A string is longer than [`MAX_STRING_BYTES`].
    StringTooLong {
        /// Its length in bytes.
        bytes: usize,
    },
    /// Objects nest deeper than [`MAX_DEPTH`].
    TooDeep,
    /// An array holds `null` (directly or in an object inside it).
    NullInArray,
    /// An integer lies outside ±2^52.
    IntegerOutOfRange,
    /// The section is larger than its limit.
    TooLarge {
        /// The measured size.
        size: usize,
        /// The section's limit.
        max: usize,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::NotAnObject => f.write_str("must be a JSON object"),
            Violation::EmptyKey => f.write_str("key is empty"),
            Violation::KeyTooLong { bytes } => {
                write!(f, "key is {bytes} bytes long; the limit is {MAX_KEY_BYTES}")
            }
            Violation::KeyCharacter { character } => {
                write!(
                    f,
                    "key contains {character:?}; twin keys may not contain '.', '$', spaces or control characters"
                )
            }
            Violation::StringTooLong { bytes } => {
                write!(
                    f,
                    "string is {bytes} bytes long; the limit is {MAX_STRING_BYTES}"
                )
            }
            Violation::TooDeep => write!(f, "objects nest deeper than {MAX_DEPTH} levels"),
            Violation::NullInArray => f.write_str("null values are not allowed inside arrays"),
            Violation::IntegerOutOfRange => {
                write!(
                    f,
                    "integer is outside the range {MIN_INTEGER}..={MAX_INTEGER}"
                )
            }
            Violation::TooLarge { size, max } => write!(
                f,
                "is {size} bytes as IoT Hub measures it; the limit is {max}"
            ),
        }
    }
}

/// A broken twin rule, with the JSON path of the offending member.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid twin at {path}: {violation}")]
pub struct ValidationError {
    /// Where, e.g. `properties.desired.a.b` or `tags.list[2]`.
    pub path: String,
    /// What.
    pub violation: Violation,
}

impl ValidationError {
    /// The IoT Hub error code the hub answers with.
    pub fn error_code(&self) -> ErrorCode {
        ErrorCode::ArgumentInvalid
    }
}

/// Checks a section or a patch to it against every limit.
///
/// `null` members are allowed (in a patch they delete) and count nothing towards the size; a
/// `null` inside an array is refused. Apply it to a patch before sending or merging, and to the
/// merged section to enforce the size limit on the result.
pub fn validate(section: Section, value: &Value) -> Result<(), ValidationError> {
    let Value::Object(members) = value else {
        return Err(ValidationError {
            path: section.path().to_owned(),
            violation: Violation::NotAnObject,
        });
    };
    let mut walker = Walker {
        path: vec![Segment::Root(section.path())],
    };
    let size = walker.object(members, 0, false)?;
    if size > section.max_size() {
        return Err(walker.fail(Violation::TooLarge {
            size,
            max: section.max_size(),
        }));
    }
    Ok(())
}

/// Checks only the size limit of a whole section, e.g. after merging a validated patch into a
/// valid section (the other rules already hold for both).
pub fn check_section_size(
    section: Section,
    members: &serde_json::Map<String, Value>,
) -> Result<(), ValidationError> {
    let size = measured_size(members);
    if size > section.max_size() {
        return Err(ValidationError {
            path: section.path().to_owned(),
            violation: Violation::TooLarge {
                size,
                max: section.max_size(),
            },
        });
    }
    Ok(())
}

/// The size of an object as IoT Hub measures it (see the module docs).
pub fn measured_size(members: &serde_json::Map<String, Value>) -> usize {
    members
        .iter()
        .map(|(key, value)| text_size(key) + value_size(value))
        .sum()
}

fn value_size(value: &Value) -> usize {
    match value {
        Value::Null => 0,
        Value::Bool(_) => 4,
        Value::Number(_) => 8,
        Value::String(s) => text_size(s),
        Value::Array(items) => items.iter().map(value_size).sum(),
        Value::Object(members) => measured_size(members),
    }
}

fn text_size(text: &str) -> usize {
    text.chars().filter(|c| !c.is_control()).count()
}

enum Segment<'a> {
    Root(&'static str),
    Key(&'a str),
    Index(usize),
}

struct Walker<'a> {
    path: Vec<Segment<'a>>,
}

impl<'a> Walker<'a> {
    fn fail(&self, violation: Violation) -> ValidationError {
        let mut path = String::new();
        for segment in &self.path {
            match segment {
                Segment::Root(root) => path.push_str(root),
                Segment::Key(key) => {
                    path.push('.');
                    path.push_str(key);
                }
                Segment::Index(i) => path.push_str(&format!("[{i}]")),
            }
        }
        ValidationError { path, violation }
    }

    /// Walks an object at nesting `depth` (0 = section root); returns its measured size.
    /// Inside an array, `null` members are refused too (in a patch they would mean "delete").
    fn object(
        &mut self,
        members: &'a serde_json::Map<String, Value>,
        depth: usize,
        in_array: bool,
    ) -> Result<usize, ValidationError> {
        if depth > MAX_DEPTH {
            return Err(self.fail(Violation::TooDeep));
        }
        let mut size = 0;
        for (key, value) in members {
            self.path.push(Segment::Key(key));
            self.key(key)?;
            size += text_size(key) + self.value(value, depth, in_array)?;
            self.path.pop();
        }
        Ok(size)
    }

    fn key(&self, key: &str) -> Result<(), ValidationError> {
        if key.is_empty() {
            return Err(self.fail(Violation::EmptyKey));
        }
        if key.len() > MAX_KEY_BYTES {
            return Err(self.fail(Violation::KeyTooLong { bytes: key.len() }));
        }
        if let Some(character) = key
            .chars()
            .find(|&c| c == '.' || c == '$' || c == ' ' || c.is_control())
        {
            return Err(self.fail(Violation::KeyCharacter { character }));
        }
        Ok(())
    }

    /// `depth` is that of the object holding this value; `in_array` forbids `null`.
    fn value(
        &mut self,
        value: &'a Value,
        depth: usize,
        in_array: bool,
    ) -> Result<usize, ValidationError> {
        match value {
            Value::Null if in_array => Err(self.fail(Violation::NullInArray)),
            Value::String(s) if s.len() > MAX_STRING_BYTES => {
                Err(self.fail(Violation::StringTooLong { bytes: s.len() }))
            }
            Value::Number(n) if !integer_in_range(n) => {
                Err(self.fail(Violation::IntegerOutOfRange))
            }
            Value::Object(members) => self.object(members, depth + 1, in_array),
            Value::Array(items) => {
                let mut size = 0;
                for (index, item) in items.iter().enumerate() {
                    self.path.push(Segment::Index(index));
                    size += self.value(item, depth, true)?;
                    self.path.pop();
                }
                Ok(size)
            }
            other => Ok(value_size(other)),
        }
    }
}

fn integer_in_range(number: &serde_json::Number) -> bool {
    if let Some(i) = number.as_i64() {
        (MIN_INTEGER..=MAX_INTEGER).contains(&i)
    } else {
        // A u64 above i64::MAX is out of range; a float is not an integer literal.
        number.as_u64().is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_name_the_offending_member() {
        let err = validate(Section::Desired, &json!({"a": {"b.c": 1}})).unwrap_err();
        assert_eq!(err.path, "properties.desired.a.b.c");
        assert_eq!(err.violation, Violation::KeyCharacter { character: '.' });
        let err = validate(Section::Tags, &json!({"list": [1, {"x": null}]})).unwrap_err();
        assert_eq!(err.path, "tags.list[1].x");
        assert_eq!(err.violation, Violation::NullInArray);
        assert_eq!(err.error_code(), ErrorCode::ArgumentInvalid);
        assert!(err.to_string().contains("tags.list[1].x"), "{err}");
    }

    #[test]
    fn size_counts_keys_strings_numbers_and_booleans() {
        let doc = json!({"ab": "xyz", "n": 1, "t": true, "o": {"k": [1, "é"]}, "gone": null});
        // ab+xyz = 5, n+8 = 9, t+4 = 5, o + (k + 8 + 1) = 11, gone + 0 = 4
        assert_eq!(measured_size(doc.as_object().unwrap()), 5 + 9 + 5 + 11 + 4);
    }
}
