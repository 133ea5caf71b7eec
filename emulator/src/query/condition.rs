//! A bare condition over one twin, the `WHERE` part of a query alone: what an automatic device
//! configuration's `targetCondition` is (`tags.plant = 'north' AND properties.reported.fw < 2`).
//! It is parsed by the query grammar and evaluated with the query's own rules (`eval.rs`), so a
//! condition selects exactly the twins `SELECT * FROM devices WHERE <condition>` returns.
//!
//! ```
//! # use iothub_twin_emulator::query::condition::Condition;
//! let condition = Condition::parse("tags.plant = 'north'")?;
//! assert_eq!(condition.text(), "tags.plant = 'north'");
//! assert!(Condition::parse("tags.plant = ").is_err());
//! # Ok::<_, iothub_twin_emulator::HubError>(())
//! ```

use super::ast::Expr;
use super::{MAX_QUERY_CHARS, eval, parser, paths::TwinView};
use crate::error::HubError;
use crate::registry::Identity;
use crate::twin_state::TwinState;

/// A parsed condition, ready to test twins.
#[derive(Clone, Debug)]
pub struct Condition {
    text: String,
    expr: Expr,
}

impl Condition {
    /// Parses `text`. A syntax error is `400 ArgumentInvalid` naming the position in `text`.
    pub fn parse(text: &str) -> Result<Self, HubError> {
        if text.trim().is_empty() {
            return Err(HubError::invalid("the condition is empty"));
        }
        let length = text.chars().count();
        if length > MAX_QUERY_CHARS {
            return Err(HubError::invalid(format!(
                "the condition is {length} characters long; the limit is {MAX_QUERY_CHARS}"
            )));
        }
        Ok(Self {
            text: text.to_owned(),
            expr: parser::parse_condition(text)?,
        })
    }

    /// The condition as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether the condition is `true` for this twin (undefined and `false` alike are not).
    pub fn matches(&self, identity: &Identity, twin: &TwinState) -> bool {
        eval::passes(&self.expr, TwinView { identity, twin })
    }
}
