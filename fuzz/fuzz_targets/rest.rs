//! Arbitrary requests through the emulator's real HTTPS router (`tower::ServiceExt::oneshot`,
//! no socket), on an in-memory hub reset before every input.
//!
//! Input: the first byte picks the credentials the harness adds (the fuzzer cannot forge an
//! HMAC): 0 owner SAS (`iothubowner`), 1 `registryRead`, 2 `registryReadWrite`, 3 `service`,
//! 4 the device `dev1`'s own SAS, 5 the Entra stand-in, 6–7 none. The rest is an HTTP/1-style
//! request: `METHOD /path?query`, header lines `Name: value`, an empty line, then the body. An
//! `Authorization` header in the input replaces the harness's. Requests hyper itself would
//! refuse on the wire (bad URI, bad header bytes) are skipped.
//!
//! Asserted: nothing panics; every request is answered within [`common::DEADLINE`]; no 5xx
//! (the documented 503 needs a failing disk and the 500 a failing certificate signer, neither
//! of which exists with an in-memory store: bench/RELIABILITY.md "## Fuzzing"); a JSON body
//! parses; every 4xx outside the WebSocket upgrade route is an IoT Hub error (`iothub-errorcode`
//! header naming the code in the body's `Message`).

#![no_main]

#[path = "common/mod.rs"]
mod common;

use std::sync::OnceLock;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderName, HeaderValue, Method, Request, Uri};
use common::{DEADLINE, ENTRA_TOKEN, device_token, fresh_hub, policy_token, runtime};
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt as _;

/// The parts of one request as the input spells them.
struct RawRequest<'a> {
    method: Method,
    uri: Uri,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: &'a [u8],
}

fn parse(input: &[u8]) -> Option<RawRequest<'_>> {
    let (head, body) = match input.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (&input[..at], &input[at + 2..]),
        None => (input, &[][..]),
    };
    let mut lines = head
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let request_line = lines.next()?;
    let (method, target) = match request_line.iter().position(|&b| b == b' ') {
        Some(at) => (
            Method::from_bytes(&request_line[..at]).ok()?,
            &request_line[at + 1..],
        ),
        None => (Method::GET, request_line),
    };
    let uri = Uri::try_from(target).ok()?;
    if uri.scheme().is_some() || !uri.path().starts_with('/') {
        return None; // origin-form only, as a server receives it
    }
    let headers = lines
        .filter_map(|line| {
            let colon = line.iter().position(|&b| b == b':')?;
            let name = HeaderName::from_bytes(&line[..colon]).ok()?;
            let value = HeaderValue::from_bytes(line[colon + 1..].trim_ascii()).ok()?;
            Some((name, value))
        })
        .collect();
    Some(RawRequest {
        method,
        uri,
        headers,
        body,
    })
}

fn router() -> Router {
    static ROUTER: OnceLock<Router> = OnceLock::new();
    ROUTER.get_or_init(|| fresh_hub().router()).clone()
}

fuzz_target!(|data: &[u8]| {
    let Some((&credentials, text)) = data.split_first() else {
        return;
    };
    let Some(raw) = parse(text) else { return };
    let router = router();
    let hub = fresh_hub();
    let authorization = match credentials & 7 {
        0 => Some(policy_token(hub, "iothubowner")),
        1 => Some(policy_token(hub, "registryRead")),
        2 => Some(policy_token(hub, "registryReadWrite")),
        3 => Some(policy_token(hub, "service")),
        4 => Some(device_token(None)),
        5 => Some(format!("Bearer {ENTRA_TOKEN}")),
        _ => None,
    };
    let path = raw.uri.path().to_owned();
    let mut request = Request::builder().method(raw.method.clone()).uri(raw.uri);
    if let Some(token) = authorization {
        request = request.header(AUTHORIZATION, token);
    }
    let mut request = request
        .body(Body::from(raw.body.to_vec()))
        .expect("parts are valid");
    for (name, value) in raw.headers {
        if name == AUTHORIZATION {
            request.headers_mut().insert(name, value);
        } else {
            request.headers_mut().append(name, value);
        }
    }

    let (status, headers, body) = runtime().block_on(async {
        let call = async {
            let response = router
                .oneshot(request)
                .await
                .expect("the router is infallible");
            let (parts, body) = response.into_parts();
            let body = to_bytes(body, 64 << 20).await.expect("the body streams");
            (parts.status, parts.headers, body)
        };
        tokio::time::timeout(DEADLINE, call)
            .await
            .expect("answered in time")
    });

    assert!(
        !status.is_server_error(),
        "{} {path} -> {status}: {}",
        raw.method,
        String::from_utf8_lossy(&body)
    );
    let is_json = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let json = (is_json && raw.method != Method::HEAD).then(|| {
        serde_json::from_slice::<serde_json::Value>(&body).unwrap_or_else(|e| {
            panic!(
                "{status} body is not JSON ({e}): {}",
                String::from_utf8_lossy(&body)
            )
        })
    });
    if status.is_client_error() && path != "/$iothub/websocket" && raw.method != Method::HEAD {
        let code = headers
            .get("iothub-errorcode")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| {
                panic!("{} {path} -> {status} without iothub-errorcode", raw.method)
            });
        let message = json
            .as_ref()
            .and_then(|j| j["Message"].as_str().map(str::to_owned))
            .unwrap_or_else(|| panic!("{status} body without Message"));
        assert!(
            message.starts_with(&format!("ErrorCode:{code};")),
            "{code} vs {message}"
        );
    }
});
