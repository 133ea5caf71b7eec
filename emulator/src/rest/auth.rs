//! Who may call the service API: shared access policy SAS tokens (spec §2), or the
//! emulator-only stand-in for Microsoft Entra (`--entra-token`).
//!
//! The explorer page's session cookie ([`SESSION_COOKIE`]) stands for the owner policy on
//! same-origin requests without an `Authorization` header (`explorer_access.rs`).
//!
//! Every failure is `401 IotHubUnauthorizedAccess` with a message saying why; that includes a
//! valid token whose policy lacks the needed right (IoT Hub uses 403 for quota errors, which
//! the official Node SDK maps to `TooManyDevicesError`, so 401 is what clients can act on).

use std::marker::PhantomData;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE, HOST, ORIGIN};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Uri};
use iothub_twin::auth::{SasToken, unix_time_now};

use crate::error::HubError;
use crate::hub::Hub;
use crate::policies::{Permission, constant_time_eq};

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
        authorize_headers(hub, &parts.headers, &parts.uri, P::REQUIREMENT)?;
        Ok(Self(PhantomData))
    }
}

/// The cookie holding an explorer session id.
pub(crate) const SESSION_COOKIE: &str = "iothub-twin-explorer";

/// Checks a request's `Authorization` header, or else its explorer session cookie.
pub(crate) fn authorize_headers(
    hub: &Hub,
    headers: &HeaderMap,
    uri: &Uri,
    needed: Requirement,
) -> Result<(), HubError> {
    let Some(header) = headers.get(AUTHORIZATION) else {
        if explorer_session(hub, headers, uri) {
            return Ok(());
        }
        return Err(HubError::unauthorized(
            "the request has no Authorization header",
        ));
    };
    let header = header
        .to_str()
        .map_err(|_| HubError::unauthorized("the Authorization header is not text"))?;
    authorize(hub, header, needed)
}

/// Whether the request carries a valid explorer session cookie and comes from the page's own
/// origin: a browser names another site in `Origin` or `Sec-Fetch-Site`, and such a request
/// gets no rights from the cookie. The request's own authority is the URI's under HTTP/2 and
/// `Host` under HTTP/1.1.
pub(crate) fn explorer_session(hub: &Hub, headers: &HeaderMap, uri: &Uri) -> bool {
    let cross_site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|site| site != "same-origin" && site != "none");
    let authority = uri
        .authority()
        .map(|a| a.as_str())
        .or_else(|| headers.get(HOST).and_then(|h| h.to_str().ok()))
        .unwrap_or_default();
    let origin_matches = headers.get(ORIGIN).is_none_or(|origin| {
        origin
            .to_str()
            .ok()
            .and_then(|o| o.strip_prefix("https://"))
            == Some(authority)
    });
    !cross_site
        && origin_matches
        && session_id(headers).is_some_and(|id| hub.explorer_access().is_session(id))
}

/// The explorer session id from the `Cookie` headers.
pub(crate) fn session_id(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == SESSION_COOKIE).then_some(value)
        })
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
