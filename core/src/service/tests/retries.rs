//! Retries on 429/503 honouring `Retry-After`, giving up, connection errors by idempotency,
//! and the per-call deadline. Time is paused, so waits take no real time.

use std::time::{Duration, SystemTime};

use serde_json::json;
use tokio::time::Instant;

use super::mock::{MockSender, Scripted, client, fast_retries, hub_error, respond, twin_ok};
use crate::service::{Authentication, Device, ServiceClientOptions};
use crate::{Error, ErrorCode, RetryPolicy};

#[tokio::test(start_paused = true)]
async fn throttled_call_waits_retry_after_seconds_then_succeeds() {
    let sender = MockSender::new([
        hub_error(429, "ThrottlingException", &[("retry-after", "3")]),
        twin_ok(),
    ]);
    let start = Instant::now();
    let twin = client(&sender, ServiceClientOptions::default())
        .get_twin("d1")
        .await
        .unwrap();
    assert_eq!(twin.etag.as_deref(), Some("AAAAAAAAAAI="));
    assert_eq!(sender.sent().len(), 2);
    // Exactly the hub's 3 s, not the policy's 200 ms.
    assert_eq!(start.elapsed().as_secs(), 3);
}

#[tokio::test(start_paused = true)]
async fn unavailable_call_waits_until_the_retry_after_date() {
    let at = SystemTime::now() + Duration::from_secs(5);
    let date = httpdate::fmt_http_date(at);
    let sender = MockSender::new([
        hub_error(503, "ServiceUnavailable", &[("retry-after", &date)]),
        twin_ok(),
    ]);
    let start = Instant::now();
    // A PATCH is retried on 503 too: the hub did not act on it.
    client(&sender, ServiceClientOptions::default())
        .update_twin("d1", &json!({"tags": {"a": 1}}), None)
        .await
        .unwrap();
    let waited = start.elapsed();
    // HTTP dates have whole seconds: between 4 and 5 s from "now".
    assert!(
        waited > Duration::from_secs(3) && waited <= Duration::from_secs(5),
        "{waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn without_retry_after_the_backoff_grows() {
    let sender = MockSender::new([
        respond(503, &[], ""),
        respond(503, &[], ""),
        respond(429, &[], ""),
        twin_ok(),
    ]);
    let start = Instant::now();
    client(&sender, fast_retries(5))
        .get_twin("d1")
        .await
        .unwrap();
    // 200 + 400 + 800 ms.
    assert_eq!(start.elapsed(), Duration::from_millis(1400));
}

#[tokio::test(start_paused = true)]
async fn gives_up_after_max_retries_with_the_hubs_error() {
    let sender = MockSender::new(
        (0..4).map(|_| hub_error(429, "ThrottlingException", &[("retry-after", "1")])),
    );
    let error = client(&sender, fast_retries(3))
        .get_twin("d1")
        .await
        .unwrap_err();
    assert_eq!(sender.sent().len(), 4, "one try and three retries");
    assert!(error.is_throttled(), "{error:?}");
    let Error::Service(e) = error else {
        unreachable!()
    };
    assert_eq!(e.code, Some(ErrorCode::ThrottlingException));
    assert_eq!(
        e.tracking_id.as_deref(),
        Some("abc123-G:0-TimeStamp:11/27/2026 10:00:00")
    );
}

#[tokio::test(start_paused = true)]
async fn retries_disabled_surfaces_the_first_429() {
    let sender = MockSender::new([hub_error(
        429,
        "ThrottlingException",
        &[("retry-after", "1")],
    )]);
    let options = ServiceClientOptions {
        retry: RetryPolicy::no_retries(),
        ..Default::default()
    };
    let error = client(&sender, options).get_twin("d1").await.unwrap_err();
    assert_eq!(sender.sent().len(), 1);
    assert_eq!(error.status(), Some(429));
    assert_eq!(error.error_code(), Some(ErrorCode::ThrottlingException));
}

#[tokio::test(start_paused = true)]
async fn other_errors_are_not_retried() {
    for (status, name) in [
        (400, "ArgumentInvalid"),
        (404, "DeviceNotFound"),
        (412, "PreconditionFailed"),
        (500, "ServerError"),
    ] {
        let sender = MockSender::new([hub_error(status, name, &[("retry-after", "1")])]);
        let error = client(&sender, fast_retries(5))
            .get_twin("d1")
            .await
            .unwrap_err();
        assert_eq!((sender.sent().len(), error.status()), (1, Some(status)));
    }
}

#[tokio::test(start_paused = true)]
async fn idempotent_calls_retry_after_connection_errors() {
    let sender = MockSender::new([
        Scripted::Fail("connection reset"),
        Scripted::Fail("tls eof"),
        twin_ok(),
    ]);
    client(&sender, fast_retries(5))
        .get_twin("d1")
        .await
        .unwrap();
    assert_eq!(sender.sent().len(), 3);

    // DELETE, PUT with If-Match and queries are idempotent too.
    let sender = MockSender::new([Scripted::Fail("reset"), respond(204, &[], "")]);
    client(&sender, fast_retries(5))
        .delete_device("d1", None)
        .await
        .unwrap();
    assert_eq!(sender.sent().len(), 2);
    let sender = MockSender::new([Scripted::Fail("reset"), twin_ok()]);
    client(&sender, fast_retries(5))
        .replace_twin("d1", &json!({"tags": {}}), Some("AAAAAAAAAAE="))
        .await
        .unwrap();
    assert_eq!(sender.sent().len(), 2);
    let sender = MockSender::new([
        Scripted::Fail("reset"),
        respond(200, &[("x-ms-item-type", "Twin")], "[]"),
    ]);
    client(&sender, fast_retries(5))
        .query_page("SELECT * FROM devices", &Default::default())
        .await
        .unwrap();
    assert_eq!(sender.sent().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn non_idempotent_calls_do_not_retry_after_connection_errors() {
    // PATCH (merge) may have been applied before the connection broke.
    let sender = MockSender::new([Scripted::Fail("connection reset by peer")]);
    let error = client(&sender, fast_retries(5))
        .update_twin(
            "d1",
            &json!({"properties": {"desired": {"x": 1}}}),
            Some("AAAAAAAAAAE="),
        )
        .await
        .unwrap_err();
    assert_eq!(sender.sent().len(), 1);
    let Error::Connection { reason } = &error else {
        panic!("{error:?}")
    };
    assert!(reason.contains("connection reset by peer"));
    assert!(error.is_retryable(), "the caller may still decide to retry");

    // Create (PUT without If-Match) would answer 409 the second time.
    let sender = MockSender::new([Scripted::Fail("reset")]);
    let error = client(&sender, fast_retries(5))
        .create_device(&Device::new("d1", Authentication::sas()))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Connection { .. }));
    assert_eq!(sender.sent().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_call_that_never_answers_times_out_at_its_deadline() {
    let sender = MockSender::new([Scripted::Hang]);
    let options = ServiceClientOptions {
        timeout: Duration::from_secs(7),
        ..Default::default()
    };
    let start = Instant::now();
    let error = client(&sender, options).get_twin("d1").await.unwrap_err();
    assert!(
        matches!(error, Error::Timeout { operation: "get_twin", after } if after == Duration::from_secs(7)),
        "{error:?}"
    );
    assert_eq!(start.elapsed(), Duration::from_secs(7));

    // The default deadline is 60 s.
    let sender = MockSender::new([Scripted::Hang]);
    let start = Instant::now();
    let error = client(&sender, ServiceClientOptions::default())
        .get_device("d1")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Timeout { .. }));
    assert_eq!(start.elapsed(), Duration::from_secs(60));
}

#[tokio::test(start_paused = true)]
async fn the_deadline_bounds_retries_too() {
    // The hub asks for 30 s; the call has 10: give up at once with the hub's error.
    let sender = MockSender::new([hub_error(
        429,
        "ThrottlingException",
        &[("retry-after", "30")],
    )]);
    let options = ServiceClientOptions {
        timeout: Duration::from_secs(10),
        ..Default::default()
    };
    let start = Instant::now();
    let error = client(&sender, options).get_twin("d1").await.unwrap_err();
    assert!(error.is_throttled());
    assert_eq!(start.elapsed(), Duration::ZERO);

    // Retries that hang eventually hit the deadline.
    let sender = MockSender::new([Scripted::Fail("reset"), Scripted::Hang]);
    let options = ServiceClientOptions {
        timeout: Duration::from_secs(2),
        ..fast_retries(5)
    };
    let error = client(&sender, options).get_twin("d1").await.unwrap_err();
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert_eq!(sender.sent().len(), 2);
}
