//! The hub's errors: an IoT Hub error code and a message. Each adapter renders them in its own
//! wire shape (`rest/response.rs`, `mqtt/twin_requests.rs`).

use iothub_twin::ErrorCode;
use iothub_twin::twin::{ValidationError, Violation};

/// An error the hub answers with: an IoT Hub error code and a message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct HubError {
    /// The code; its first three digits are the HTTP (or MQTT twin) status.
    pub code: ErrorCode,
    /// The text after `ErrorCode:<Name>;`.
    pub message: String,
}

impl HubError {
    /// An error with `code` and `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// `400004 ArgumentInvalid`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ArgumentInvalid, message)
    }

    /// `401002 IotHubUnauthorizedAccess`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::IotHubUnauthorizedAccess, message)
    }

    /// `404001 DeviceNotFound`; like the hub, the message is the device id.
    pub fn device_not_found(device_id: &str) -> Self {
        Self::new(ErrorCode::DeviceNotFound, device_id)
    }

    /// `404010 ModuleNotFound`.
    pub fn module_not_found(device_id: &str, module_id: &str) -> Self {
        Self::new(
            ErrorCode::ModuleNotFound,
            format!("{device_id}/{module_id}"),
        )
    }

    /// `412001 PreconditionFailed`.
    pub fn precondition_failed(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::PreconditionFailed, message)
    }

    /// `503001 ServiceUnavailable`.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ServiceUnavailable, message)
    }

    /// The HTTP (or MQTT twin response) status.
    pub fn status(&self) -> u16 {
        self.code.status()
    }
}

impl From<ValidationError> for HubError {
    /// A section over its size limit is IoT Hub's `403100 DeviceModelMaxPropertiesExceeded`
    /// (IoT Hub's error reference, "4031xx Device model forbidden errors"), not a 400: every
    /// other broken twin rule is `400004 ArgumentInvalid`.
    fn from(error: ValidationError) -> Self {
        match error.violation {
            Violation::TooLarge { size, max } => Self::new(
                ErrorCode::DeviceModelMaxPropertiesExceeded,
                format!(
                    "Twin properties size exceeded: {} is {size} bytes, the maximum is {max} bytes",
                    error.path
                ),
            ),
            _ => Self::new(error.error_code(), error.to_string()),
        }
    }
}
