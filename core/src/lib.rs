#![doc = include_str!("../README.md")]

pub mod auth;
pub mod device;
pub mod error;
pub mod options;
pub mod proxy;
pub mod retry;
pub mod service;
pub mod tls;
mod tls_cache;
pub mod topics;
pub mod twin;

pub use device::{DeviceClient, DeviceClientOptions};
pub use error::{Error, ErrorCode, ErrorKind, Result, ServiceError};
pub use retry::RetryPolicy;
pub use service::{ServiceClient, ServiceClientOptions};
