//! The parsed form of a twin query (spec §6.1, §6.2).

use serde_json::Value;

use super::functions::Function;
use super::paths::FieldPath;

/// `SELECT [TOP n] <selection> FROM <collection> [WHERE <filter>] [GROUP BY <paths>]`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Query {
    /// `TOP n`: at most this many results in all (before paging).
    pub top: Option<u64>,
    /// What each result holds.
    pub selection: Selection,
    /// Which twins are read.
    pub collection: Collection,
    /// `WHERE`.
    pub filter: Option<Expr>,
    /// `GROUP BY`.
    pub group_by: Vec<FieldPath>,
}

/// The `SELECT` list.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Selection {
    /// `*`: whole twins.
    All,
    /// Projected properties and aggregates.
    Items(Vec<SelectItem>),
}

/// One entry of the `SELECT` list.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SelectItem {
    /// What is computed.
    pub value: Projection,
    /// `AS alias`.
    pub alias: Option<String>,
}

/// A projected property or an aggregate.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Projection {
    /// A property path.
    Path(FieldPath),
    /// `COUNT()`, or `AVG`/`SUM`/`MIN`/`MAX` of a path.
    Aggregate(Aggregate, Option<FieldPath>),
}

/// The aggregate functions of the `SELECT` list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Aggregate {
    /// `COUNT()`: rows in the group.
    Count,
    /// `AVG(path)`: mean of the numbers.
    Avg,
    /// `SUM(path)`: sum of the numbers.
    Sum,
    /// `MIN(path)`: smallest number or string.
    Min,
    /// `MAX(path)`: largest number or string.
    Max,
}

impl Aggregate {
    /// The aggregate named `name` (any case).
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        [
            ("COUNT", Self::Count),
            ("AVG", Self::Avg),
            ("SUM", Self::Sum),
            ("MIN", Self::Min),
            ("MAX", Self::Max),
        ]
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, aggregate)| aggregate)
    }
}

/// `FROM ...`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Collection {
    /// `devices`: device twins.
    Devices,
    /// `devices.modules`: module twins.
    Modules,
    /// `devices.jobs`: one row per device of each job.
    Jobs,
}

/// A constant or computed value; `None` is `undefined`.
pub(crate) type Constant = Option<Value>;

/// An expression of the `WHERE` clause.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Expr {
    /// `undefined`, `null`, a number, string or boolean.
    Constant(Constant),
    /// A property of the twin.
    Path(FieldPath),
    /// `NOT e`.
    Not(Box<Expr>),
    /// `-e`.
    Negate(Box<Expr>),
    /// `e1 AND e2 AND ...` (two or more operands).
    And(Vec<Expr>),
    /// `e1 OR e2 OR ...` (two or more operands).
    Or(Vec<Expr>),
    /// `a <op> b`.
    Compare(Box<Expr>, Comparison, Box<Expr>),
    /// `first <op> e2 <op> e3 ...`, left to right.
    Arithmetic(Box<Expr>, Vec<(Arithmetic, Expr)>),
    /// `e IN [...]`, or `e NIN [...]` when `negated`.
    In {
        /// The tested value.
        value: Box<Expr>,
        /// The array constant.
        list: Vec<Value>,
        /// `NIN`.
        negated: bool,
    },
    /// A function call, arity already checked.
    Call(Function, Vec<Expr>),
}

/// `= != <> < > <= >=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Comparison {
    /// `=`.
    Equal,
    /// `!=` or `<>`.
    NotEqual,
    /// `<`.
    Less,
    /// `<=`.
    LessOrEqual,
    /// `>`.
    Greater,
    /// `>=`.
    GreaterOrEqual,
}

/// `+ - * / %`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Arithmetic {
    /// `+`.
    Add,
    /// `-`.
    Subtract,
    /// `*`.
    Multiply,
    /// `/`.
    Divide,
    /// `%`.
    Remainder,
}
