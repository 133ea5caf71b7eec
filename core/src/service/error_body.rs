//! IoT Hub's error answers (spec/protocol.md §4.2) turned into [`Error`].
//!
//! Shapes understood, in the order they are tried:
//!
//! * `{"Message":"ErrorCode:<Name>;<text>","ExceptionMessage":"Tracking ID:<id>"}` (the usual
//!   one, with the `iothub-errorcode: <Name>` header);
//! * `Message` holding escaped JSON: `"{\"errorCode\":404103,\"trackingId\":…,\"message\":…}"`;
//! * `Message` holding that object itself: `{"Message":{"errorCode":…,"trackingId":…}}`;
//! * the object at the top level (`{"errorCode":…,"trackingId":…,"message":…}`);
//! * any other text, or no body at all: the status, the header's code and the reason phrase.
//!
//! The code in the body wins over the header; the header fills in when the body has none.

use reqwest::StatusCode;
use serde_json::{Map, Value};

use super::http::HttpResponse;
use crate::{Error, ServiceError};

/// Longest piece of a non-JSON body kept as the message.
const MAX_TEXT: usize = 512;

/// The error for a non-success answer: 401 and 403 are [`Error::Authentication`] (with the
/// hub's answer: status, code, message and tracking id), everything else [`Error::Service`].
pub(crate) fn error_from_response(response: &HttpResponse) -> Error {
    let service = service_error(response);
    if matches!(response.status, 401 | 403) {
        Error::Authentication {
            reason: service.to_string(),
            answer: Some(service),
        }
    } else {
        Error::Service(service)
    }
}

/// The [`ServiceError`] an answer describes.
pub(crate) fn service_error(response: &HttpResponse) -> ServiceError {
    let mut found = Found::default();
    match serde_json::from_slice::<Value>(&response.body) {
        Ok(Value::Object(body)) => found.top_level(&body),
        Ok(Value::String(text)) => found.message = Some(text),
        Ok(_) => {}
        Err(_) => {
            let text = String::from_utf8_lossy(&response.body);
            let text = text.trim();
            if !text.is_empty() {
                found.message = Some(text.chars().take(MAX_TEXT).collect());
            }
        }
    }
    let message = found
        .message
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| reason_phrase(response.status).to_owned());
    let mut error = ServiceError::new(response.status, message);
    if let Some(number) = found.number {
        error = error.with_code_number(number);
    }
    if let Some(name) = found.name {
        error = error.with_code_name(&name);
    } else if error.code_name.is_none()
        && let Some(name) = response
            .header("iothub-errorcode")
            .map(str::trim)
            .filter(|n| !n.is_empty())
    {
        error = error.with_code_name(name);
    }
    if let Some(tracking_id) = found.tracking_id {
        error = error.with_tracking_id(tracking_id);
    }
    error
}

#[derive(Default)]
struct Found {
    name: Option<String>,
    number: Option<u32>,
    message: Option<String>,
    tracking_id: Option<String>,
}

impl Found {
    fn top_level(&mut self, body: &Map<String, Value>) {
        match field(body, "Message") {
            Some(Value::String(text)) => self.message_text(text),
            Some(Value::Object(inner)) => self.object(inner),
            _ => {}
        }
        if self.name.is_none() && self.number.is_none() && field(body, "errorCode").is_some() {
            self.object(body);
        }
        if self.tracking_id.is_none()
            && let Some(Value::String(text)) = field(body, "ExceptionMessage")
            && let Some((_, id)) = text.split_once("Tracking ID:")
            && !id.trim().is_empty()
        {
            self.tracking_id = Some(id.trim().to_owned());
        }
    }

    /// `ErrorCode:<Name>;<text>`, escaped JSON, or plain text.
    fn message_text(&mut self, text: &str) {
        let trimmed = text.trim();
        if trimmed.starts_with('{')
            && let Ok(Value::Object(inner)) = serde_json::from_str::<Value>(trimmed)
        {
            self.object(&inner);
        } else if let Some(rest) = trimmed.strip_prefix("ErrorCode:") {
            let (name, message) = rest.split_once(';').unwrap_or((rest, ""));
            if !name.trim().is_empty() {
                self.name = Some(name.trim().to_owned());
            }
            self.message = Some(message.trim().to_owned());
        } else {
            self.message = Some(trimmed.to_owned());
        }
    }

    /// `{"errorCode": 404103 | "404103" | "DeviceNotFound", "trackingId", "message"}`.
    fn object(&mut self, object: &Map<String, Value>) {
        match field(object, "errorCode") {
            Some(Value::Number(n)) => self.number = n.as_u64().and_then(|n| u32::try_from(n).ok()),
            Some(Value::String(s)) => match s.trim().parse::<u32>() {
                Ok(number) => self.number = Some(number),
                Err(_) if !s.trim().is_empty() => self.name = Some(s.trim().to_owned()),
                Err(_) => {}
            },
            _ => {}
        }
        if let Some(Value::String(id)) = field(object, "trackingId")
            && !id.is_empty()
        {
            self.tracking_id = Some(id.clone());
        }
        if let Some(Value::String(message)) = field(object, "message") {
            // A nested "ErrorCode:<Name>;…" still names the code.
            if message.starts_with("ErrorCode:") && self.name.is_none() {
                self.message_text(message);
            } else {
                self.message = Some(message.clone());
            }
        }
    }
}

/// A member by name, matching the first letter's case loosely (`Message` / `message`).
fn field<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object.get(name).or_else(|| {
        object
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    })
}

fn reason_phrase(status: u16) -> &'static str {
    StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("error")
}
