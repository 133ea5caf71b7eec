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
