//! The REST API through the router, without sockets: every endpoint, status and error code.

mod bulk_endpoint;
mod configurations;
mod harness;
mod job_bulk_events;
mod jobs_endpoint;
mod openapi;
mod query_endpoint;
mod registry_endpoints;
mod twin_endpoints;
mod twin_semantics;
mod validation;
