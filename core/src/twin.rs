//! The twin document (spec/protocol.md §5): serde types exactly as on the wire, RFC 7386
//! merge-patch with IoT Hub's rules, diffs, and the size and shape limits.
//!
//! Emulator and clients both use these, so a merge or a limit means the same on either side.

mod limits;
mod merge;
mod model;

pub use limits::{
    MAX_DEPTH, MAX_INTEGER, MAX_KEY_BYTES, MAX_STRING_BYTES, MIN_INTEGER, Section, ValidationError,
    Violation, check_section_size, measured_size, validate,
};
pub use merge::{apply_patch, diff, replacement_patch, strip_metadata};
pub use model::{
    AuthenticationType, ConnectionState, DeviceCapabilities, DeviceStatus, Twin, TwinCollection,
    TwinProperties, X509Thumbprint,
};

/// A JSON object: the shape of tags, desired and reported properties, and of patches.
pub type JsonObject = serde_json::Map<String, serde_json::Value>;
