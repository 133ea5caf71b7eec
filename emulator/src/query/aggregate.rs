//! `GROUP BY` and the aggregates `COUNT AVG SUM MIN MAX` (spec §6.1, §6.3).
//!
//! Groups come out in the order their first twin has in the registry (device id, then module
//! id), so results and paging are deterministic. A twin whose group path is undefined falls
//! in the "undefined" group, whose key is left out of its result object.
//!
//! DocumentDB-style choices (the hub's are UNCONFIRMED): `SUM` and `AVG` use the numbers and
//! skip other values; `SUM` of no number is 0, `AVG` of none is undefined (left out);
//! `MIN`/`MAX` order `null < false < true < numbers < strings` and skip objects and arrays.
//! Without `GROUP BY` an aggregate query gives exactly one object, even over no twins.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::HashMap;

use serde_json::{Map, Number, Value};

use super::ast::Aggregate;
use super::eval::compare_numbers;
use super::functions::float;
use super::paths::{FieldPath, TwinView};
use super::select::{Column, ColumnValue};

/// Up to this many groups a new key is looked up by comparing values; past it, by an index
/// of key texts (comparing avoids allocating a text per twin, the common case of few groups).
const LINEAR_GROUPS: usize = 32;

/// The grouped results of `twins` (already filtered), one object per group.
pub(crate) fn group<'a>(
    columns: &[Column],
    group_by: &[FieldPath],
    twins: impl Iterator<Item = TwinView<'a>>,
) -> Vec<Value> {
    let mut groups: Vec<Group> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    if group_by.is_empty() {
        groups.push(Group::new(Vec::new(), columns));
    }
    for twin in twins {
        let key: Vec<Option<Cow<'_, Value>>> =
            group_by.iter().map(|path| twin.resolve(path)).collect();
        let found = if groups.len() <= LINEAR_GROUPS {
            groups.iter().position(|group| group.has_key(&key))
        } else {
            if index.is_empty() {
                index = (groups.iter().enumerate())
                    .map(|(slot, group)| (signature(group.key.iter().map(Option::as_ref)), slot))
                    .collect();
            }
            index
                .get(&signature(key.iter().map(Option::as_deref)))
                .copied()
        };
        let slot = found.unwrap_or_else(|| {
            let owned: Vec<Option<Value>> = key.iter().map(|v| v.as_deref().cloned()).collect();
            if !index.is_empty() {
                index.insert(signature(owned.iter().map(Option::as_ref)), groups.len());
            }
            groups.push(Group::new(owned, columns));
            groups.len() - 1
        });
        groups[slot].add(columns, twin);
    }
    groups.iter().map(|g| g.result(columns)).collect()
}

/// A text that tells group keys apart (`undefined` differs from `null`).
fn signature<'v>(key: impl Iterator<Item = Option<&'v Value>>) -> String {
    key.map(|part| part.map_or_else(|| "~".to_owned(), Value::to_string))
        .collect::<Vec<_>>()
        .join("\u{0}")
}

struct Group {
    key: Vec<Option<Value>>,
    accumulators: Vec<Accumulator>,
}

#[derive(Default)]
struct Accumulator {
    count: u64,
    /// Exact integer sum while every number so far was an integer and it fits.
    integer_sum: Option<i128>,
    float_sum: f64,
    numbers: u64,
    extreme: Option<Value>,
}

impl Group {
    fn has_key(&self, key: &[Option<Cow<'_, Value>>]) -> bool {
        self.key
            .iter()
            .zip(key)
            .all(|(mine, theirs)| mine.as_ref() == theirs.as_deref())
    }

    fn new(key: Vec<Option<Value>>, columns: &[Column]) -> Self {
        let accumulators = columns
            .iter()
            .map(|_| Accumulator {
                integer_sum: Some(0),
                ..Accumulator::default()
            })
            .collect();
        Self { key, accumulators }
    }

    fn add(&mut self, columns: &[Column], twin: TwinView<'_>) {
        for (column, acc) in columns.iter().zip(&mut self.accumulators) {
            let ColumnValue::Aggregate(aggregate, argument) = &column.value else {
                continue;
            };
            acc.count += 1;
            let Some(value) = argument.as_ref().and_then(|path| twin.resolve(path)) else {
                continue;
            };
            match aggregate {
                Aggregate::Count => {}
                Aggregate::Sum | Aggregate::Avg => acc.add_number(&value),
                Aggregate::Min => acc.keep_extreme(&value, Ordering::Less),
                Aggregate::Max => acc.keep_extreme(&value, Ordering::Greater),
            }
        }
    }

    fn result(&self, columns: &[Column]) -> Value {
        let mut out = Map::new();
        for (column, acc) in columns.iter().zip(&self.accumulators) {
            let value = match &column.value {
                ColumnValue::GroupKey(i) => self.key.get(*i).cloned().flatten(),
                ColumnValue::Aggregate(aggregate, _) => acc.result(*aggregate),
                ColumnValue::Path(_) => None,
            };
            if let Some(value) = value {
                out.insert(column.name.clone(), value);
            }
        }
        Value::Object(out)
    }
}

impl Accumulator {
    fn add_number(&mut self, value: &Value) {
        let Value::Number(n) = value else { return };
        self.numbers += 1;
        self.float_sum += n.as_f64().unwrap_or(0.0);
        let exact = n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from));
        self.integer_sum = match (self.integer_sum, exact) {
            (Some(sum), Some(x)) => sum.checked_add(x),
            _ => None,
        };
    }

    fn keep_extreme(&mut self, value: &Value, wanted: Ordering) {
        if value.is_array() || value.is_object() {
            return;
        }
        let better = match &self.extreme {
            None => true,
            Some(current) => order(value, current) == wanted,
        };
        if better {
            self.extreme = Some(value.clone());
        }
    }

    fn result(&self, aggregate: Aggregate) -> Option<Value> {
        match aggregate {
            Aggregate::Count => Some(Value::from(self.count)),
            Aggregate::Sum => match self.integer_sum {
                Some(sum) => i64::try_from(sum)
                    .map(Value::from)
                    .ok()
                    .or_else(|| Number::from_f64(self.float_sum).map(Value::Number)),
                None => Number::from_f64(self.float_sum).map(Value::Number),
            },
            Aggregate::Avg if self.numbers == 0 => None,
            Aggregate::Avg => float(self.float_sum / self.numbers as f64),
            Aggregate::Min | Aggregate::Max => self.extreme.clone(),
        }
    }
}

/// `null < false < true < numbers < strings`.
fn order(a: &Value, b: &Value) -> Ordering {
    fn rank(v: &Value) -> u8 {
        match v {
            Value::Null => 0,
            Value::Bool(_) => 1,
            Value::Number(_) => 2,
            _ => 3,
        }
    }
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Number(x), Value::Number(y)) => compare_numbers(x, y).unwrap_or(Ordering::Equal),
        (Value::String(x), Value::String(y)) => x.encode_utf16().cmp(y.encode_utf16()),
        _ => rank(a).cmp(&rank(b)),
    }
}
