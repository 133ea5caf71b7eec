//! IoT Hub's error responses (spec/protocol.md §3.6, §4.2), as one type both endpoints render.

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use iothub_twin::ErrorCode;
use serde_json::json;

use crate::clock;

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

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The REST body: `{"Message":"ErrorCode:<Name>;<text>","ExceptionMessage":"Tracking ID:…"}`.
    /// Node splits `Message` on `;`, so a `;` inside the text would cut it short: it becomes `,`.
    pub fn rest_body(&self) -> serde_json::Value {
        json!({
            "Message": format!("ErrorCode:{};{}", self.code.name(), self.message.replace(';', ",")),
            "ExceptionMessage": format!("Tracking ID:{}-G:0-TimeStamp:{}", clock::tracking_id(), clock::tracking_timestamp()),
        })
    }

    /// The MQTT twin error body: `{"errorCode":400004,"trackingId":…,"message":…,"timestampUtc":…}`
    /// (the official Node SDK detects a twin error only by `errorCode` in the body).
    pub fn mqtt_body(&self) -> serde_json::Value {
        json!({
            "errorCode": self.code.number(),
            "trackingId": format!("{}-G:0-TimeStamp:{}", clock::tracking_id(), clock::tracking_timestamp()),
            "message": self.message,
            "timestampUtc": clock::now_iso(),
        })
    }
}

impl From<iothub_twin::twin::ValidationError> for HubError {
    fn from(error: iothub_twin::twin::ValidationError) -> Self {
        Self::new(error.error_code(), error.to_string())
    }
}

impl IntoResponse for HubError {
    fn into_response(self) -> Response {
        let mut response =
            (self.status(), crate::rest::json_body(&self.rest_body())).into_response();
        if let Ok(value) = HeaderValue::from_str(self.code.name()) {
            response
                .headers_mut()
                .insert(HeaderName::from_static("iothub-errorcode"), value);
        }
        response
    }
}
