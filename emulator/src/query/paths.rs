//! Property paths (`tags.location.region`, `properties.reported.$metadata`, `DeviceId`) and how
//! they read a twin.
//!
//! The twin's fixed structure — root fields, `properties.desired|reported`, their `$metadata`
//! and `$version`, `capabilities.iotEdge`, `x509Thumbprint.primary|secondaryThumbprint` — is
//! matched ignoring case and rewritten to its canonical spelling when the query is parsed, so
//! `SELECT DeviceId` yields the key `deviceId` (spec §6.1's example). Keys the user chose, inside
//! tags, desired and reported, are matched exactly, as the twin itself is case-sensitive (spec
//! §6.1 leaves this UNCONFIRMED; we chose case-sensitive).
//!
//! [`TwinView`] reads a path without rendering the whole document: tags and properties are
//! walked in place, every other root field comes from [`Identity::twin_field`], the same code
//! that renders `GET /twins`, so a query sees exactly what GET shows.

use std::borrow::Cow;

use iothub_twin::twin::JsonObject;
use serde_json::Value;

use crate::registry::{Identity, TwinField};
use crate::twin_state::TwinState;

/// A dotted property path, its fixed-structure segments in canonical spelling.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct FieldPath {
    /// The root field, or `None` when the first segment names no twin field (then the path
    /// is always undefined).
    root: Option<TwinField>,
    /// Every segment, the first included.
    segments: Vec<String>,
}

impl FieldPath {
    /// The path made of `segments` (at least one) as written in the query.
    pub(crate) fn new(mut segments: Vec<String>) -> Self {
        let root = segments
            .first()
            .and_then(|first| TwinField::find_ignoring_case(first));
        if let Some(field) = root {
            segments[0] = field.name().to_owned();
            let fixed: &[&[&str]] = match field {
                TwinField::Capabilities => &[&["iotEdge"]],
                TwinField::X509Thumbprint => &[&["primaryThumbprint", "secondaryThumbprint"]],
                TwinField::Properties => &[&["desired", "reported"], &["$metadata", "$version"]],
                _ => &[],
            };
            for (segment, names) in segments.iter_mut().skip(1).zip(fixed) {
                match names.iter().find(|n| n.eq_ignore_ascii_case(segment)) {
                    Some(name) => *segment = (*name).to_owned(),
                    None => break,
                }
            }
        }
        Self { root, segments }
    }

    /// The key a projection of this path gets without `AS`: its last segment.
    pub(crate) fn output_name(&self) -> &str {
        self.segments.last().map_or("", String::as_str)
    }

    /// The path as text, for messages.
    pub(crate) fn dotted(&self) -> String {
        self.segments.join(".")
    }
}

/// One device or module twin, as queries read it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TwinView<'a> {
    /// The identity.
    pub identity: &'a Identity,
    /// Its twin.
    pub twin: &'a TwinState,
}

/// What a `WHERE` clause reads paths from: a twin, or a `devices.jobs` row.
pub(crate) trait Resolve<'a>: Copy {
    /// The value at `path`, `None` when undefined.
    fn resolve(&self, path: &FieldPath) -> Option<Cow<'a, Value>>;
}

impl<'a> Resolve<'a> for TwinView<'a> {
    fn resolve(&self, path: &FieldPath) -> Option<Cow<'a, Value>> {
        TwinView::resolve(self, path)
    }
}

/// One `devices.jobs` row. Its paths are written `devices.jobs.<field>` (IoT Hub's examples) or
/// plain `<field>`; field names match exactly, as the rows are documents of their own.
#[derive(Clone, Copy, Debug)]
pub(crate) struct JobRowView<'a>(pub &'a Value);

impl<'a> Resolve<'a> for JobRowView<'a> {
    fn resolve(&self, path: &FieldPath) -> Option<Cow<'a, Value>> {
        let segments = path.segments.as_slice();
        let rest = match segments {
            [devices, jobs, rest @ ..]
                if devices.eq_ignore_ascii_case("devices") && jobs.eq_ignore_ascii_case("jobs") =>
            {
                rest
            }
            _ => segments,
        };
        if rest.is_empty() {
            return None;
        }
        rest.iter()
            .try_fold(self.0, |value, key| value.as_object()?.get(key))
            .map(Cow::Borrowed)
    }
}

impl<'a> TwinView<'a> {
    /// The whole twin document, as `GET /twins` renders it.
    pub(crate) fn document(&self) -> Value {
        self.identity.twin_json(self.twin)
    }

    /// The value at `path`, `None` when undefined.
    pub(crate) fn resolve(&self, path: &FieldPath) -> Option<Cow<'a, Value>> {
        let rest = &path.segments[1..];
        match path.root? {
            TwinField::Tags if !rest.is_empty() => {
                walk_map(&self.twin.tags, rest).map(Cow::Borrowed)
            }
            TwinField::Properties if !rest.is_empty() => self.property(rest),
            field => walk_owned(self.identity.twin_field(self.twin, field)?, rest),
        }
    }

    /// `properties.<rest>`.
    fn property(&self, rest: &[String]) -> Option<Cow<'a, Value>> {
        let twin = self.twin;
        let (section, metadata, version) = match rest[0].as_str() {
            "desired" => (&twin.desired, &twin.desired_metadata, twin.desired_version),
            "reported" => (
                &twin.reported,
                &twin.reported_metadata,
                twin.reported_version,
            ),
            _ => return None,
        };
        match rest.get(1).map(String::as_str) {
            None => walk_owned(twin.properties_json(), &rest[..1]),
            Some("$metadata") if rest.len() == 2 => {
                Some(Cow::Owned(Value::Object(metadata.clone())))
            }
            Some("$metadata") => walk_map(metadata, &rest[2..]).map(Cow::Borrowed),
            Some("$version") if rest.len() == 2 => Some(Cow::Owned(Value::from(version))),
            Some("$version") => None,
            Some(_) => walk_map(section, &rest[1..]).map(Cow::Borrowed),
        }
    }
}

/// `map.a.b.c` for `path` = `[a, b, c]` (not empty).
fn walk_map<'a>(map: &'a JsonObject, path: &[String]) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    rest.iter().try_fold(member(map, first)?, |value, key| {
        member(value.as_object()?, key)
    })
}

/// `map[key]`. Twin objects are small, and a scan that compares lengths before bytes touches
/// less memory than hashing into the map's index: scans are bound by cache misses.
fn member<'a>(map: &'a JsonObject, key: &str) -> Option<&'a Value> {
    if map.len() > 16 {
        return map.get(key);
    }
    map.iter().find(|(k, _)| k.as_str() == key).map(|(_, v)| v)
}

/// `value.<path>`, owned.
fn walk_owned<'a>(value: Value, path: &[String]) -> Option<Cow<'a, Value>> {
    if path.is_empty() {
        return Some(Cow::Owned(value));
    }
    let found = path
        .iter()
        .try_fold(&value, |value, key| value.as_object()?.get(key))?;
    Some(Cow::Owned(found.clone()))
}
