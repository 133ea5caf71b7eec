//! The twin-query grammar (spec §6.1) as `winnow` parsers, and syntax errors that name the
//! line and column.
//!
//! ```text
//! query      := SELECT [TOP n] ('*' | item (',' item)*) FROM collection
//!               [WHERE expr] [GROUP BY path (',' path)*]
//! item       := (path | COUNT '(' ')' | (AVG|SUM|MIN|MAX) '(' path ')') [AS name]
//! collection := devices | devices.modules | devices.jobs
//! path       := name ('.' name)*           name := plain | '[[' any text ']]'
//! ```
//! Keywords are case-insensitive. Constructs the hub does not have (ORDER BY, HAVING, JOIN,
//! DISTINCT, subqueries, ...) fail with a message
//! saying they are not supported, rather than a bare syntax error.

mod expr;
mod lexical;

use winnow::combinator::{cut_err, opt, preceded, separated};
use winnow::error::{ContextError, ErrMode};
use winnow::prelude::*;

use super::ast::{Aggregate, Collection, Projection, Query, SelectItem, Selection};
use super::paths::FieldPath;
use crate::error::HubError;
use lexical::{keyword, name, peek_word, plain_name, symbol, ws};

/// Why a parse failed, innermost first.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Problem {
    /// "expected ..., found ...".
    Expected(&'static str),
    /// "... is not supported".
    Unsupported(&'static str),
    /// A complete message.
    Invalid(String),
}

type Error = ErrMode<ContextError<Problem>>;
type PResult<T> = Result<T, Error>;
type Mark<'q> = <&'q str as winnow::stream::Stream>::Checkpoint;

/// Fails without backtracking, pointing at `at`.
fn fail_at<'q, T>(input: &mut &'q str, at: &Mark<'q>, problem: Problem) -> PResult<T> {
    input.reset(at);
    let mut error = ContextError::new();
    error.push(problem);
    Err(ErrMode::Cut(error))
}

/// Parses a whole query.
pub(crate) fn parse(text: &str) -> Result<Query, HubError> {
    let mut input = text;
    query(&mut input).map_err(|error| syntax_error(text, text.len() - input.len(), error))
}

/// Parses a bare condition, the `WHERE` part of a query alone (a configuration's target
/// condition); positions in errors are the condition's own.
pub(crate) fn parse_condition(text: &str) -> Result<super::ast::Expr, HubError> {
    let mut input = text;
    let condition = |i: &mut &str| -> PResult<super::ast::Expr> {
        let expr = cut_err(|i: &mut &str| expr::expression(i, 0))
            .context(Problem::Expected("a condition"))
            .parse_next(i)?;
        ws(i)?;
        if !i.is_empty() {
            let here = i.checkpoint();
            return fail_at(i, &here, Problem::Expected("the end of the condition"));
        }
        Ok(expr)
    };
    condition(&mut input).map_err(|error| syntax_error(text, text.len() - input.len(), error))
}

fn query(input: &mut &str) -> PResult<Query> {
    cut_err(keyword("SELECT"))
        .context(Problem::Expected("SELECT"))
        .parse_next(input)?;
    refuse(
        input,
        &[("DISTINCT", "SELECT DISTINCT"), ("VALUE", "SELECT VALUE")],
    )?;
    let top = opt(preceded(keyword("TOP"), cut_err(top_count))).parse_next(input)?;
    let selection = selection(input)?;
    cut_err(keyword("FROM"))
        .context(Problem::Expected("FROM"))
        .parse_next(input)?;
    let collection = collection(input)?;
    refuse(input, &[("JOIN", "JOIN")])?;
    let filter = opt(preceded(
        keyword("WHERE"),
        cut_err(|i: &mut &str| expr::expression(i, 0))
            .context(Problem::Expected("a condition after WHERE")),
    ))
    .parse_next(input)?;
    let mut group_by = Vec::new();
    if opt(keyword("GROUP")).parse_next(input)?.is_some() {
        cut_err(keyword("BY"))
            .context(Problem::Expected("BY after GROUP"))
            .parse_next(input)?;
        group_by = separated(1.., cut_err(path), symbol(","))
            .context(Problem::Expected("a property path to group by"))
            .parse_next(input)?;
    }
    refuse(
        input,
        &[
            ("ORDER", "ORDER BY"),
            ("HAVING", "HAVING"),
            ("OFFSET", "OFFSET"),
            ("LIMIT", "LIMIT"),
            ("UNION", "UNION"),
            ("JOIN", "JOIN"),
        ],
    )?;
    ws(input)?;
    if !input.is_empty() {
        let here = input.checkpoint();
        return fail_at(input, &here, Problem::Expected("the end of the query"));
    }
    Ok(Query {
        top,
        selection,
        collection,
        filter,
        group_by,
    })
}

/// Fails with "... is not supported" when the next word is one of `words`.
fn refuse(input: &mut &str, words: &[(&str, &'static str)]) -> PResult<()> {
    ws(input)?;
    let here = input.checkpoint();
    if let Some(word) = opt(peek_word).parse_next(input)?
        && let Some((_, construct)) = words.iter().find(|(w, _)| w.eq_ignore_ascii_case(word))
    {
        return fail_at(input, &here, Problem::Unsupported(construct));
    }
    Ok(())
}

fn top_count(input: &mut &str) -> PResult<u64> {
    ws(input)?;
    let start = input.checkpoint();
    let count = lexical::number
        .context(Problem::Expected("a whole number after TOP"))
        .parse_next(input)?;
    match count.as_u64() {
        Some(n) => Ok(n),
        None => fail_at(input, &start, Problem::Expected("a whole number after TOP")),
    }
}

fn selection(input: &mut &str) -> PResult<Selection> {
    if opt(symbol("*")).parse_next(input)?.is_some() {
        return Ok(Selection::All);
    }
    let items = separated(1.., select_item, symbol(",")).parse_next(input)?;
    Ok(Selection::Items(items))
}

fn select_item(input: &mut &str) -> PResult<SelectItem> {
    ws(input)?;
    let start = input.checkpoint();
    let value = match opt((plain_name, symbol("("))).parse_next(input)? {
        Some((function, ())) => aggregate_call(input, function, &start)?,
        None => Projection::Path(
            cut_err(path)
                .context(Problem::Expected("*, a property path or an aggregate"))
                .parse_next(input)?,
        ),
    };
    let alias = opt(preceded(
        keyword("AS"),
        cut_err(name).context(Problem::Expected("a name after AS")),
    ))
    .parse_next(input)?;
    Ok(SelectItem { value, alias })
}

/// The rest of `function(` in the SELECT list.
fn aggregate_call<'q>(
    input: &mut &'q str,
    function: &str,
    start: &Mark<'q>,
) -> PResult<Projection> {
    let Some(aggregate) = Aggregate::from_name(function) else {
        return fail_at(
            input,
            start,
            Problem::Invalid(format!(
                "only property paths and the aggregates COUNT(), AVG, SUM, MIN and MAX can be \
                 selected, not {function}(...)"
            )),
        );
    };
    let argument = match aggregate {
        Aggregate::Count => None,
        _ => Some(
            cut_err(path)
                .context(Problem::Expected("a property path"))
                .parse_next(input)?,
        ),
    };
    cut_err(symbol(")"))
        .context(Problem::Expected(match aggregate {
            Aggregate::Count => "`)`: COUNT takes no argument",
            _ => "`)`",
        }))
        .parse_next(input)?;
    Ok(Projection::Aggregate(aggregate, argument))
}

fn collection(input: &mut &str) -> PResult<Collection> {
    ws(input)?;
    cut_err(keyword("devices"))
        .context(Problem::Expected("devices or devices.modules"))
        .parse_next(input)?;
    if opt(symbol(".")).parse_next(input)?.is_none() {
        return Ok(Collection::Devices);
    }
    let at = input.checkpoint();
    let word = opt(plain_name).parse_next(input)?.unwrap_or("");
    if word.eq_ignore_ascii_case("modules") {
        Ok(Collection::Modules)
    } else if word.eq_ignore_ascii_case("jobs") {
        Ok(Collection::Jobs)
    } else {
        fail_at(input, &at, Problem::Expected("modules after devices."))
    }
}

/// A dotted property path. A reserved word cannot start one (so `SELECT FROM` reads as a
/// missing selection), and after a dot it gets a hint to escape it.
fn path(input: &mut &str) -> PResult<FieldPath> {
    ws(input)?;
    let start = input.checkpoint();
    if !input.starts_with("[[")
        && opt(peek_word)
            .parse_next(input)?
            .is_none_or(lexical::is_reserved)
    {
        input.reset(&start);
        return Err(ErrMode::Backtrack(ContextError::new()));
    }
    let mut segments = vec![name(input)?];
    while opt(symbol(".")).parse_next(input)?.is_some() {
        segments.push(
            cut_err(name)
                .context(Problem::Expected("a property name after `.`"))
                .parse_next(input)?,
        );
    }
    Ok(FieldPath::new(segments))
}

/// The 400 for a failed parse at byte `offset` of `text`.
fn syntax_error(text: &str, offset: usize, error: Error) -> HubError {
    let rest = text.get(offset..).unwrap_or("").trim_start();
    let offset = text.len() - rest.len();
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    let found = match rest.split_whitespace().next() {
        None => "the end of the query".to_owned(),
        Some(token) => format!("`{}`", token.chars().take(24).collect::<String>()),
    };
    let problem = error
        .into_inner()
        .ok()
        .and_then(|e| e.context().next().cloned());
    let at = format!("line {line}, column {column}");
    HubError::invalid(match problem {
        Some(Problem::Unsupported(what)) => {
            format!("{what} is not supported in IoT Hub twin queries (at {at})")
        }
        Some(Problem::Invalid(message)) => format!("syntax error at {at}: {message}"),
        Some(Problem::Expected(what)) => {
            format!("syntax error at {at}: expected {what}, found {found}")
        }
        None => format!("syntax error at {at}: unexpected {found}"),
    })
}
