//! The twin explorer page at `/explorer/` (emulator only): a device and module list, the twin
//! side by side, editing with etags, live changes from the twin change feed, and a query
//! console. The page is static (`explorer/*`, embedded at build time: nothing is fetched from
//! the network at run time) and calls the REST API and the control API with its session cookie.
//!
//! `GET /explorer/?token=T` exchanges the ready line's one-time token for a session cookie and
//! redirects to `/explorer/`, so the token does not stay in the address bar or the history.
//! Without a valid session every route here answers 401.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION, REFERRER_POLICY, SET_COOKIE,
    X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;

use crate::hub::Hub;
use crate::rest::{QueryParams, SESSION_COOKIE, explorer_session};

const INDEX_HTML: &str = include_str!("explorer/index.html");
const APP_JS: &str = include_str!("explorer/app.js");
const APP_CSS: &str = include_str!("explorer/app.css");
const FAVICON: &str = include_str!("explorer/favicon.svg");

/// The ports the page needs for connection strings.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ports {
    /// The HTTPS (REST) port.
    pub https: u16,
    /// The MQTT port.
    pub mqtt: u16,
}

#[derive(Clone)]
struct Page {
    hub: Arc<Hub>,
    ports: Ports,
}

/// The page's routes.
pub(crate) fn routes(hub: Arc<Hub>, ports: Ports) -> Router {
    Router::new()
        .route("/explorer", get(|| async { Redirect::to("/explorer/") }))
        .route("/explorer/", get(index))
        .route(
            "/explorer/app.js",
            get(|s, h, u| asset(s, h, u, APP_JS, "text/javascript")),
        )
        .route(
            "/explorer/app.css",
            get(|s, h, u| asset(s, h, u, APP_CSS, "text/css")),
        )
        .route(
            "/explorer/favicon.svg",
            get(|s, h, u| asset(s, h, u, FAVICON, "image/svg+xml")),
        )
        .route("/explorer/info", get(info))
        .with_state(Page { hub, ports })
}

#[derive(Debug, Deserialize)]
struct Login {
    token: Option<String>,
}

async fn index(
    State(page): State<Page>,
    headers: HeaderMap,
    uri: Uri,
    login: Result<QueryParams<Login>, crate::error::HubError>,
) -> Response {
    let token = login.ok().and_then(|QueryParams(login)| login.token);
    if let Some(token) = token {
        let Some(session) = page.hub.explorer_access().exchange(&token) else {
            return unauthorized("this login link is not valid or was already used");
        };
        let cookie =
            format!("{SESSION_COOKIE}={session}; Path=/; HttpOnly; Secure; SameSite=Strict");
        let mut response = StatusCode::SEE_OTHER.into_response();
        let headers = response.headers_mut();
        headers.insert(LOCATION, HeaderValue::from_static("/explorer/"));
        if let Ok(cookie) = HeaderValue::from_str(&cookie) {
            headers.insert(SET_COOKIE, cookie);
        }
        protect(headers);
        return response;
    }
    asset(
        State(page),
        headers,
        uri,
        INDEX_HTML,
        "text/html; charset=utf-8",
    )
    .await
}

async fn asset(
    State(page): State<Page>,
    headers: HeaderMap,
    uri: Uri,
    body: &'static str,
    content_type: &'static str,
) -> Response {
    if !explorer_session(&page.hub, &headers, &uri) {
        return unauthorized("open the explorer_url from the emulator's ready line to log in");
    }
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    protect(headers);
    response
}

/// What the page needs to write connection strings.
async fn info(State(page): State<Page>, headers: HeaderMap, uri: Uri) -> Response {
    if !explorer_session(&page.hub, &headers, &uri) {
        return unauthorized("not logged in");
    }
    let mut response = axum::Json(json!({
        "hostname": page.hub.hostname(),
        "httpsPort": page.ports.https,
        "mqttPort": page.ports.mqtt,
    }))
    .into_response();
    protect(response.headers_mut());
    response
}

/// Nothing cached, nothing loaded from elsewhere, no address sent on as a referrer.
fn protect(headers: &mut HeaderMap) {
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'"),
    );
}

fn unauthorized(why: &'static str) -> Response {
    let mut response = (
        StatusCode::UNAUTHORIZED,
        format!("401 Unauthorized: {why}\n"),
    )
        .into_response();
    protect(response.headers_mut());
    response
}
