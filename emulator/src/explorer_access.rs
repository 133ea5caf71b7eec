//! Who may use the explorer page: a one-time login token (printed in the ready line's
//! `explorer_url`, as Jupyter prints its token) is exchanged once for a session id, which the
//! browser then sends as an `HttpOnly` cookie. A valid session acts with owner rights for
//! same-origin requests (`rest/auth.rs`), so no key ever reaches the page.

use std::collections::HashSet;
use std::fmt;
use std::sync::Mutex;

use crate::policies::constant_time_eq;

/// The login token and the sessions it opened.
pub(crate) struct ExplorerAccess {
    token: String,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    used: bool,
    sessions: HashSet<String>,
}

impl fmt::Debug for ExplorerAccess {
    // Never the token or a session id: these are credentials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ExplorerAccess { .. }")
    }
}

impl Default for ExplorerAccess {
    fn default() -> Self {
        Self {
            token: random_hex(),
            state: Mutex::default(),
        }
    }
}

impl ExplorerAccess {
    /// The one-time login token, for the ready line.
    pub(crate) fn login_token(&self) -> &str {
        &self.token
    }

    /// Exchanges the login token for a new session id; `None` when the token is wrong or was
    /// already used.
    pub(crate) fn exchange(&self, token: &str) -> Option<String> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.used || !constant_time_eq(token.as_bytes(), self.token.as_bytes()) {
            return None;
        }
        state.used = true;
        let session = random_hex();
        state.sessions.insert(session.clone());
        Some(session)
    }

    /// Whether `session` is a session id this hub handed out.
    pub(crate) fn is_session(&self, session: &str) -> bool {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state
            .sessions
            .iter()
            .any(|known| constant_time_eq(known.as_bytes(), session.as_bytes()))
    }
}

/// 256 random bits as hex: URL- and cookie-safe.
fn random_hex() -> String {
    rand::random::<[u8; 32]>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_opens_one_session_once() {
        let access = ExplorerAccess::default();
        assert!(access.exchange("wrong").is_none());
        let token = access.login_token().to_owned();
        let session = access.exchange(&token).expect("a session");
        assert!(access.is_session(&session));
        assert!(access.exchange(&token).is_none(), "the token is one-time");
        assert!(!access.is_session("nope"));
    }
}
