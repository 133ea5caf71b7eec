//! Evaluating `WHERE` expressions over one twin, with IoT Hub's (DocumentDB-style) semantics
//! (spec §6.2):
//!
//! * a value is a JSON value or *undefined* (a missing property, a wrong-typed operation);
//! * a row passes only when the filter is the boolean `true`;
//! * comparisons are between primitives of the same type only: numbers numerically, strings
//!   ordinally, booleans and `null` with `=`/`!=` only; anything else, undefined included, is
//!   undefined — so `!=` against a missing property filters the row too;
//! * `AND`/`OR`/`NOT` are three-valued: `false AND undefined` is `false`, `true OR undefined` is
//!   `true`, everything else involving a non-boolean is undefined;
//! * arithmetic works on numbers only; division or remainder by zero is undefined.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::{Number, Value};

use super::ast::{Arithmetic, Comparison, Constant, Expr};
use super::paths::Resolve;

/// A value during evaluation; `None` is undefined.
pub(crate) type Val<'a> = Option<Cow<'a, Value>>;

/// Whether `filter` is `true` for `twin`.
pub(crate) fn passes<'a>(filter: &'a Expr, twin: impl Resolve<'a>) -> bool {
    matches!(eval(filter, twin).as_deref(), Some(Value::Bool(true)))
}

/// The value of `expr` for `twin`.
pub(crate) fn eval<'a>(expr: &'a Expr, twin: impl Resolve<'a>) -> Val<'a> {
    match expr {
        Expr::Constant(constant) => constant.as_ref().map(Cow::Borrowed),
        Expr::Path(path) => twin.resolve(path),
        Expr::Not(operand) => boolean(!truth(&eval(operand, twin))?),
        Expr::Negate(operand) => owned(negate(eval(operand, twin)?.as_ref())),
        Expr::And(operands) => all(operands, twin, false),
        Expr::Or(operands) => all(operands, twin, true),
        Expr::Compare(left, op, right) => {
            let left = eval(left, twin)?;
            let right = eval(right, twin)?;
            boolean(compare(*op, &left, &right)?)
        }
        Expr::Arithmetic(first, rest) => {
            let mut acc = eval(first, twin)?;
            for (op, operand) in rest {
                let right = eval(operand, twin)?;
                acc = Cow::Owned(arithmetic(*op, &acc, &right)?);
            }
            Some(acc)
        }
        Expr::In {
            value,
            list,
            negated,
        } => {
            let value = eval(value, twin)?;
            if value.is_array() || value.is_object() {
                return None;
            }
            let found = list.iter().any(|item| equal(&value, item));
            boolean(found != *negated)
        }
        Expr::Call(function, args) => {
            let values: Vec<Val<'a>> = args.iter().map(|arg| eval(arg, twin)).collect();
            let refs: Vec<Option<&Value>> = values.iter().map(Option::as_deref).collect();
            owned(function.call(&refs))
        }
    }
}

/// `AND` (`decisive` = false) or `OR` (`decisive` = true): one decisive operand decides; all
/// operands the other boolean give that boolean; otherwise undefined.
fn all<'a>(operands: &'a [Expr], twin: impl Resolve<'a>, decisive: bool) -> Val<'a> {
    let mut undecided = false;
    for operand in operands {
        match truth(&eval(operand, twin)) {
            Some(b) if b == decisive => return boolean(decisive),
            Some(_) => {}
            None => undecided = true,
        }
    }
    if undecided { None } else { boolean(!decisive) }
}

fn truth(value: &Val<'_>) -> Option<bool> {
    value.as_deref().and_then(Value::as_bool)
}

fn boolean<'a>(b: bool) -> Val<'a> {
    Some(Cow::Owned(Value::Bool(b)))
}

fn owned<'a>(value: Constant) -> Val<'a> {
    value.map(Cow::Owned)
}

/// `left <op> right` for defined operands; `None` (undefined) across types.
pub(crate) fn compare(op: Comparison, left: &Value, right: &Value) -> Option<bool> {
    let equality = matches!(op, Comparison::Equal | Comparison::NotEqual);
    let ordering = match (left, right) {
        (Value::Number(a), Value::Number(b)) => compare_numbers(a, b)?,
        (Value::String(a), Value::String(b)) if equality => a.cmp(b),
        // Ordinal in UTF-16 code units, as the hub's .NET string comparison orders them.
        (Value::String(a), Value::String(b)) => a.encode_utf16().cmp(b.encode_utf16()),
        (Value::Bool(a), Value::Bool(b)) if equality => a.cmp(b),
        (Value::Null, Value::Null) if equality => Ordering::Equal,
        _ => return None,
    };
    Some(match op {
        Comparison::Equal => ordering == Ordering::Equal,
        Comparison::NotEqual => ordering != Ordering::Equal,
        Comparison::Less => ordering == Ordering::Less,
        Comparison::LessOrEqual => ordering != Ordering::Greater,
        Comparison::Greater => ordering == Ordering::Greater,
        Comparison::GreaterOrEqual => ordering != Ordering::Less,
    })
}

/// Equal primitives of the same type (the test of `IN`).
pub(crate) fn equal(left: &Value, right: &Value) -> bool {
    compare(Comparison::Equal, left, right) == Some(true)
}

/// Numbers compare exactly when both are integers, as floats otherwise.
pub(crate) fn compare_numbers(a: &Number, b: &Number) -> Option<Ordering> {
    match (integer(a), integer(b)) {
        (Some(a), Some(b)) => Some(a.cmp(&b)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

fn integer(n: &Number) -> Option<i128> {
    n.as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
}

/// `-value` for a number; `None` (undefined) for anything else.
pub(crate) fn negate(value: &Value) -> Constant {
    let n = value.as_number()?;
    if let Some(negated) = n.as_i64().and_then(i64::checked_neg) {
        return Some(Value::from(negated));
    }
    Number::from_f64(-n.as_f64()?).map(Value::Number)
}

/// `left <op> right` on numbers: exact on integers while it fits, floating-point otherwise.
fn arithmetic(op: Arithmetic, left: &Value, right: &Value) -> Constant {
    let (Value::Number(a), Value::Number(b)) = (left, right) else {
        return None;
    };
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        let exact = match op {
            Arithmetic::Add => x.checked_add(y),
            Arithmetic::Subtract => x.checked_sub(y),
            Arithmetic::Multiply => x.checked_mul(y),
            Arithmetic::Divide if x.checked_rem(y) == Some(0) => x.checked_div(y),
            Arithmetic::Divide => None,
            Arithmetic::Remainder => x.checked_rem(y),
        };
        if let Some(result) = exact {
            return Some(Value::from(result));
        }
    }
    let (x, y) = (a.as_f64()?, b.as_f64()?);
    let result = match op {
        Arithmetic::Add => x + y,
        Arithmetic::Subtract => x - y,
        Arithmetic::Multiply => x * y,
        Arithmetic::Divide | Arithmetic::Remainder if y == 0.0 => return None,
        Arithmetic::Divide => x / y,
        Arithmetic::Remainder => x % y,
    };
    Number::from_f64(result).map(Value::Number)
}
