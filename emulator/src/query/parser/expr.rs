//! `WHERE` expressions, loosest binding first:
//!
//! ```text
//! expr       := and (OR and)*
//! and        := not (AND not)*
//! not        := NOT not | comparison
//! comparison := sum [(= | != | <> | < | > | <= | >=) sum | (IN | NIN) array]
//! sum        := product ((+ | -) product)*
//! product    := unary ((* | / | %) unary)*
//! unary      := - unary | primary
//! primary    := ( expr ) | constant | function ( expr, ... ) | path
//! ```
//! Chains of one operator become one node (`Expr::And(vec)`), so a long `a AND b AND ...` is
//! flat; only parentheses, `NOT`, `-` and function calls nest, and they are limited to
//! [`MAX_NESTING`] levels, so no input can exhaust the stack of the parser, the evaluator or
//! the drop of the tree.

use serde_json::Value;
use winnow::combinator::{alt, cut_err, opt, separated};
use winnow::error::{ContextError, ErrMode};
use winnow::prelude::*;
use winnow::token::literal;

use super::lexical::{is_reserved, keyword, number, peek_word, string, symbol, ws};
use super::{PResult, Problem, fail_at, path};
use crate::query::ast::{Aggregate, Arithmetic, Comparison, Expr};
use crate::query::eval;
use crate::query::functions::Function;

/// How deeply parentheses, `NOT`, `-` and calls may nest.
pub(crate) const MAX_NESTING: usize = 64;

/// A whole expression, `depth` levels deep.
pub(super) fn expression(input: &mut &str, depth: usize) -> PResult<Expr> {
    deeper(input, depth)?;
    let operands = chain(input, depth, "OR", and)?;
    Ok(flat(operands, Expr::Or))
}

fn and(input: &mut &str, depth: usize) -> PResult<Expr> {
    let operands = chain(input, depth, "AND", not)?;
    Ok(flat(operands, Expr::And))
}

/// `operand (word operand)*`.
fn chain(
    input: &mut &str,
    depth: usize,
    word: &'static str,
    operand: fn(&mut &str, usize) -> PResult<Expr>,
) -> PResult<Vec<Expr>> {
    let mut operands = vec![operand(input, depth)?];
    while opt(keyword(word)).parse_next(input)?.is_some() {
        let wanted = match word {
            "AND" => "a condition after AND",
            _ => "a condition after OR",
        };
        let next = cut_err(|i: &mut &str| operand(i, depth))
            .context(Problem::Expected(wanted))
            .parse_next(input)?;
        operands.push(next);
    }
    Ok(operands)
}

fn flat(mut operands: Vec<Expr>, combine: fn(Vec<Expr>) -> Expr) -> Expr {
    if operands.len() == 1 {
        operands.remove(0)
    } else {
        combine(operands)
    }
}

fn not(input: &mut &str, depth: usize) -> PResult<Expr> {
    if opt(keyword("NOT")).parse_next(input)?.is_none() {
        return comparison(input, depth);
    }
    deeper(input, depth + 1)?;
    let operand = cut_err(|i: &mut &str| not(i, depth + 1))
        .context(Problem::Expected("a condition after NOT"))
        .parse_next(input)?;
    Ok(Expr::Not(Box::new(operand)))
}

fn comparison(input: &mut &str, depth: usize) -> PResult<Expr> {
    let left = sum(input, depth)?;
    let operator = alt((
        literal("<=").value(Comparison::LessOrEqual),
        literal(">=").value(Comparison::GreaterOrEqual),
        literal("<>").value(Comparison::NotEqual),
        literal("!=").value(Comparison::NotEqual),
        literal("=").value(Comparison::Equal),
        literal("<").value(Comparison::Less),
        literal(">").value(Comparison::Greater),
    ));
    if let Some(op) = opt((ws, operator)).parse_next(input)? {
        let right = cut_err(|i: &mut &str| sum(i, depth))
            .context(Problem::Expected("a value to compare with"))
            .parse_next(input)?;
        return Ok(Expr::Compare(Box::new(left), op.1, Box::new(right)));
    }
    let membership = alt((keyword("IN").value(false), keyword("NIN").value(true)));
    if let Some(negated) = opt(membership).parse_next(input)? {
        let list = cut_err(array)
            .context(Problem::Expected("an array constant such as ['a', 'b']"))
            .parse_next(input)?;
        return Ok(Expr::In {
            value: Box::new(left),
            list,
            negated,
        });
    }
    Ok(left)
}

fn sum(input: &mut &str, depth: usize) -> PResult<Expr> {
    let operators = [("+", Arithmetic::Add), ("-", Arithmetic::Subtract)];
    arithmetic(input, depth, &operators, product)
}

fn product(input: &mut &str, depth: usize) -> PResult<Expr> {
    let operators = [
        ("*", Arithmetic::Multiply),
        ("/", Arithmetic::Divide),
        ("%", Arithmetic::Remainder),
    ];
    arithmetic(input, depth, &operators, unary)
}

/// `operand (op operand)*` for the operators of one precedence level.
fn arithmetic(
    input: &mut &str,
    depth: usize,
    operators: &[(&'static str, Arithmetic)],
    operand: fn(&mut &str, usize) -> PResult<Expr>,
) -> PResult<Expr> {
    let first = operand(input, depth)?;
    let mut rest = Vec::new();
    loop {
        ws(input)?;
        let Some(&(_, op)) = operators.iter().find(|(text, _)| input.starts_with(text)) else {
            break;
        };
        *input = &input[1..];
        let next = cut_err(|i: &mut &str| operand(i, depth))
            .context(Problem::Expected("a value after the operator"))
            .parse_next(input)?;
        rest.push((op, next));
    }
    Ok(if rest.is_empty() {
        first
    } else {
        Expr::Arithmetic(Box::new(first), rest)
    })
}

fn unary(input: &mut &str, depth: usize) -> PResult<Expr> {
    ws(input)?;
    let start = input.checkpoint();
    if opt(symbol("-")).parse_next(input)?.is_none() {
        return primary(input, depth);
    }
    deeper(input, depth + 1)?;
    let operand = cut_err(|i: &mut &str| unary(i, depth + 1))
        .context(Problem::Expected("a value after -"))
        .parse_next(input)?;
    match operand {
        Expr::Constant(Some(Value::Number(n))) => match eval::negate(&Value::Number(n)) {
            Some(negated) => Ok(Expr::Constant(Some(negated))),
            None => fail_at(
                input,
                &start,
                Problem::Invalid("this number is out of range".into()),
            ),
        },
        other => Ok(Expr::Negate(Box::new(other))),
    }
}

fn primary(input: &mut &str, depth: usize) -> PResult<Expr> {
    ws(input)?;
    let start = input.checkpoint();
    let first = input.chars().next();
    if first == Some('(') {
        *input = &input[1..];
        if opt(keyword("SELECT")).parse_next(input)?.is_some() {
            return fail_at(input, &start, Problem::Unsupported("a subquery"));
        }
        deeper(input, depth + 1)?;
        let inner = cut_err(|i: &mut &str| expression(i, depth + 1))
            .context(Problem::Expected("an expression"))
            .parse_next(input)?;
        cut_err(symbol(")"))
            .context(Problem::Expected("`)`"))
            .parse_next(input)?;
        return Ok(inner);
    }
    if matches!(first, Some('\'' | '"')) {
        return Ok(Expr::Constant(Some(Value::String(string(input)?))));
    }
    let starts_number = |s: &str| {
        let mut chars = s.chars();
        match chars.next() {
            Some(c) if c.is_ascii_digit() => true,
            Some('.') => chars.next().is_some_and(|c| c.is_ascii_digit()),
            _ => false,
        }
    };
    if starts_number(input) {
        return Ok(Expr::Constant(Some(number(input)?)));
    }
    if input.starts_with('[') && !input.starts_with("[[") {
        let problem = "array constants are allowed only after IN or NIN";
        return fail_at(input, &start, Problem::Invalid(problem.to_owned()));
    }
    if let Some(word) = opt(peek_word).parse_next(input)? {
        let constants = [
            ("true", Some(Value::Bool(true))),
            ("false", Some(Value::Bool(false))),
            ("null", Some(Value::Null)),
            ("undefined", None),
        ];
        if let Some((_, constant)) = constants.iter().find(|(c, _)| c.eq_ignore_ascii_case(word)) {
            *input = &input[word.len()..];
            return Ok(Expr::Constant(constant.clone()));
        }
        if input[word.len()..].trim_start().starts_with('(') {
            *input = &input[word.len()..];
            symbol("(").parse_next(input)?;
            return call(input, word, &start, depth);
        }
        if is_reserved(word) {
            return backtrack();
        }
    }
    if opt(peek_word).parse_next(input)?.is_some() || input.starts_with("[[") {
        return Ok(Expr::Path(path(input)?));
    }
    backtrack()
}

/// The arguments and `)` of `name(`.
fn call<'q>(
    input: &mut &'q str,
    name: &str,
    start: &super::Mark<'q>,
    depth: usize,
) -> PResult<Expr> {
    if Aggregate::from_name(name).is_some() {
        let problem = format!("{name}() is an aggregate: it is allowed only in the SELECT list");
        return fail_at(input, start, Problem::Invalid(problem));
    }
    let Some(function) = Function::from_name(name) else {
        return fail_at(
            input,
            start,
            Problem::Invalid(format!("unknown function {name}")),
        );
    };
    deeper(input, depth + 1)?;
    let mut args = Vec::new();
    if opt(symbol(")")).parse_next(input)?.is_none() {
        let argument = |i: &mut &str| expression(i, depth + 1);
        args = separated(1.., cut_err(argument), symbol(",")).parse_next(input)?;
        cut_err(symbol(")"))
            .context(Problem::Expected("`,` or `)`"))
            .parse_next(input)?;
    }
    let arity = function.arity();
    if !arity.contains(&args.len()) {
        let wanted = match (arity.start(), arity.end()) {
            (low, &usize::MAX) => format!("at least {low} arguments"),
            (1, 1) => "1 argument".to_owned(),
            (n, _) => format!("{n} arguments"),
        };
        let problem = format!("{name} takes {wanted}, not {}", args.len());
        return fail_at(input, start, Problem::Invalid(problem));
    }
    Ok(Expr::Call(function, args))
}

/// `[c1, c2, ...]` of strings, numbers, booleans and `null`.
fn array(input: &mut &str) -> PResult<Vec<Value>> {
    ws(input)?;
    let start = input.checkpoint();
    if opt(("(", keyword("SELECT"))).parse_next(input)?.is_some() {
        return fail_at(input, &start, Problem::Unsupported("a subquery"));
    }
    symbol("[").parse_next(input)?;
    if opt(symbol("]")).parse_next(input)?.is_some() {
        return Ok(Vec::new());
    }
    let constant = cut_err(constant).context(Problem::Expected(
        "a constant: a string, number, true, false or null",
    ));
    let items = separated(1.., constant, symbol(",")).parse_next(input)?;
    cut_err(symbol("]"))
        .context(Problem::Expected("`,` or `]`"))
        .parse_next(input)?;
    Ok(items)
}

fn constant(input: &mut &str) -> PResult<Value> {
    ws(input)?;
    let start = input.checkpoint();
    match unary(input, MAX_NESTING - 1)? {
        Expr::Constant(Some(value)) => Ok(value),
        _ => {
            input.reset(&start);
            backtrack()
        }
    }
}

/// A plain failure: the caller's context says what was expected there.
fn backtrack<T>() -> PResult<T> {
    Err(ErrMode::Backtrack(ContextError::new()))
}

/// Fails when `depth` is past [`MAX_NESTING`].
fn deeper(input: &mut &str, depth: usize) -> PResult<()> {
    if depth <= MAX_NESTING {
        return Ok(());
    }
    ws(input)?;
    let here = input.checkpoint();
    let problem = format!("the expression nests more than {MAX_NESTING} levels deep");
    fail_at(input, &here, Problem::Invalid(problem))
}
