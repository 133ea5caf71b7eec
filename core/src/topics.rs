//! IoT Hub's MQTT twin topics (spec/protocol.md §3.3–§3.7), built and parsed by pure functions
//! shared by the device client and the emulator.
//!
//! Shapes: requests `$iothub/twin/GET/?$rid={rid}` and
//! `$iothub/twin/PATCH/properties/reported/?$rid={rid}[&$version={n}]`; responses
//! `$iothub/twin/res/{status}/?$rid={rid}[&$version={n}]`; desired pushes
//! `$iothub/twin/PATCH/properties/desired/?$version={n}`. The `/` before `?` is required (C# and
//! Python parse by it), `$rid` is echoed byte for byte, and segments are case-sensitive.

/// Filter for twin responses.
pub const TWIN_RESPONSES: &str = "$iothub/twin/res/#";
/// Filter for desired-property pushes.
pub const DESIRED_PATCHES: &str = "$iothub/twin/PATCH/properties/desired/#";

const GET_PREFIX: &str = "$iothub/twin/GET/";
const REPORTED_PREFIX: &str = "$iothub/twin/PATCH/properties/reported/";
const RESPONSE_PREFIX: &str = "$iothub/twin/res/";
const DESIRED_PREFIX: &str = "$iothub/twin/PATCH/properties/desired/";

/// `$iothub/twin/GET/?$rid={rid}`.
pub fn twin_get(rid: &str) -> String {
    format!("{GET_PREFIX}?$rid={rid}")
}

/// `$iothub/twin/PATCH/properties/reported/?$rid={rid}`, with `&$version={n}` for a
/// conditional patch.
pub fn reported_patch(rid: &str, expected_version: Option<u64>) -> String {
    match expected_version {
        Some(version) => format!("{REPORTED_PREFIX}?$rid={rid}&$version={version}"),
        None => format!("{REPORTED_PREFIX}?$rid={rid}"),
    }
}

/// `$iothub/twin/res/{status}/?$rid={rid}[&$version={n}]`.
pub fn twin_response(status: u16, rid: &str, version: Option<u64>) -> String {
    match version {
        Some(version) => format!("{RESPONSE_PREFIX}{status}/?$rid={rid}&$version={version}"),
        None => format!("{RESPONSE_PREFIX}{status}/?$rid={rid}"),
    }
}

/// `$iothub/twin/PATCH/properties/desired/?$version={n}`.
pub fn desired_patch(version: u64) -> String {
    format!("{DESIRED_PREFIX}?$version={version}")
}

/// A twin request a device published.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TwinRequest<'a> {
    /// Read the twin's properties.
    Get {
        /// The request id to echo.
        rid: &'a str,
    },
    /// Merge a patch into reported properties.
    PatchReported {
        /// The request id to echo.
        rid: &'a str,
        /// `$version` precondition (Java's conditional update).
        expected_version: Option<u64>,
    },
}

/// A twin response the hub published.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TwinResponse<'a> {
    /// The status: 200 for GET, 204 for a reported patch, ≥ 400 for errors.
    pub status: u16,
    /// The echoed request id.
    pub rid: &'a str,
    /// The new reported `$version`, on 204.
    pub version: Option<u64>,
}

/// Why a topic is not a twin topic we understand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TopicError {
    /// Not under `$iothub/twin/` or not a known operation.
    #[error("not a supported twin topic")]
    Unsupported,
    /// A supported operation without `$rid`.
    #[error("the twin request has no $rid")]
    MissingRid,
    /// `$version` is not a whole number.
    #[error("$version is not a whole number")]
    BadVersion,
}

/// Parses a topic a device published to: GET or reported PATCH.
pub fn parse_twin_request(topic: &str) -> Result<TwinRequest<'_>, TopicError> {
    if let Some(query) = topic.strip_prefix(GET_PREFIX) {
        let params = Params::parse(query)?;
        return Ok(TwinRequest::Get {
            rid: params.rid.ok_or(TopicError::MissingRid)?,
        });
    }
    if let Some(query) = topic.strip_prefix(REPORTED_PREFIX) {
        let params = Params::parse(query)?;
        return Ok(TwinRequest::PatchReported {
            rid: params.rid.ok_or(TopicError::MissingRid)?,
            expected_version: params.version,
        });
    }
    Err(TopicError::Unsupported)
}

/// Parses a twin response topic (`None` when `topic` is not one).
pub fn parse_twin_response(topic: &str) -> Option<TwinResponse<'_>> {
    let rest = topic.strip_prefix(RESPONSE_PREFIX)?;
    let (status, query) = rest.split_once('/')?;
    let status = status.parse().ok()?;
    let params = Params::parse(query).ok()?;
    Some(TwinResponse {
        status,
        rid: params.rid?,
        version: params.version,
    })
}

/// Parses a desired-patch topic; the `$version` of the topic when present (the payload's
/// `$version` is authoritative; SDKs read that one).
pub fn parse_desired_patch(topic: &str) -> Option<Option<u64>> {
    let query = topic.strip_prefix(DESIRED_PREFIX)?;
    Params::parse(query).ok().map(|p| p.version)
}

/// Whether an MQTT topic filter (with `+` and `#` wildcards) matches a topic.
pub fn filter_matches(filter: &str, topic: &str) -> bool {
    let mut topic_levels = topic.split('/');
    for level in filter.split('/') {
        match level {
            "#" => return true,
            "+" => {
                if topic_levels.next().is_none() {
                    return false;
                }
            }
            literal => {
                if topic_levels.next() != Some(literal) {
                    return false;
                }
            }
        }
    }
    topic_levels.next().is_none()
}

/// The `?$rid=…&$version=…` property bag.
struct Params<'a> {
    rid: Option<&'a str>,
    version: Option<u64>,
}

impl<'a> Params<'a> {
    /// `query` is what follows the operation's `/`: it must be empty or start with `?`.
    fn parse(query: &'a str) -> Result<Self, TopicError> {
        let query = match query.strip_prefix('?') {
            Some(query) => query,
            None if query.is_empty() => "",
            None => return Err(TopicError::Unsupported),
        };
        let mut params = Params {
            rid: None,
            version: None,
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "$rid" => params.rid = Some(value),
                "$version" => {
                    params.version = Some(value.parse().map_err(|_| TopicError::BadVersion)?)
                }
                _ => {}
            }
        }
        Ok(params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Topics exactly as captured from the official SDKs and the hub (spec/transcripts).
    #[test]
    fn captured_topics_round_trip() {
        let rid = "c7da3b76-0311-4d68-9051-84b7863bce96";
        assert_eq!(
            twin_get(rid),
            "$iothub/twin/GET/?$rid=c7da3b76-0311-4d68-9051-84b7863bce96"
        );
        assert_eq!(
            parse_twin_request(&twin_get(rid)),
            Ok(TwinRequest::Get { rid })
        );
        let patch =
            "$iothub/twin/PATCH/properties/reported/?$rid=5ed133d2-55a0-46b6-9842-33b1f6b3a73e";
        assert_eq!(
            reported_patch("5ed133d2-55a0-46b6-9842-33b1f6b3a73e", None),
            patch
        );
        assert_eq!(
            parse_twin_request(patch),
            Ok(TwinRequest::PatchReported {
                rid: "5ed133d2-55a0-46b6-9842-33b1f6b3a73e",
                expected_version: None
            })
        );
        let ok = "$iothub/twin/res/204/?$rid=5ed133d2-55a0-46b6-9842-33b1f6b3a73e&$version=2";
        assert_eq!(
            twin_response(204, "5ed133d2-55a0-46b6-9842-33b1f6b3a73e", Some(2)),
            ok
        );
        assert_eq!(
            parse_twin_response(ok),
            Some(TwinResponse {
                status: 204,
                rid: "5ed133d2-55a0-46b6-9842-33b1f6b3a73e",
                version: Some(2)
            })
        );
        assert_eq!(
            desired_patch(4),
            "$iothub/twin/PATCH/properties/desired/?$version=4"
        );
        assert_eq!(
            parse_desired_patch("$iothub/twin/PATCH/properties/desired/?$version=4"),
            Some(Some(4))
        );
        // embedded C: any caller string as rid; C SDK: decimal packet ids
        assert_eq!(
            parse_twin_response("$iothub/twin/res/200/?$rid=get_twin")
                .unwrap()
                .rid,
            "get_twin"
        );
        assert_eq!(
            parse_twin_request("$iothub/twin/GET/?$rid=42"),
            Ok(TwinRequest::Get { rid: "42" })
        );
    }

    #[test]
    fn conditional_patch_and_errors() {
        assert_eq!(
            reported_patch("1", Some(7)),
            "$iothub/twin/PATCH/properties/reported/?$rid=1&$version=7"
        );
        assert_eq!(
            parse_twin_request("$iothub/twin/PATCH/properties/reported/?$rid=1&$version=7"),
            Ok(TwinRequest::PatchReported {
                rid: "1",
                expected_version: Some(7)
            })
        );
        assert_eq!(
            parse_twin_request("$iothub/twin/GET/"),
            Err(TopicError::MissingRid)
        );
        assert_eq!(
            parse_twin_request("$iothub/twin/GET/?$rid=1&$version=x"),
            Err(TopicError::BadVersion)
        );
        for unsupported in [
            "$iothub/twin/get/?$rid=1",
            "$iothub/twin/GET?$rid=1",
            "$iothub/twin/PATCH/properties/desired/?$rid=1",
            "devices/d1/messages/events/",
            "$iothub/twin/GET/x?$rid=1",
        ] {
            assert_eq!(
                parse_twin_request(unsupported),
                Err(TopicError::Unsupported),
                "{unsupported}"
            );
        }
        assert_eq!(parse_twin_response("$iothub/twin/res/abc/?$rid=1"), None);
        assert_eq!(parse_twin_response("$iothub/twin/res/200?$rid=1"), None);
    }

    #[test]
    fn filters_match_like_mqtt() {
        assert!(filter_matches(
            TWIN_RESPONSES,
            "$iothub/twin/res/200/?$rid=1"
        ));
        assert!(filter_matches(DESIRED_PATCHES, &desired_patch(3)));
        assert!(!filter_matches(
            DESIRED_PATCHES,
            "$iothub/twin/res/200/?$rid=1"
        ));
        assert!(filter_matches("a/+/c", "a/b/c"));
        assert!(!filter_matches("a/+/c", "a/b/d"));
        assert!(!filter_matches("a/b", "a/b/c"));
        assert!(filter_matches("a/#", "a"));
    }
}
