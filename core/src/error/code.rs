//! IoT Hub's numeric error codes (spec/protocol.md §4.2).
//!
//! The six-digit code is `status * 1000 + n`; the name is what REST error bodies carry in
//! `Message: "ErrorCode:<Name>;…"` and in the `iothub-errorcode` header. Emulator and clients
//! share this one table so that both sides agree.

use std::fmt;

macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = $number:literal,)*) => {
        /// An IoT Hub error code: a name and a six-digit number whose first three digits are the
        /// HTTP status.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)*
        }

        impl ErrorCode {
            /// Every known code, in table order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The six-digit number, e.g. `404001`.
            pub const fn number(self) -> u32 {
                match self { $(ErrorCode::$variant => $number,)* }
            }

            /// The name as IoT Hub spells it, e.g. `"DeviceNotFound"`.
            pub const fn name(self) -> &'static str {
                match self { $(ErrorCode::$variant => stringify!($variant),)* }
            }
        }
    };
}

error_codes! {
    /// The protocol version (api-version) is not supported.
    InvalidProtocolVersion = 400001,
    /// The operation is not valid in the current state.
    InvalidOperation = 400003,
    /// An argument (twin key or value, id, limit) is invalid.
    ArgumentInvalid = 400004,
    /// A required argument (body, query) is missing.
    ArgumentNull = 400005,
    /// The body is not well-formed JSON or has the wrong shape.
    IotHubFormatError = 400006,
    /// A bulk request names the same device twice.
    DeviceDefinedMultipleTimes = 400011,
    /// A bulk registry operation failed.
    BulkRegistryOperationFailure = 400013,
    /// The credential is missing, malformed, expired or does not grant the operation.
    IotHubUnauthorizedAccess = 401002,
    /// Unauthorized.
    IotHubUnauthorized = 401003,
    /// A hub quota is exceeded.
    IotHubQuotaExceeded = 403002,
    /// A twin section (tags, desired, reported) is over its size limit.
    DeviceModelMaxPropertiesExceeded = 403100,
    /// The device (or its twin) does not exist.
    DeviceNotFound = 404001,
    /// The job does not exist.
    JobNotFound = 404002,
    /// The module (or its twin) does not exist.
    ModuleNotFound = 404010,
    /// The automatic device configuration does not exist.
    ConfigurationNotFound = 404301,
    /// The device is not connected (direct methods).
    DeviceNotOnline = 404103,
    /// A device with this id already exists.
    DeviceAlreadyExists = 409001,
    /// A job with this id already exists.
    JobAlreadyExists = 409007,
    /// A module with this id already exists on the device.
    ModuleAlreadyExistsOnDevice = 409301,
    /// A configuration with this id already exists.
    ConfigurationAlreadyExists = 409401,
    /// The etag (If-Match) or `$version` precondition did not match.
    PreconditionFailed = 412001,
    /// The message or request body is too large.
    MessageTooLarge = 413001,
    /// The hub holds too many devices.
    TooManyDevices = 413002,
    /// The device holds too many modules.
    TooManyModulesOnDevice = 413003,
    /// The hub holds as many configurations as it may.
    ConfigurationCountLimitExceeded = 413101,
    /// The request was throttled.
    ThrottlingException = 429001,
    /// An internal error.
    ServerError = 500001,
    /// The service is unavailable.
    ServiceUnavailable = 503001,
    /// A gateway timed out.
    GatewayTimeout = 504101,
}

impl ErrorCode {
    /// The HTTP (or MQTT twin) status this code goes with.
    pub const fn status(self) -> u16 {
        // Six-digit codes are at most 599_999, so the quotient always fits.
        (self.number() / 1000) as u16
    }

    /// Looks a code up by its six-digit number.
    pub fn from_number(number: u32) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.number() == number)
    }

    /// Looks a code up by name, as IoT Hub spells it (case-sensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.name() == name)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.number())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_names_round_trip_and_status_is_the_prefix() {
        for &code in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_number(code.number()), Some(code));
            assert_eq!(ErrorCode::from_name(code.name()), Some(code));
            assert_eq!(u32::from(code.status()), code.number() / 1000);
        }
        assert_eq!(ErrorCode::PreconditionFailed.number(), 412_001);
        assert_eq!(ErrorCode::DeviceNotFound.name(), "DeviceNotFound");
        assert_eq!(ErrorCode::ArgumentInvalid.status(), 400);
        assert_eq!(ErrorCode::from_number(412_002), None);
    }
}
