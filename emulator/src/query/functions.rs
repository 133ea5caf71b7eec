//! Functions usable in `WHERE` (spec §6.2).
//!
//! Twin queries document only `IS_DEFINED`. The rest are the message-routing functions, which
//! the emulator also accepts in twin queries as a documented extension (whether the real hub
//! does is UNCONFIRMED, so clients must not rely on them). Semantics follow the routing docs
//! and DocumentDB: a wrong argument type gives `undefined`, which filters the row; strings are
//! indexed by character.

use std::ops::RangeInclusive;

use serde_json::{Number, Value};

use super::ast::Constant;

/// A function of the query language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Function {
    /// `IS_DEFINED(x)`: whether `x` has a value, `null` included.
    IsDefined,
    /// `IS_NULL(x)`.
    IsNull,
    /// `IS_BOOL(x)`.
    IsBool,
    /// `IS_NUMBER(x)`.
    IsNumber,
    /// `IS_STRING(x)`.
    IsString,
    /// `IS_ARRAY(x)`.
    IsArray,
    /// `IS_OBJECT(x)`.
    IsObject,
    /// `IS_PRIMITIVE(x)`: null, boolean, number or string.
    IsPrimitive,
    /// `AS_NUMBER(x)`: a number, or a string holding one.
    AsNumber,
    /// `ABS(n)`.
    Abs,
    /// `CEILING(n)`.
    Ceiling,
    /// `FLOOR(n)`.
    Floor,
    /// `SIGN(n)`: -1, 0 or 1.
    Sign,
    /// `SQRT(n)`.
    Sqrt,
    /// `SQUARE(n)`.
    Square,
    /// `EXP(n)`.
    Exp,
    /// `POWER(n, e)`.
    Power,
    /// `CONCAT(s1, s2, ...)`.
    Concat,
    /// `LENGTH(s)`: characters.
    Length,
    /// `LOWER(s)`.
    Lower,
    /// `UPPER(s)`.
    Upper,
    /// `SUBSTRING(s, start, length)`, zero-based.
    Substring,
    /// `INDEX_OF(s, part)`: zero-based, -1 when absent.
    IndexOf,
    /// `STARTSWITH(s, prefix)` (also `STARTS_WITH`).
    StartsWith,
    /// `ENDSWITH(s, suffix)` (also `ENDS_WITH`).
    EndsWith,
    /// `CONTAINS(s, part)`.
    Contains,
}

const NAMES: &[(&str, Function)] = &[
    ("IS_DEFINED", Function::IsDefined),
    ("IS_NULL", Function::IsNull),
    ("IS_BOOL", Function::IsBool),
    ("IS_NUMBER", Function::IsNumber),
    ("IS_STRING", Function::IsString),
    ("IS_ARRAY", Function::IsArray),
    ("IS_OBJECT", Function::IsObject),
    ("IS_PRIMITIVE", Function::IsPrimitive),
    ("AS_NUMBER", Function::AsNumber),
    ("ABS", Function::Abs),
    ("CEILING", Function::Ceiling),
    ("FLOOR", Function::Floor),
    ("SIGN", Function::Sign),
    ("SQRT", Function::Sqrt),
    ("SQUARE", Function::Square),
    ("EXP", Function::Exp),
    ("POWER", Function::Power),
    ("CONCAT", Function::Concat),
    ("LENGTH", Function::Length),
    ("LOWER", Function::Lower),
    ("UPPER", Function::Upper),
    ("SUBSTRING", Function::Substring),
    ("INDEX_OF", Function::IndexOf),
    ("STARTSWITH", Function::StartsWith),
    ("STARTS_WITH", Function::StartsWith),
    ("ENDSWITH", Function::EndsWith),
    ("ENDS_WITH", Function::EndsWith),
    ("CONTAINS", Function::Contains),
];

impl Function {
    /// The function named `name`, in any case.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, f)| *f)
    }

    /// How many arguments it takes.
    pub(crate) fn arity(self) -> RangeInclusive<usize> {
        match self {
            Function::Power
            | Function::IndexOf
            | Function::StartsWith
            | Function::EndsWith
            | Function::Contains => 2..=2,
            Function::Substring => 3..=3,
            Function::Concat => 2..=usize::MAX,
            _ => 1..=1,
        }
    }

    /// The result for `args` (as many as [`Function::arity`] allows).
    pub(crate) fn call(self, args: &[Option<&Value>]) -> Constant {
        use Function as F;
        let first = args.first().copied().flatten();
        let text = |i: usize| args.get(i).copied().flatten().and_then(Value::as_str);
        let number = |i: usize| args.get(i).copied().flatten().and_then(Value::as_f64);
        match self {
            F::IsDefined => Some(Value::Bool(first.is_some())),
            F::IsNull => Some(Value::Bool(first.is_some_and(Value::is_null))),
            F::IsBool => Some(Value::Bool(first.is_some_and(Value::is_boolean))),
            F::IsNumber => Some(Value::Bool(first.is_some_and(Value::is_number))),
            F::IsString => Some(Value::Bool(first.is_some_and(Value::is_string))),
            F::IsArray => Some(Value::Bool(first.is_some_and(Value::is_array))),
            F::IsObject => Some(Value::Bool(first.is_some_and(Value::is_object))),
            F::IsPrimitive => Some(Value::Bool(
                first.is_some_and(|v| !v.is_array() && !v.is_object()),
            )),
            F::AsNumber => match first? {
                Value::Number(n) => Some(Value::Number(n.clone())),
                Value::String(s) => s.trim().parse::<Number>().ok().map(Value::Number),
                _ => None,
            },
            F::Abs => float(number(0)?.abs()),
            F::Ceiling => float(number(0)?.ceil()),
            F::Floor => float(number(0)?.floor()),
            F::Sign => float(sign(number(0)?)),
            F::Sqrt => float(number(0)?.sqrt()),
            F::Square => float(number(0)?.powi(2)),
            F::Exp => float(number(0)?.exp()),
            F::Power => float(number(0)?.powf(number(1)?)),
            F::Concat => {
                let parts: Option<Vec<&str>> = (0..args.len()).map(text).collect();
                Some(Value::String(parts?.concat()))
            }
            F::Length => Some(Value::from(text(0)?.chars().count())),
            F::Lower => Some(Value::String(text(0)?.to_lowercase())),
            F::Upper => Some(Value::String(text(0)?.to_uppercase())),
            F::Substring => substring(text(0)?, number(1)?, number(2)?),
            F::IndexOf => Some(Value::from(index_of(text(0)?, text(1)?))),
            F::StartsWith => Some(Value::Bool(text(0)?.starts_with(text(1)?))),
            F::EndsWith => Some(Value::Bool(text(0)?.ends_with(text(1)?))),
            F::Contains => Some(Value::Bool(text(0)?.contains(text(1)?))),
        }
    }
}

/// A float result; integral values become JSON integers, non-finite ones `undefined`.
pub(crate) fn float(x: f64) -> Constant {
    // Within ±2^53 every integral f64 is exactly an i64.
    if x.fract() == 0.0 && x.abs() < 9_007_199_254_740_992.0 {
        return Some(Value::from(x as i64));
    }
    Number::from_f64(x).map(Value::Number)
}

fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

fn substring(text: &str, start: f64, length: f64) -> Constant {
    if start.fract() != 0.0 || length.fract() != 0.0 {
        return None;
    }
    // Saturating float-to-int casts: huge or negative bounds clamp instead of wrapping.
    let start = start.max(0.0) as usize;
    let length = length.max(0.0) as usize;
    Some(Value::String(
        text.chars().skip(start).take(length).collect(),
    ))
}

fn index_of(text: &str, part: &str) -> i64 {
    text.find(part)
        .map_or(-1, |byte| text[..byte].chars().count() as i64)
}
