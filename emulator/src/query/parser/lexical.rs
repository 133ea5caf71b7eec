//! Tokens of the query language: whitespace, keywords, names, `[[escaped]]` names, strings and
//! numbers (spec §6.1, §6.2). Every token parser skips the whitespace before it, so an error
//! offset points at the token that failed.

use serde_json::{Number, Value};
use winnow::ascii::Caseless;
use winnow::combinator::{alt, cut_err, not, opt, peek, preceded};
use winnow::prelude::*;
use winnow::token::{any, literal, one_of, take_while};

use super::{PResult, Problem, fail_at};

/// Words that are not property names unless escaped (`tags.[[group]].name`).
const RESERVED: &[&str] = &[
    "SELECT", "FROM", "WHERE", "GROUP", "BY", "AND", "OR", "NOT", "IN", "NIN", "AS", "TOP",
    "ORDER", "HAVING", "JOIN", "DISTINCT", "OFFSET", "LIMIT", "UNION", "VALUE",
];

pub(super) fn is_reserved(word: &str) -> bool {
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(word))
}

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == '$'
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

/// Whitespace (any amount, none included).
pub(super) fn ws(input: &mut &str) -> PResult<()> {
    take_while(0.., char::is_whitespace)
        .void()
        .parse_next(input)
}

/// A keyword, any case, not followed by a name character (`IN` does not match `INDEX`).
pub(super) fn keyword<'q>(word: &'static str) -> impl Parser<&'q str, (), super::Error> {
    preceded(
        ws,
        (literal(Caseless(word)), not(one_of(is_name_char))).void(),
    )
}

/// A punctuation token.
pub(super) fn symbol<'q>(text: &'static str) -> impl Parser<&'q str, (), super::Error> {
    preceded(ws, literal(text).void())
}

/// The next word, without consuming it (for "X is not supported" checks).
pub(super) fn peek_word<'q>(input: &mut &'q str) -> PResult<&'q str> {
    peek(preceded(ws, plain_name)).parse_next(input)
}

/// `[A-Za-z_$][A-Za-z0-9_$]*` (Unicode letters and digits included).
pub(super) fn plain_name<'q>(input: &mut &'q str) -> PResult<&'q str> {
    (one_of(is_name_start), take_while(0.., is_name_char))
        .take()
        .parse_next(input)
}

/// A property name: a plain name that is not reserved, or `[[any text]]`.
pub(super) fn name(input: &mut &str) -> PResult<String> {
    ws(input)?;
    let start = input.checkpoint();
    if opt(literal("[[")).parse_next(input)?.is_some() {
        let Some(end) = input.find("]]") else {
            return fail_at(
                input,
                &start,
                Problem::Expected("`]]` closing the escaped name"),
            );
        };
        let escaped = input[..end].to_owned();
        *input = &input[end + 2..];
        return Ok(escaped);
    }
    let word = plain_name.parse_next(input)?;
    if is_reserved(word) {
        return fail_at(
            input,
            &start,
            Problem::Invalid(format!(
                "`{word}` is a reserved word: write it as [[{word}]] to use it as a property name"
            )),
        );
    }
    Ok(word.to_owned())
}

/// A string in single or double quotes, with escapes `\'` `\"` `\\` `\/` `\b` `\f` `\n` `\r`
/// `\t` and `\uXXXX` (surrogate pairs combined).
pub(super) fn string(input: &mut &str) -> PResult<String> {
    ws(input)?;
    let start = input.checkpoint();
    let quote = one_of(['\'', '"']).parse_next(input)?;
    let mut text = String::new();
    loop {
        let chunk = take_while(0.., |c| c != quote && c != '\\').parse_next(input)?;
        text.push_str(chunk);
        let at = input.checkpoint();
        match opt(any).parse_next(input)? {
            None => {
                return fail_at(
                    input,
                    &start,
                    Problem::Expected("the closing quote of this string"),
                );
            }
            Some('\\') => text.push(escape(input, &at)?),
            Some(_) => return Ok(text),
        }
    }
}

/// The escape after a backslash (at `start`).
fn escape<'q>(input: &mut &'q str, start: &super::Mark<'q>) -> PResult<char> {
    let bad = Problem::Expected("an escape: \\' \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX");
    let Some(c) = opt(any).parse_next(input)? else {
        return fail_at(input, start, bad);
    };
    Ok(match c {
        '\'' | '"' | '\\' | '/' => c,
        'b' => '\u{8}',
        'f' => '\u{c}',
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        'u' => {
            let high = hex4(input, start)?;
            if !(0xD800..0xDC00).contains(&high) {
                return char::from_u32(high).map_or_else(|| fail_at(input, start, lone()), Ok);
            }
            if opt(literal("\\u")).parse_next(input)?.is_none() {
                return fail_at(input, start, lone());
            }
            let low = hex4(input, start)?;
            if !(0xDC00..0xE000).contains(&low) {
                return fail_at(input, start, lone());
            }
            let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
            return char::from_u32(code).map_or_else(|| fail_at(input, start, lone()), Ok);
        }
        _ => return fail_at(input, start, bad),
    })
}

fn lone() -> Problem {
    Problem::Invalid("a \\u escape names a lone UTF-16 surrogate".to_owned())
}

fn hex4<'q>(input: &mut &'q str, start: &super::Mark<'q>) -> PResult<u32> {
    let digits = opt(take_while(4, |c: char| c.is_ascii_hexdigit())).parse_next(input)?;
    match digits.and_then(|d| u32::from_str_radix(d, 16).ok()) {
        Some(code) => Ok(code),
        None => fail_at(input, start, Problem::Expected("four hex digits after \\u")),
    }
}

/// A number: decimal (`12`, `1.5`, `.5`, `2e3`) or hexadecimal (`0x1F`).
pub(super) fn number(input: &mut &str) -> PResult<Value> {
    ws(input)?;
    let start = input.checkpoint();
    let out_of_range = || Problem::Invalid("this number is out of range".to_owned());
    if opt(alt((literal("0x"), literal("0X"))))
        .parse_next(input)?
        .is_some()
    {
        let digits = cut_err(take_while(1.., |c: char| c.is_ascii_hexdigit()))
            .context(Problem::Expected("hex digits after 0x"))
            .parse_next(input)?;
        return match u64::from_str_radix(digits, 16) {
            Ok(n) => Ok(Value::from(n)),
            Err(_) => fail_at(input, &start, out_of_range()),
        };
    }
    let digits = || take_while(1.., |c: char| c.is_ascii_digit());
    let mantissa = alt((
        (digits(), opt(('.', opt(digits())))).void(),
        ('.', digits()).void(),
    ));
    let exponent = opt((
        one_of(['e', 'E']),
        opt(one_of(['+', '-'])),
        cut_err(digits()),
    ));
    let text = (mantissa, exponent).take().parse_next(input)?;
    let parsed = if text.contains(['.', 'e', 'E']) {
        text.parse::<f64>().ok().and_then(Number::from_f64)
    } else {
        text.parse::<u64>()
            .map(Number::from)
            .ok()
            .or_else(|| text.parse::<f64>().ok().and_then(Number::from_f64))
    };
    match parsed.filter(|n| n.as_f64().is_some_and(f64::is_finite)) {
        Some(n) => Ok(Value::Number(n)),
        None => fail_at(input, &start, out_of_range()),
    }
}
