//! Twin requests between the handle and the wire: which are waiting to be sent, which wait for
//! an answer, and how answers are read (spec §3.4–§3.6).

use std::collections::BTreeMap;

use serde_json::Value;
use tokio::sync::oneshot;

use crate::twin::TwinProperties;
use crate::{Error, Result, ServiceError};

/// What a request asks.
#[derive(Debug)]
pub(crate) enum RequestKind {
    /// Read the twin's properties.
    Get,
    /// Merge a JSON patch into reported properties, optionally only at a given `$version`.
    Patch {
        body: Vec<u8>,
        expected_version: Option<u64>,
    },
}

/// A successful answer.
#[derive(Debug)]
pub(crate) enum Reply {
    Twin(TwinProperties),
    Patched(u64),
}

#[derive(Debug)]
struct Request {
    kind: RequestKind,
    /// `None` for the client's own resync reads.
    reply: Option<oneshot::Sender<Result<Reply>>>,
    /// The connection it was last sent on.
    sent_on: Option<u64>,
}

/// Requests by `$rid`; rids grow, so map order is submission order.
#[derive(Debug, Default)]
pub(crate) struct Requests {
    by_rid: BTreeMap<u64, Request>,
}

impl Requests {
    pub(crate) fn add(
        &mut self,
        rid: u64,
        kind: RequestKind,
        reply: Option<oneshot::Sender<Result<Reply>>>,
    ) {
        self.by_rid.insert(
            rid,
            Request {
                kind,
                reply,
                sent_on: None,
            },
        );
    }

    /// Requests not yet sent on `connection`, oldest first, with what to publish.
    pub(crate) fn unsent(&self, connection: u64) -> Vec<(u64, String, Vec<u8>)> {
        self.by_rid
            .iter()
            .filter(|(_, r)| r.sent_on != Some(connection))
            .map(|(rid, r)| {
                let rid_text = rid.to_string();
                match &r.kind {
                    // The official SDKs send a single space as the GET body.
                    RequestKind::Get => (*rid, crate::topics::twin_get(&rid_text), b" ".to_vec()),
                    RequestKind::Patch {
                        body,
                        expected_version,
                    } => (
                        *rid,
                        crate::topics::reported_patch(&rid_text, *expected_version),
                        body.clone(),
                    ),
                }
            })
            .collect()
    }

    pub(crate) fn mark_sent(&mut self, rid: u64, connection: u64) {
        if let Some(request) = self.by_rid.get_mut(&rid) {
            request.sent_on = Some(connection);
        }
    }

    /// How many requests have not been sent on `connection` yet.
    pub(crate) fn queued(&self, connection: u64) -> usize {
        self.by_rid
            .values()
            .filter(|r| r.sent_on != Some(connection))
            .count()
    }

    /// How many were sent on `connection` and are still unanswered.
    pub(crate) fn awaiting(&self, connection: u64) -> usize {
        self.by_rid
            .values()
            .filter(|r| r.sent_on == Some(connection))
            .count()
    }

    /// Answers request `rid` from a response; returns the result for the client's own reads.
    pub(crate) fn answer(
        &mut self,
        rid: u64,
        status: u16,
        version: Option<u64>,
        payload: &[u8],
    ) -> Option<Result<Reply>> {
        let request = self.by_rid.remove(&rid)?;
        let result = read_response(&request.kind, status, version, payload);
        match request.reply {
            Some(reply) => {
                let _ = reply.send(result);
                None
            }
            None => Some(result),
        }
    }

    /// Forgets a request whose caller gave up (deadline): it will not be sent later.
    pub(crate) fn cancel(&mut self, rid: u64) {
        self.by_rid.remove(&rid);
    }

    /// Fails every request with `error`.
    pub(crate) fn fail_all(&mut self, error: impl Fn() -> Error) {
        for (_, request) in std::mem::take(&mut self.by_rid) {
            if let Some(reply) = request.reply {
                let _ = reply.send(Err(error()));
            }
        }
    }
}

fn read_response(
    kind: &RequestKind,
    status: u16,
    version: Option<u64>,
    payload: &[u8],
) -> Result<Reply> {
    if status >= 300 {
        return Err(Error::Service(service_error(status, payload)));
    }
    match kind {
        RequestKind::Get => serde_json::from_slice(payload)
            .map(Reply::Twin)
            .map_err(|e| Error::Connection {
                reason: format!("the hub sent a twin that is not valid JSON: {e}"),
            }),
        // Embedded C tolerates a 204 without $version; so do we, reporting 0.
        RequestKind::Patch { .. } => Ok(Reply::Patched(version.unwrap_or(0))),
    }
}

/// `{"errorCode":400004,"trackingId":"…","message":"…","timestampUtc":"…"}`, or nothing.
fn service_error(status: u16, payload: &[u8]) -> ServiceError {
    let body: Value = serde_json::from_slice(payload).unwrap_or(Value::Null);
    let message = body["message"]
        .as_str()
        .or(body["Message"].as_str())
        .map_or_else(
            || format!("twin request failed with status {status}"),
            str::to_owned,
        );
    let mut error = ServiceError::new(status, message);
    if let Some(number) = body["errorCode"]
        .as_u64()
        .and_then(|n| u32::try_from(n).ok())
    {
        error = error.with_code_number(number);
    }
    if let Some(tracking_id) = body["trackingId"].as_str() {
        error = error.with_tracking_id(tracking_id);
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_become_service_errors() {
        let body = br#"{"errorCode":400004,"trackingId":"abc","message":"bad key","timestampUtc":"2021-01-12T22:23:43Z"}"#;
        let err = read_response(&RequestKind::Get, 400, None, body).unwrap_err();
        let Error::Service(e) = err else { panic!() };
        assert_eq!(
            (e.status, e.code_number, e.tracking_id.as_deref()),
            (400, Some(400_004), Some("abc"))
        );
        assert_eq!(e.message, "bad key");
        let err = read_response(&RequestKind::Get, 429, None, b"").unwrap_err();
        assert!(err.is_throttled());
    }

    #[test]
    fn unsent_requests_come_oldest_first_and_cancelled_ones_never() {
        let mut requests = Requests::default();
        requests.add(2, RequestKind::Get, None);
        requests.add(
            3,
            RequestKind::Patch {
                body: b"{}".to_vec(),
                expected_version: Some(4),
            },
            None,
        );
        requests.add(5, RequestKind::Get, None);
        requests.cancel(5);
        let unsent = requests.unsent(1);
        assert_eq!(unsent[0].1, "$iothub/twin/GET/?$rid=2");
        assert_eq!(
            unsent[1].1,
            "$iothub/twin/PATCH/properties/reported/?$rid=3&$version=4"
        );
        assert_eq!(unsent.len(), 2);
        requests.mark_sent(2, 1);
        assert_eq!((requests.queued(1), requests.awaiting(1)), (1, 1));
        assert_eq!(
            requests.queued(2),
            2,
            "a new connection re-sends what was not answered"
        );
    }
}
