//! The crate's one error type, and the IoT Hub error codes it carries.

mod code;
mod kind;
mod service;

use std::time::Duration;

pub use code::ErrorCode;
pub use kind::ErrorKind;
pub use service::ServiceError;

use crate::twin::ValidationError;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in this crate.
///
/// Texts never contain keys, SAS tokens or whole connection strings: a message names the part
/// that is wrong, never its secret value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A connection string is missing a part, has a malformed part, or mixes credentials.
    #[error("invalid connection string: {reason}")]
    InvalidConnectionString {
        /// What is wrong, naming the key at fault (never its value).
        reason: String,
    },

    /// An argument other than a connection string or twin document is invalid.
    #[error("invalid argument: {reason}")]
    InvalidArgument {
        /// What is wrong.
        reason: String,
    },

    /// A twin document or patch breaks one of IoT Hub's twin rules (spec §5.5).
    #[error(transparent)]
    InvalidTwin(#[from] ValidationError),

    /// The hub refused the credential (MQTT CONNACK 4 or 5, HTTP 401 or 403), or no
    /// credential could be obtained. Not retried.
    #[error("authentication failed: {reason}")]
    Authentication {
        /// Why, as far as the hub said.
        reason: String,
        /// The hub's answer (status, error code, tracking id) when it refused over HTTP.
        answer: Option<ServiceError>,
    },

    /// The connection could not be opened, or was lost while a call was in flight.
    #[error("connection failed: {reason}")]
    Connection {
        /// What failed (never a secret).
        reason: String,
    },

    /// An operation did not finish by its deadline.
    #[error("{operation} timed out after {after:?}")]
    Timeout {
        /// The operation, e.g. `"get_twin"`.
        operation: &'static str,
        /// The deadline it had.
        after: Duration,
    },

    /// IoT Hub answered with an error status.
    #[error(transparent)]
    Service(#[from] ServiceError),

    /// IoT Hub answered with success, but the answer could not be understood (not JSON, or
    /// not the shape the call returns). Not retried.
    #[error("unexpected answer from IoT Hub: {reason}")]
    Protocol {
        /// What was wrong with the answer (never a secret).
        reason: String,
    },

    /// The offline queue of reported patches is full.
    #[error("the offline queue is full ({capacity} reported patches are waiting to be sent)")]
    QueueFull {
        /// The queue's capacity.
        capacity: usize,
    },

    /// The client was closed.
    #[error("the client is closed")]
    Closed,
}

impl Error {
    /// The kind of failure, with its stable code and official class names: the one table the
    /// bindings map from.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidConnectionString { .. } => ErrorKind::InvalidConnectionString,
            Error::InvalidArgument { .. } => ErrorKind::InvalidArgument,
            Error::InvalidTwin(_) => ErrorKind::InvalidTwin,
            Error::Authentication {
                answer: Some(answer),
                ..
            } if answer.status == 403 => {
                ErrorKind::of_status(answer.status, answer.code_name.as_deref())
            }
            Error::Authentication { .. } => ErrorKind::Credential,
            Error::Connection { .. } => ErrorKind::Connection,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Service(e) => ErrorKind::of_status(e.status, e.code_name.as_deref()),
            Error::Protocol { .. } => ErrorKind::Protocol,
            Error::QueueFull { .. } => ErrorKind::QueueFull,
            Error::Closed => ErrorKind::Closed,
        }
    }

    /// The hub's error answer, when the failure is one (service errors, and credentials
    /// refused over HTTP).
    pub fn answer(&self) -> Option<&ServiceError> {
        match self {
            Error::Service(e) => Some(e),
            Error::Authentication { answer, .. } => answer.as_ref(),
            _ => None,
        }
    }

    /// The IoT Hub error code this error corresponds to, when there is one known to this
    /// crate.
    pub fn error_code(&self) -> Option<ErrorCode> {
        match self {
            Error::InvalidTwin(e) => Some(e.error_code()),
            other => other.answer().and_then(|e| e.code),
        }
    }

    /// IoT Hub's error code name (`"DeviceNotFound"`), as sent even when unknown here.
    pub fn error_code_name(&self) -> Option<&str> {
        match self.answer().and_then(|e| e.code_name.as_deref()) {
            Some(name) => Some(name),
            None => self.error_code().map(ErrorCode::name),
        }
    }

    /// IoT Hub's six-digit error code (`404001`), as sent even when unknown here.
    pub fn error_code_number(&self) -> Option<u32> {
        self.answer()
            .and_then(|e| e.code_number)
            .or(self.error_code().map(ErrorCode::number))
    }

    /// The hub's tracking id, for support requests.
    pub fn tracking_id(&self) -> Option<&str> {
        self.answer().and_then(|e| e.tracking_id.as_deref())
    }

    /// The HTTP (or MQTT twin) status the hub answered with.
    pub fn status(&self) -> Option<u16> {
        self.answer().map(|e| e.status)
    }

    /// 404: the device, module or twin does not exist.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// 412: the etag or `$version` precondition did not hold.
    pub fn is_precondition_failed(&self) -> bool {
        self.status() == Some(412)
    }

    /// 429: throttled.
    pub fn is_throttled(&self) -> bool {
        self.status() == Some(429)
    }

    /// The credential was refused.
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, Error::Authentication { .. }) || matches!(self.status(), Some(401 | 403))
    }

    /// Whether trying again later may succeed: throttling, 5xx, timeouts, connection problems.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Service(e) => e.status == 429 || e.status >= 500,
            Error::Timeout { .. } | Error::Connection { .. } => true,
            _ => false,
        }
    }

    /// A refused or missing credential, without an answer from the hub.
    pub fn authentication(reason: impl Into<String>) -> Self {
        Error::Authentication {
            reason: reason.into(),
            answer: None,
        }
    }

    /// An invalid argument.
    pub fn invalid_argument(reason: impl Into<String>) -> Self {
        Error::InvalidArgument {
            reason: reason.into(),
        }
    }

    pub(crate) fn connection_string(reason: impl Into<String>) -> Self {
        Error::InvalidConnectionString {
            reason: reason.into(),
        }
    }
}
