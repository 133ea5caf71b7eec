//! Core errors as JS errors (STYLE.md convention 6: one mapping file per binding).
//!
//! napi's async bridge only carries a `Status` as the JS `code`, so the stable code, the
//! official class name (azure-iot-common `errors.js`, chosen the way azure-iothub's
//! `translateError` and azure-iot-device-mqtt choose them), the HTTP status and IoT Hub's error
//! code travel in a bracketed prefix of the message:
//! `[ERR_NOT_FOUND DeviceNotFoundError 404 DeviceNotFound] IoT Hub answered 404 …`.
//! The facade (`lib/errors.js`) turns that prefix back into `err.code`, `err.name`,
//! `err.statusCode` and `err.errorCode`. Messages never hold secrets (the core guarantees it).

use iothub_twin::Error;

/// The stable `err.code` and official `err.name` of a core error.
pub(crate) fn code_and_name(error: &Error) -> (&'static str, &'static str) {
    match error {
        Error::InvalidConnectionString { .. } => ("ERR_INVALID_CONNECTION_STRING", "ArgumentError"),
        Error::InvalidArgument { .. } => ("ERR_INVALID_ARGUMENT", "ArgumentError"),
        Error::InvalidTwin(_) => ("ERR_INVALID_TWIN", "ArgumentError"),
        Error::Authentication { .. } => ("ERR_CREDENTIAL", "UnauthorizedError"),
        Error::Connection { .. } => ("ERR_CONNECTION", "NotConnectedError"),
        Error::Timeout { .. } => ("ERR_TIMEOUT", "TimeoutError"),
        Error::Service(service) => {
            service_code_and_name(service.status, service.code_name.as_deref())
        }
        Error::Protocol { .. } => ("ERR_PROTOCOL", "FormatError"),
        Error::QueueFull { .. } => ("ERR_QUEUE_FULL", "DeviceMaximumQueueDepthExceededError"),
        Error::Closed => ("ERR_CLIENT_CLOSED", "NotConnectedError"),
        _ => ("ERR_UNKNOWN", "Error"),
    }
}

fn service_code_and_name(status: u16, code_name: Option<&str>) -> (&'static str, &'static str) {
    match (status, code_name) {
        (400, _) => ("ERR_BAD_REQUEST", "ArgumentError"),
        (401, _) => ("ERR_CREDENTIAL", "UnauthorizedError"),
        (403, Some("IotHubQuotaExceeded")) => ("ERR_QUOTA_EXCEEDED", "IotHubQuotaExceededError"),
        (403, _) => ("ERR_CREDENTIAL", "TooManyDevicesError"),
        (404, Some("IotHubNotFound")) => ("ERR_NOT_FOUND", "IotHubNotFoundError"),
        (404, _) => ("ERR_NOT_FOUND", "DeviceNotFoundError"),
        (408, _) => ("ERR_TIMEOUT", "DeviceTimeoutError"),
        (409, _) => ("ERR_ALREADY_EXISTS", "DeviceAlreadyExistsError"),
        (412, _) => ("ERR_PRECONDITION_FAILED", "InvalidEtagError"),
        (413, _) => ("ERR_TOO_LARGE", "MessageTooLargeError"),
        (429, _) => ("ERR_THROTTLED", "ThrottlingError"),
        (500, _) => ("ERR_SERVICE", "InternalServerError"),
        (502, _) => ("ERR_SERVICE", "BadDeviceResponseError"),
        (503, _) => ("ERR_SERVICE", "ServiceUnavailableError"),
        (504, _) => ("ERR_SERVICE", "GatewayTimeoutError"),
        _ => ("ERR_SERVICE", "Error"),
    }
}

/// The napi error for `error`, with the bracketed prefix the facade decodes.
pub(crate) fn to_napi(error: Error) -> napi::Error {
    let (code, name) = code_and_name(&error);
    let status = error
        .status()
        .map_or_else(|| "-".to_owned(), |s| s.to_string());
    let hub_code = match &error {
        Error::Service(service) => service.code_name.clone(),
        other => other.error_code().map(|c| c.name().to_owned()),
    }
    .unwrap_or_else(|| "-".to_owned());
    napi::Error::from_reason(format!("[{code} {name} {status} {hub_code}] {error}"))
}

/// `result` with its error mapped by [`to_napi`].
pub(crate) trait NapiResultExt<T> {
    /// Maps the core error.
    fn napi(self) -> napi::Result<T>;
}

impl<T> NapiResultExt<T> for iothub_twin::Result<T> {
    fn napi(self) -> napi::Result<T> {
        self.map_err(to_napi)
    }
}

/// An invalid argument found in the binding itself (e.g. an unknown transport name).
pub(crate) fn invalid_argument(reason: impl Into<String>) -> napi::Error {
    to_napi(Error::InvalidArgument {
        reason: reason.into(),
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use iothub_twin::{Error, ServiceError};

    use super::to_napi;

    fn message(error: Error) -> String {
        to_napi(error).reason
    }

    #[test]
    fn every_variant_has_a_stable_code_and_an_official_name() {
        let cases = [
            (
                Error::InvalidConnectionString {
                    reason: "no HostName".into(),
                },
                "[ERR_INVALID_CONNECTION_STRING ArgumentError - -] invalid connection string: no HostName",
            ),
            (
                Error::InvalidArgument { reason: "x".into() },
                "[ERR_INVALID_ARGUMENT ArgumentError - -] invalid argument: x",
            ),
            (
                Error::Authentication {
                    reason: "CONNACK 5".into(),
                },
                "[ERR_CREDENTIAL UnauthorizedError - -] authentication failed: CONNACK 5",
            ),
            (
                Error::Connection {
                    reason: "refused".into(),
                },
                "[ERR_CONNECTION NotConnectedError - -] connection failed: refused",
            ),
            (
                Error::Timeout {
                    operation: "get_twin",
                    after: Duration::from_secs(1),
                },
                "[ERR_TIMEOUT TimeoutError - -] get_twin timed out after 1s",
            ),
            (
                Error::Protocol {
                    reason: "not JSON".into(),
                },
                "[ERR_PROTOCOL FormatError - -] unexpected answer from IoT Hub: not JSON",
            ),
            (
                Error::QueueFull { capacity: 2 },
                "[ERR_QUEUE_FULL DeviceMaximumQueueDepthExceededError - -] the offline queue is full (2 reported patches are waiting to be sent)",
            ),
            (
                Error::Closed,
                "[ERR_CLIENT_CLOSED NotConnectedError - -] the client is closed",
            ),
        ];
        for (error, expected) in cases {
            assert_eq!(message(error), expected);
        }
    }

    #[test]
    fn service_errors_are_named_by_status_as_azure_iothub_does() {
        let named = |status, code: Option<&str>| {
            let mut error = ServiceError::new(status, "m");
            if let Some(code) = code {
                error = error.with_code_name(code);
            }
            message(Error::Service(error))
        };
        assert!(
            named(404, Some("DeviceNotFound"))
                .starts_with("[ERR_NOT_FOUND DeviceNotFoundError 404 DeviceNotFound] ")
        );
        assert!(
            named(404, Some("IotHubNotFound"))
                .starts_with("[ERR_NOT_FOUND IotHubNotFoundError 404 IotHubNotFound] ")
        );
        assert!(
            named(412, Some("PreconditionFailed"))
                .starts_with("[ERR_PRECONDITION_FAILED InvalidEtagError 412 PreconditionFailed] ")
        );
        assert!(named(429, None).starts_with("[ERR_THROTTLED ThrottlingError 429 -] "));
        assert!(
            named(409, None).starts_with("[ERR_ALREADY_EXISTS DeviceAlreadyExistsError 409 -] ")
        );
        assert!(
            named(400, Some("ArgumentInvalid"))
                .starts_with("[ERR_BAD_REQUEST ArgumentError 400 ArgumentInvalid] ")
        );
        assert!(
            named(403, Some("IotHubQuotaExceeded"))
                .starts_with("[ERR_QUOTA_EXCEEDED IotHubQuotaExceededError 403 ")
        );
        assert!(named(503, None).starts_with("[ERR_SERVICE ServiceUnavailableError 503 -] "));
        assert!(named(418, None).starts_with("[ERR_SERVICE Error 418 -] "));
    }
}
