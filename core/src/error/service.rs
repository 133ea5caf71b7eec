//! An error IoT Hub answered with, in any of the shapes of spec/protocol.md §3.6 and §4.2.

use std::fmt;

use super::ErrorCode;

/// IoT Hub's answer to a failed call: status, error code (name and number when the hub gave
/// them), message and tracking id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceError {
    /// HTTP status or MQTT twin status.
    pub status: u16,
    /// The error code, when known to this crate.
    pub code: Option<ErrorCode>,
    /// The error code's name as sent (`DeviceNotFound`), even when unknown to this crate.
    pub code_name: Option<String>,
    /// The six-digit error code as sent (`404001`), even when unknown to this crate.
    pub code_number: Option<u32>,
    /// The hub's message.
    pub message: String,
    /// The hub's tracking id, for support requests.
    pub tracking_id: Option<String>,
}

impl ServiceError {
    /// An error with a status and message only.
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        Self {
            status,
            code: None,
            code_name: None,
            code_number: None,
            message: message.into(),
            tracking_id: None,
        }
    }

    /// Sets the code from its name, filling the number when the name is known.
    pub fn with_code_name(mut self, name: &str) -> Self {
        self.code = ErrorCode::from_name(name).or(self.code);
        self.code_number = self.code_number.or(self.code.map(ErrorCode::number));
        self.code_name = Some(name.to_owned());
        self
    }

    /// Sets the code from its number, filling the name when the number is known.
    pub fn with_code_number(mut self, number: u32) -> Self {
        self.code = ErrorCode::from_number(number).or(self.code);
        self.code_name = self.code_name.or(self.code.map(|c| c.name().to_owned()));
        self.code_number = Some(number);
        self
    }

    /// Sets the tracking id.
    pub fn with_tracking_id(mut self, tracking_id: impl Into<String>) -> Self {
        self.tracking_id = Some(tracking_id.into());
        self
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IoT Hub answered {}", self.status)?;
        match (&self.code_name, self.code_number) {
            (Some(name), Some(number)) => write!(f, " {name} ({number})")?,
            (Some(name), None) => write!(f, " {name}")?,
            (None, Some(number)) => write!(f, " ({number})")?,
            (None, None) => {}
        }
        write!(f, ": {}", self.message)?;
        if let Some(tracking_id) = &self.tracking_id {
            write!(f, " [tracking id {tracking_id}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for ServiceError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_fill_each_other() {
        let e = ServiceError::new(404, "dev1")
            .with_code_name("DeviceNotFound")
            .with_tracking_id("abc");
        assert_eq!(
            (e.code, e.code_number),
            (Some(ErrorCode::DeviceNotFound), Some(404_001))
        );
        assert_eq!(
            e.to_string(),
            "IoT Hub answered 404 DeviceNotFound (404001): dev1 [tracking id abc]"
        );
        let e = ServiceError::new(400, "bad").with_code_number(400_004);
        assert_eq!(e.code_name.as_deref(), Some("ArgumentInvalid"));
        let unknown = ServiceError::new(400, "x").with_code_name("SomethingNew");
        assert_eq!(
            (unknown.code, unknown.code_name.as_deref()),
            (None, Some("SomethingNew"))
        );
    }
}
