//! Python bindings (`iothub_twin._native`), filled by the "Python package" issue.
//!
//! Nothing is exported yet: the PyO3 module arrives together with the device and service
//! clients it wraps.
