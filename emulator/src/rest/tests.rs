//! The REST API through the router, without sockets: every endpoint, status and error code.

mod configurations;
mod harness;
mod openapi;
mod query_endpoint;
mod registry_endpoints;
mod twin_endpoints;
mod twin_semantics;
mod validation;
