//! When a service call is tried again, how long it waits, and the per-call deadline.
//!
//! * 429 (throttled) and 503 (unavailable) are retried for every call: the hub did not act on
//!   the request.
//! * A failed connection is retried only for idempotent calls (GET, DELETE, PUT with
//!   `If-Match`, queries): a PATCH or a create may have been applied before the connection
//!   broke, and repeating it could apply it twice or fail misleadingly.
//! * The wait is the hub's `Retry-After` (seconds or an HTTP date; also the Azure
//!   `retry-after-ms` / `x-ms-retry-after-ms` headers) when it sent one, else the policy's
//!   exponential backoff with jitter.
//! * Everything, waits included, runs under the call's deadline; a wait that would end past it
//!   is not started, and the last error is returned instead.

use std::future::Future;
use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;
use tokio::time::Instant;

use super::error_body::error_from_response;
use super::http::{HttpResponse, TransportError};
use crate::retry::RetryPolicy;
use crate::{Error, Result};

/// What one attempt came to.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// A 2xx answer.
    Success(HttpResponse),
    /// A failure; `retry` when another attempt may succeed, after `retry_after` if the hub
    /// said so.
    Failure {
        error: Error,
        retry: bool,
        retry_after: Option<Duration>,
    },
}

/// Sorts an attempt's result into success, retryable failure or final failure.
pub(crate) fn classify(
    result: Result<HttpResponse, TransportError>,
    idempotent: bool,
    now: SystemTime,
) -> Outcome {
    match result {
        Ok(response) if response.is_success() => Outcome::Success(response),
        Ok(response) => Outcome::Failure {
            retry: matches!(response.status, 429 | 503),
            retry_after: retry_after(&response.headers, now),
            error: error_from_response(&response),
        },
        Err(transport) => Outcome::Failure {
            // The same proxy credentials will be refused again.
            retry: idempotent && !transport.proxy_refused,
            error: transport.into(),
            retry_after: None,
        },
    }
}

/// Runs `attempt` until it succeeds, fails for good, the policy allows no more retries, or
/// `timeout` passes ([`Error::Timeout`] naming `operation`).
pub(crate) async fn run<F, Fut>(
    policy: &RetryPolicy,
    timeout: Duration,
    operation: &'static str,
    attempt: F,
) -> Result<HttpResponse>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Outcome>>,
{
    let deadline = Instant::now() + timeout;
    match tokio::time::timeout(timeout, attempts(policy, deadline, attempt)).await {
        Ok(result) => result,
        Err(_) => Err(Error::Timeout {
            operation,
            after: timeout,
        }),
    }
}

async fn attempts<F, Fut>(
    policy: &RetryPolicy,
    deadline: Instant,
    mut attempt: F,
) -> Result<HttpResponse>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Outcome>>,
{
    let mut retries = 0;
    loop {
        let (error, retry_after) = match attempt().await? {
            Outcome::Success(response) => return Ok(response),
            Outcome::Failure {
                error,
                retry: false,
                ..
            } => return Err(error),
            Outcome::Failure {
                error,
                retry: true,
                retry_after,
            } => (error, retry_after),
        };
        let Some(backoff) = policy.delay(retries) else {
            return Err(error);
        };
        let wait = retry_after.unwrap_or(backoff);
        if Instant::now() + wait >= deadline {
            return Err(error);
        }
        tokio::time::sleep(wait).await;
        retries += 1;
    }
}

/// The wait the hub asked for: `retry-after-ms` / `x-ms-retry-after-ms` (milliseconds), else
/// `Retry-After` as whole seconds or an HTTP date (a date in the past means no wait).
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let text = |name: &str| headers.get(name)?.to_str().ok().map(str::trim);
    for name in ["retry-after-ms", "x-ms-retry-after-ms"] {
        if let Some(ms) = text(name).and_then(|t| t.parse::<u64>().ok()) {
            return Some(Duration::from_millis(ms));
        }
    }
    let value = text("retry-after")?;
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn retry_after_in_seconds_dates_and_milliseconds() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        let at = |pairs| retry_after(&headers(pairs), now);
        assert_eq!(at(&[("retry-after", "1")]), Some(Duration::from_secs(1)));
        assert_eq!(
            at(&[("retry-after", " 120 ")]),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            at(&[("retry-after", "Sun, 06 Nov 1994 08:49:42 GMT")]),
            Some(Duration::from_secs(5))
        );
        // RFC 850 and asctime forms are HTTP dates too.
        assert_eq!(
            at(&[("retry-after", "Sunday, 06-Nov-94 08:49:40 GMT")]),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            at(&[("retry-after", "Sun Nov  6 08:49:39 1994")]),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            at(&[("retry-after", "Sun, 06 Nov 1994 08:00:00 GMT")]),
            Some(Duration::ZERO)
        );
        assert_eq!(
            at(&[("retry-after", "1"), ("retry-after-ms", "250")]),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            at(&[("x-ms-retry-after-ms", "40")]),
            Some(Duration::from_millis(40))
        );
        assert_eq!(at(&[("retry-after", "soon")]), None);
        assert_eq!(at(&[("retry-after", "-1")]), None);
        assert_eq!(at(&[]), None);
    }
}
