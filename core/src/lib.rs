#![doc = include_str!("../README.md")]

pub mod auth;
pub mod error;
pub mod topics;
pub mod twin;

pub use error::{Error, ErrorCode, Result};
