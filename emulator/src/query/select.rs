//! The `SELECT` list: what a result looks like, and the checks that make a query meaningful.
//!
//! Result shapes (spec §6.3): `SELECT *` gives whole twins; a list of paths gives one object
//! per twin, keyed by alias or by the path's last segment, with undefined values left out
//! (UNCONFIRMED in the spec; omitting is its recommendation); a list with aggregates, or any
//! `GROUP BY`, gives one object per group. An aggregate without an alias is keyed `$1`, `$2`,
//! ... in order (DocumentDB's convention; the hub's is UNCONFIRMED).

use serde_json::{Map, Value};

use super::ast::{Aggregate, Projection, Query, Selection};
use super::paths::{FieldPath, TwinView};
use crate::error::HubError;

/// What each result of a query is.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Shape {
    /// Whole twin documents.
    Twins,
    /// One object of projected properties per twin.
    Projection(Vec<Column>),
    /// One object per group.
    Groups(Vec<Column>),
}

/// One key of a projected or grouped result.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Column {
    /// The key.
    pub name: String,
    /// Its value.
    pub value: ColumnValue,
}

/// Where a column's value comes from.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ColumnValue {
    /// A property of the twin (projections).
    Path(FieldPath),
    /// The `n`th `GROUP BY` path (grouped results).
    GroupKey(usize),
    /// An aggregate over the group.
    Aggregate(Aggregate, Option<FieldPath>),
}

/// The shape of `query`'s results, or why the query makes no sense.
pub(crate) fn plan(query: &Query) -> Result<Shape, HubError> {
    let items = match &query.selection {
        Selection::All if query.group_by.is_empty() => return Ok(Shape::Twins),
        Selection::All => {
            return Err(HubError::invalid(
                "SELECT * cannot be combined with GROUP BY: select the grouped paths and aggregates",
            ));
        }
        Selection::Items(items) => items,
    };
    let grouped = !query.group_by.is_empty()
        || items
            .iter()
            .any(|item| matches!(item.value, Projection::Aggregate(..)));
    let mut columns: Vec<Column> = Vec::with_capacity(items.len());
    let mut unnamed = 0;
    for item in items {
        let (default_name, value) =
            match &item.value {
                Projection::Path(path) if grouped => {
                    let index = query.group_by.iter().position(|g| g == path).ok_or_else(|| {
                    HubError::invalid(format!(
                        "{} is selected next to an aggregate or GROUP BY, so it must be one of \
                         the GROUP BY paths",
                        path.dotted()
                    ))
                })?;
                    (path.output_name().to_owned(), ColumnValue::GroupKey(index))
                }
                Projection::Path(path) => (
                    path.output_name().to_owned(),
                    ColumnValue::Path(path.clone()),
                ),
                Projection::Aggregate(aggregate, argument) => {
                    unnamed += usize::from(item.alias.is_none());
                    (
                        format!("${unnamed}"),
                        ColumnValue::Aggregate(*aggregate, argument.clone()),
                    )
                }
            };
        let name = item.alias.clone().unwrap_or(default_name);
        if columns.iter().any(|c| c.name == name) {
            return Err(HubError::invalid(format!(
                "two selected values are both named {name}: give one of them another name with AS"
            )));
        }
        columns.push(Column { name, value });
    }
    Ok(if grouped {
        Shape::Groups(columns)
    } else {
        Shape::Projection(columns)
    })
}

/// The projection of `twin` onto `columns` (all of them [`ColumnValue::Path`]).
pub(crate) fn project(columns: &[Column], twin: TwinView<'_>) -> Value {
    let mut out = Map::new();
    for column in columns {
        if let ColumnValue::Path(path) = &column.value
            && let Some(value) = twin.resolve(path)
        {
            out.insert(column.name.clone(), value.into_owned());
        }
    }
    Value::Object(out)
}
