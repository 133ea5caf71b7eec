//! End-to-end tests of the core clients against the in-process emulator live in `tests/`.
//!
//! They arrive with the emulator and the clients; the core's golden-vector tests are in
//! `core/tests/`.
