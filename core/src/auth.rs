//! Credentials: connection strings, shared access keys and SAS tokens (spec/protocol.md §1–§2).
//!
//! Everything here is pure (no I/O, no clock unless asked) and is shared by the clients and the
//! emulator, so both sides sign and verify with one definition. Secrets are redacted in every
//! `Debug` and `Display`; the `expose_*` methods are the only way to get them back out.

mod connection_string;
mod host;
mod key;
mod sas;

pub use connection_string::{
    ConnectionString, DeviceAuth, DeviceConnectionString, ServiceAuth, ServiceConnectionString,
    check_identity_id,
};
pub use host::HostPort;
pub use key::SharedAccessKey;
pub use sas::{
    SasError, SasToken, device_resource, encode_uri_component, module_resource, unix_time_now,
};

/// Text shown in place of a secret.
pub(crate) const REDACTED: &str = "<redacted>";
