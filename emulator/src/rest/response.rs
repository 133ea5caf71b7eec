//! JSON answers of the service API, and IoT Hub's REST error body (spec §3.6, §4.2).

use axum::http::header::{CONTENT_TYPE, ETAG};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::clock;
use crate::error::HubError;

/// A JSON body with IoT Hub's content type.
pub(crate) fn json_body(value: &Value) -> Response {
    (
        [(
            CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        )],
        value.to_string(),
    )
        .into_response()
}

/// `200` with a JSON body and, when given, a quoted `ETag` header.
pub(crate) fn ok_json(value: &Value, etag: Option<&str>) -> Response {
    let mut response = json_body(value);
    if let Some(etag) = etag
        && let Ok(header) = HeaderValue::from_str(&format!("\"{etag}\""))
    {
        response.headers_mut().insert(ETAG, header);
    }
    response
}

/// The REST body: `{"Message":"ErrorCode:<Name>;<text>","ExceptionMessage":"Tracking ID:…"}`.
/// Node splits `Message` on `;`, so a `;` inside the text would cut it short: it becomes `,`.
pub(crate) fn error_body(error: &HubError) -> Value {
    json!({
        "Message": format!("ErrorCode:{};{}", error.code.name(), error.message.replace(';', ",")),
        "ExceptionMessage": format!("Tracking ID:{}-G:0-TimeStamp:{}", clock::tracking_id(), clock::tracking_timestamp()),
    })
}

impl IntoResponse for HubError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, json_body(&error_body(&self))).into_response();
        if let Ok(value) = HeaderValue::from_str(self.code.name()) {
            response
                .headers_mut()
                .insert(HeaderName::from_static("iothub-errorcode"), value);
        }
        response
    }
}
