//! Unit tests of the service client against scripted HTTP answers (no server, no sockets).

mod error_shapes;
mod mock;
mod query;
mod requests;
mod retries;
