//! The one table of error kinds: a stable code and the class name each official SDK uses, so
//! that every binding names the same failure the same way (STYLE.md "Error model").

use std::fmt;

macro_rules! error_kinds {
    ($($(#[$doc:meta])* $variant:ident => $code:literal, $node:literal, $python:literal;)*) => {
        /// What kind of failure an [`Error`](super::Error) is, as the bindings report it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorKind {
            $($(#[$doc])* $variant,)*
        }

        impl ErrorKind {
            /// Every kind, in table order.
            pub const ALL: &'static [ErrorKind] = &[$(ErrorKind::$variant,)*];

            /// The stable code (Node `err.code`, Python `err.code`), e.g. `"ERR_NOT_FOUND"`.
            pub const fn code(self) -> &'static str {
                match self { $(ErrorKind::$variant => $code,)* }
            }

            /// The class name of the Node SDKs (azure-iot-common `errors.js`, chosen as
            /// azure-iothub's `translateError` and azure-iot-device-mqtt choose them).
            pub const fn node_class(self) -> &'static str {
                match self { $(ErrorKind::$variant => $node,)* }
            }

            /// The class name of the Python package (`iothub_twin.exceptions`, named as in
            /// `azure.iot.device.exceptions` where that has one).
            pub const fn python_class(self) -> &'static str {
                match self { $(ErrorKind::$variant => $python,)* }
            }
        }
    };
}

error_kinds! {
    /// A connection string is malformed.
    InvalidConnectionString => "ERR_INVALID_CONNECTION_STRING", "ArgumentError", "InvalidConnectionStringError";
    /// Another argument (option, SAS token, identity) is invalid.
    InvalidArgument => "ERR_INVALID_ARGUMENT", "ArgumentError", "InvalidArgumentError";
    /// A twin document or patch breaks IoT Hub's twin rules.
    InvalidTwin => "ERR_INVALID_TWIN", "ArgumentError", "InvalidTwinError";
    /// The hub refused the credential.
    Credential => "ERR_CREDENTIAL", "UnauthorizedError", "CredentialError";
    /// The connection could not be opened or was lost (also: reconnecting gave up).
    Connection => "ERR_CONNECTION", "NotConnectedError", "ConnectionFailedError";
    /// An operation ran out of time.
    Timeout => "ERR_TIMEOUT", "TimeoutError", "OperationTimeout";
    /// The hub's success answer could not be understood.
    Protocol => "ERR_PROTOCOL", "FormatError", "ProtocolError";
    /// The offline queue is full.
    QueueFull => "ERR_QUEUE_FULL", "DeviceMaximumQueueDepthExceededError", "QueueFullError";
    /// The client is closed.
    Closed => "ERR_CLIENT_CLOSED", "NotConnectedError", "ClientClosedError";
    /// 400.
    BadRequest => "ERR_BAD_REQUEST", "ArgumentError", "ServiceError";
    /// 403 `IotHubQuotaExceeded`.
    QuotaExceeded => "ERR_QUOTA_EXCEEDED", "IotHubQuotaExceededError", "ServiceError";
    /// 403 other than a quota (azure-iothub names every 403 so).
    Forbidden => "ERR_CREDENTIAL", "TooManyDevicesError", "CredentialError";
    /// 404 for a device, module or twin.
    NotFound => "ERR_NOT_FOUND", "DeviceNotFoundError", "NotFoundError";
    /// 404 `IotHubNotFound`.
    HubNotFound => "ERR_NOT_FOUND", "IotHubNotFoundError", "NotFoundError";
    /// 408.
    DeviceTimeout => "ERR_TIMEOUT", "DeviceTimeoutError", "ServiceError";
    /// 409.
    AlreadyExists => "ERR_ALREADY_EXISTS", "DeviceAlreadyExistsError", "ServiceError";
    /// 412: etag or `$version` mismatch.
    PreconditionFailed => "ERR_PRECONDITION_FAILED", "InvalidEtagError", "PreconditionFailedError";
    /// 413.
    TooLarge => "ERR_TOO_LARGE", "MessageTooLargeError", "ServiceError";
    /// 429.
    Throttled => "ERR_THROTTLED", "ThrottlingError", "ThrottledError";
    /// 500.
    InternalServerError => "ERR_SERVICE", "InternalServerError", "ServiceError";
    /// 502.
    BadGateway => "ERR_SERVICE", "BadDeviceResponseError", "ServiceError";
    /// 503.
    ServiceUnavailable => "ERR_SERVICE", "ServiceUnavailableError", "ServiceError";
    /// 504.
    GatewayTimeout => "ERR_SERVICE", "GatewayTimeoutError", "ServiceError";
    /// Any other error status.
    Service => "ERR_SERVICE", "Error", "ServiceError";
}

impl ErrorKind {
    /// The kind of an error status with IoT Hub's error code name (401 included, for MQTT twin
    /// answers; HTTP 401 and 403 are [`Error::Authentication`](super::Error::Authentication)).
    pub fn of_status(status: u16, code_name: Option<&str>) -> Self {
        match (status, code_name) {
            (400, _) => Self::BadRequest,
            (401, _) => Self::Credential,
            (403, Some("IotHubQuotaExceeded")) => Self::QuotaExceeded,
            (403, _) => Self::Forbidden,
            (404, Some("IotHubNotFound")) => Self::HubNotFound,
            (404, _) => Self::NotFound,
            (408, _) => Self::DeviceTimeout,
            (409, _) => Self::AlreadyExists,
            (412, _) => Self::PreconditionFailed,
            (413, _) => Self::TooLarge,
            (429, _) => Self::Throttled,
            (500, _) => Self::InternalServerError,
            (502, _) => Self::BadGateway,
            (503, _) => Self::ServiceUnavailable,
            (504, _) => Self::GatewayTimeout,
            _ => Self::Service,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Error, ServiceError};

    #[test]
    fn every_kind_has_a_stable_code_and_class_names() {
        for kind in ErrorKind::ALL {
            assert!(kind.code().starts_with("ERR_"), "{kind:?}");
            assert!(!kind.node_class().is_empty() && !kind.python_class().is_empty());
        }
    }

    #[test]
    fn errors_map_to_kinds_by_variant_and_status() {
        let service = |status, code: &str| {
            Error::Service(ServiceError::new(status, "m").with_code_name(code))
        };
        assert_eq!(service(404, "DeviceNotFound").kind(), ErrorKind::NotFound);
        assert_eq!(
            service(404, "IotHubNotFound").kind().node_class(),
            "IotHubNotFoundError"
        );
        assert_eq!(
            service(412, "PreconditionFailed").kind().code(),
            "ERR_PRECONDITION_FAILED"
        );
        assert_eq!(service(418, "Teapot").kind(), ErrorKind::Service);
        assert_eq!(Error::authentication("no").kind(), ErrorKind::Credential);
        let quota = Error::Authentication {
            reason: "quota".into(),
            answer: Some(ServiceError::new(403, "q").with_code_name("IotHubQuotaExceeded")),
        };
        assert_eq!(quota.kind(), ErrorKind::QuotaExceeded);
        assert_eq!(quota.status(), Some(403));
        assert_eq!(Error::Closed.kind().python_class(), "ClientClosedError");
    }
}
