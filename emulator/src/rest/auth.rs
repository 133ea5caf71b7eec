//! Who may call the service API: shared access policy SAS tokens (spec §2), or the
//! emulator-only stand-in for Microsoft Entra (`--entra-token`).
//!
//! Every failure is `401 IotHubUnauthorizedAccess` with a message saying why; that includes a
//! valid token whose policy lacks the needed right (IoT Hub uses 403 for quota errors, which
//! the official Node SDK maps to `TooManyDevicesError`, so 401 is what clients can act on).

use std::marker::PhantomData;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use iothub_twin::auth::{SasToken, unix_time_now};

use crate::error::HubError;
use crate::hub::Hub;
use crate::policies::Permission;

/// What an endpoint needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Requirement {
    /// A policy granting this permission (or the Entra stand-in).
    Permission(Permission),
    /// The owner policy itself (or the Entra stand-in): the emulator's control API.
    Owner,
}

/// The requirement of an endpoint, as a type for [`Authorized`].
pub(crate) trait Needs {
    /// The requirement.
    const REQUIREMENT: Requirement;
}

/// `RegistryRead`.
#[derive(Debug)]
pub(crate) struct RegistryRead;
/// `RegistryWrite`.
#[derive(Debug)]
pub(crate) struct RegistryWrite;
/// `ServiceConnect`.
#[derive(Debug)]
pub(crate) struct ServiceConnect;

/// The owner policy, for the control API.
#[derive(Debug)]
pub(crate) struct Owner;

impl Needs for RegistryRead {
    const REQUIREMENT: Requirement = Requirement::Permission(Permission::RegistryRead);
}
impl Needs for RegistryWrite {
    const REQUIREMENT: Requirement = Requirement::Permission(Permission::RegistryWrite);
}
impl Needs for ServiceConnect {
    const REQUIREMENT: Requirement = Requirement::Permission(Permission::ServiceConnect);
}
impl Needs for Owner {
    const REQUIREMENT: Requirement = Requirement::Owner;
}

/// Extractor: the request carries a credential granting `P`. Put it first among a handler's
/// arguments so that 401 wins over any other complaint.
#[derive(Debug)]
pub(crate) struct Authorized<P>(PhantomData<P>);

impl<P: Needs + Send> FromRequestParts<Arc<Hub>> for Authorized<P> {
    type Rejection = HubError;

    async fn from_request_parts(parts: &mut Parts, hub: &Arc<Hub>) -> Result<Self, HubError> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or_else(|| HubError::unauthorized("the request has no Authorization header"))?
            .to_str()
            .map_err(|_| HubError::unauthorized("the Authorization header is not text"))?;
        authorize(hub, header, P::REQUIREMENT)?;
        Ok(Self(PhantomData))
    }
}

/// Checks an `Authorization` header value for `needed`.
pub(crate) fn authorize(hub: &Hub, header: &str, needed: Requirement) -> Result<(), HubError> {
    if let Some(bearer) = header.strip_prefix("Bearer ") {
        return match hub.entra_token() {
            Some(expected) if constant_time_eq(bearer.as_bytes(), expected.as_bytes()) => Ok(()),
            _ => Err(HubError::unauthorized(
                "the bearer token is not valid for this hub",
            )),
        };
    }
    let token = SasToken::parse(header)
        .map_err(|e| HubError::unauthorized(format!("Authorization: {e}")))?;
    let name = token.key_name().ok_or_else(|| {
        HubError::unauthorized("the service API needs a shared access policy token (with skn)")
    })?;
    let policy = hub
        .policies()
        .get(name)
        .ok_or_else(|| HubError::unauthorized(format!("no shared access policy named {name}")))?;
    token
        .verify(
            &[&policy.primary_key, &policy.secondary_key],
            hub.hostname(),
            &[],
            unix_time_now(),
        )
        .map_err(|e| HubError::unauthorized(format!("Authorization: {e}")))?;
    let granted = match needed {
        Requirement::Permission(permission) => policy.rights.contains(&permission),
        Requirement::Owner => policy.name == crate::policies::OWNER,
    };
    if !granted {
        return Err(HubError::unauthorized(format!(
            "policy {name} does not grant {needed:?}"
        )));
    }
    Ok(())
}

/// Compares without an early exit, so the time taken does not reveal a matching prefix.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
