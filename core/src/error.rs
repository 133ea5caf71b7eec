//! The crate's one error type, and the IoT Hub error codes it carries.

mod code;

pub use code::ErrorCode;

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
}

impl Error {
    /// The IoT Hub error code this error corresponds to, when there is one.
    pub fn error_code(&self) -> Option<ErrorCode> {
        match self {
            Error::InvalidTwin(e) => Some(e.error_code()),
            Error::InvalidConnectionString { .. } | Error::InvalidArgument { .. } => None,
        }
    }

    pub(crate) fn connection_string(reason: impl Into<String>) -> Self {
        Error::InvalidConnectionString {
            reason: reason.into(),
        }
    }
}
