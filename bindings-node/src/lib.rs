//! Node bindings (napi-rs), filled by the "Node package" issue.
//!
//! Nothing is exported yet: the napi module arrives together with the device and service
//! clients it wraps.
