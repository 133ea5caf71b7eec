//! The IoT Hub query language for twins (spec §6) and its paging (§4.4): pure functions over a
//! [`Registry`], which `POST /devices/query` calls under the store's read lock.
//!
//! ```
//! # use iothub_twin_emulator::query;
//! # use iothub_twin_emulator::registry::Registry;
//! let registry = Registry::default();
//! let query = query::prepare("SELECT COUNT() AS total FROM devices")?;
//! let page = query.page(&registry, 100, None)?;
//! assert_eq!(page.items, vec![serde_json::json!({"total": 0})]);
//! assert_eq!(page.continuation, None);
//! # Ok::<_, iothub_twin_emulator::HubError>(())
//! ```
//!
//! **Parser.** Written with `winnow`, a well-kept parser-combinator crate (the toml_edit
//! parser's), rather than `sqlparser` with a custom dialect: the twin grammar is a small SQL
//! dialect whose lexical rules no SQL dialect has — `[[escaped]]` names, `NIN`, both quote
//! styles for strings with `\uXXXX` escapes, `0x` numbers, `undefined` — and whose result we
//! need as our own tree anyway. With combinators the grammar reads as it does in the spec,
//! the byte offset of any failure is known (errors name line and column), and nesting is
//! bounded so that no input can overflow the stack.
//!
//! **Evaluation** follows the rules in `query/eval.rs`, over `paths::TwinView`, which reads
//! the same values `GET /twins` renders.
//!
//! **Paging.** The page size is the `x-ms-max-item-count` header, 100 when absent and at most
//! [`MAX_PAGE_SIZE`] (100, the current docs' maximum; larger requests get 100 — "the service
//! may use a different value", and clients follow the continuation token either way). `TOP`
//! limits the results over all pages. See `query/paging.rs` for the tokens.

mod aggregate;
mod ast;
pub mod condition;
mod eval;
mod functions;
mod paging;
mod parser;
mod paths;
mod select;

use serde_json::Value;

use crate::error::HubError;
use crate::registry::Registry;
use ast::Query;
use paging::Cursor;
use select::Shape;

/// The longest query accepted, in characters (spec §6.1).
pub const MAX_QUERY_CHARS: usize = 8192;
/// The largest page.
pub const MAX_PAGE_SIZE: usize = 100;

/// Twins scanned in order before a scan may go parallel.
const SEQUENTIAL_PREFIX: usize = 4_096;
/// Fleets at least this large are scanned on several threads past the prefix.
const PARALLEL_SCAN_FROM: usize = 20_000;
/// The page size when the request names none.
pub const DEFAULT_PAGE_SIZE: usize = 100;

/// What the items of a result are, as `x-ms-item-type` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemType {
    /// Whole twins (`SELECT *`).
    Twin,
    /// Projections and aggregates.
    Raw,
    /// `devices.jobs` rows.
    DeviceJob,
}

impl ItemType {
    /// The header value: PascalCase, which C# parses case-sensitively (spec §4.4).
    pub fn as_str(self) -> &'static str {
        match self {
            ItemType::Twin => "Twin",
            ItemType::Raw => "Raw",
            ItemType::DeviceJob => "DeviceJob",
        }
    }
}

/// One page of results.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryPage {
    /// The results.
    pub items: Vec<Value>,
    /// What they are.
    pub item_type: ItemType,
    /// The token for the next page; `None` on the last page.
    pub continuation: Option<String>,
}

/// A parsed and checked query, ready to run page by page.
#[derive(Clone, Debug)]
pub struct PreparedQuery {
    query: Query,
    shape: Shape,
    hash: String,
}

/// Parses and checks `text`. Errors are `400 ArgumentNull` for an empty query and
/// `400 ArgumentInvalid` naming the position for anything else.
pub fn prepare(text: &str) -> Result<PreparedQuery, HubError> {
    if text.trim().is_empty() {
        return Err(HubError::new(
            iothub_twin::ErrorCode::ArgumentNull,
            "BadRequest",
        ));
    }
    let length = text.chars().count();
    if length > MAX_QUERY_CHARS {
        return Err(HubError::invalid(format!(
            "the query is {length} characters long; the limit is {MAX_QUERY_CHARS}"
        )));
    }
    let query = parser::parse(text)?;
    let shape = select::plan(&query)?;
    if query.collection == ast::Collection::Jobs && shape != Shape::Twins {
        return Err(HubError::invalid(
            "FROM devices.jobs takes SELECT * only in this emulator (no projections, \
             aggregates or GROUP BY over job rows)",
        ));
    }
    Ok(PreparedQuery {
        query,
        shape,
        hash: paging::query_hash(text),
    })
}

/// A job's `queryCondition`: a `WHERE` clause over device twins, checked as the query
/// `SELECT * FROM devices WHERE <condition>` (positions in errors count from `SELECT`).
pub fn prepare_condition(condition: &str) -> Result<PreparedQuery, HubError> {
    if condition.trim().is_empty() {
        return Err(HubError::new(
            iothub_twin::ErrorCode::ArgumentNull,
            "the job's queryCondition is empty",
        ));
    }
    prepare(&format!("SELECT * FROM devices WHERE {condition}"))
}

impl PreparedQuery {
    /// `Twin` for `SELECT *`, `Raw` otherwise.
    pub fn item_type(&self) -> ItemType {
        if self.query.collection == ast::Collection::Jobs {
            return ItemType::DeviceJob;
        }
        match self.shape {
            Shape::Twins => ItemType::Twin,
            Shape::Projection(_) | Shape::Groups(_) => ItemType::Raw,
        }
    }

    /// The page of up to `page_size` results (clamped to 1..=[`MAX_PAGE_SIZE`]) that follows
    /// `continuation` (the first page when `None`).
    pub fn page(
        &self,
        registry: &Registry,
        page_size: usize,
        continuation: Option<&str>,
    ) -> Result<QueryPage, HubError> {
        let cursor = match continuation {
            Some(token) => paging::decode(&self.hash, token)?,
            None => Cursor::default(),
        };
        let page_size = page_size.clamp(1, MAX_PAGE_SIZE);
        let (items, next) = match &self.shape {
            _ if self.query.collection == ast::Collection::Jobs => {
                self.page_of_job_rows(registry, page_size, cursor)
            }
            Shape::Groups(columns) => {
                let twins = self.matches(registry, &Cursor::default(), usize::MAX);
                let results = aggregate::group(columns, &self.query.group_by, twins.into_iter());
                page_of_groups(results, self.query.top, page_size, cursor)
            }
            _ => self.page_of_twins(registry, page_size, cursor),
        };
        Ok(QueryPage {
            items,
            item_type: self.item_type(),
            continuation: next.map(|cursor| paging::encode(&self.hash, cursor)),
        })
    }

    /// Every result, following continuations (tests and benchmarks).
    pub fn all(&self, registry: &Registry) -> Result<Vec<Value>, HubError> {
        let mut items = Vec::new();
        let mut token = None;
        loop {
            let page = self.page(registry, MAX_PAGE_SIZE, token.as_deref())?;
            items.extend(page.items);
            match page.continuation {
                Some(next) => token = Some(next),
                None => return Ok(items),
            }
        }
    }

    /// The ids of the devices that pass the filter, in id order (a job's targets; the query
    /// reads `FROM devices`).
    pub fn matching_device_ids(&self, registry: &Registry) -> Vec<String> {
        self.matches(registry, &Cursor::default(), usize::MAX)
            .into_iter()
            .filter(|twin| twin.identity.module_id.is_none())
            .map(|twin| twin.identity.device_id.clone())
            .collect()
    }

    fn passes(&self, twin: paths::TwinView<'_>) -> bool {
        self.query
            .filter
            .as_ref()
            .is_none_or(|filter| eval::passes(filter, twin))
    }

    /// The first `wanted` twins after `cursor` that pass the filter.
    ///
    /// A scan of a large fleet is bound by memory latency (a few cache misses per twin). The
    /// first [`SEQUENTIAL_PREFIX`] twins are scanned in order, which answers dense queries (and
    /// their pages) at once; if that is not enough and the fleet holds at least
    /// [`PARALLEL_SCAN_FROM`] twins, the rest is filtered on the machine's cores, each over a
    /// contiguous slice in key order, and the slices' matches are joined in order.
    fn matches<'r>(
        &self,
        registry: &'r Registry,
        cursor: &Cursor,
        wanted: usize,
    ) -> Vec<paths::TwinView<'r>> {
        let mut twins = paging::twins_after(registry, self.query.collection, cursor);
        let mut found = Vec::new();
        if wanted == 0 {
            return found;
        }
        for twin in twins.by_ref().take(SEQUENTIAL_PREFIX) {
            if self.passes(twin) {
                found.push(twin);
                if found.len() == wanted {
                    return found;
                }
            }
        }
        let wanted = wanted - found.len();
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(4);
        if threads < 2 || registry.devices.len() < PARALLEL_SCAN_FROM {
            found.extend(twins.filter(|twin| self.passes(*twin)).take(wanted));
            return found;
        }
        let rest: Vec<paths::TwinView<'r>> = twins.collect();
        let chunk = rest.len().div_ceil(threads).max(1);
        std::thread::scope(|scope| {
            let parts: Vec<_> = rest
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        part.iter()
                            .copied()
                            .filter(|twin| self.passes(*twin))
                            .take(wanted)
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            let joined = parts
                .into_iter()
                .flat_map(|part| part.join().unwrap_or_default());
            found.extend(joined.take(wanted));
        });
        found
    }

    /// Results `TOP` still allows after `cursor`, and how many of them this page takes.
    fn page_limit(&self, cursor: &Cursor, page_size: usize) -> (u64, usize) {
        let remaining = self
            .query
            .top
            .map_or(u64::MAX, |top| top.saturating_sub(cursor.returned));
        (remaining, remaining.min(page_size as u64) as usize)
    }

    /// A page of `devices.jobs` rows (each job's targets, jobs in id order): the cursor counts
    /// the rows returned so far.
    fn page_of_job_rows(
        &self,
        registry: &Registry,
        page_size: usize,
        cursor: Cursor,
    ) -> (Vec<Value>, Option<Cursor>) {
        let (remaining, limit) = self.page_limit(&cursor, page_size);
        let mut rows = registry
            .jobs
            .values()
            .flat_map(|job| job.device_rows())
            .filter(|row| {
                self.query
                    .filter
                    .as_ref()
                    .is_none_or(|filter| eval::passes(filter, paths::JobRowView(row)))
            })
            .skip(cursor.returned as usize);
        let items: Vec<Value> = rows.by_ref().take(limit).collect();
        let more = (items.len() as u64) < remaining && rows.next().is_some();
        let next = more.then(|| Cursor {
            returned: cursor.returned + items.len() as u64,
            ..Cursor::default()
        });
        (items, next)
    }

    /// The page after `cursor`. It fetches one match more than it returns, to know whether a
    /// next page exists, so that the last page carries no continuation.
    fn page_of_twins(
        &self,
        registry: &Registry,
        page_size: usize,
        cursor: Cursor,
    ) -> (Vec<Value>, Option<Cursor>) {
        let (remaining, limit) = self.page_limit(&cursor, page_size);
        // No look-ahead when TOP ends the results with this page.
        let look_ahead = usize::from((limit as u64) < remaining);
        let mut matches = self.matches(registry, &cursor, limit + look_ahead);
        let more = matches.len() > limit;
        matches.truncate(limit);
        let items = matches
            .iter()
            .map(|twin| match &self.shape {
                Shape::Projection(columns) => select::project(columns, *twin),
                _ => twin.document(),
            })
            .collect::<Vec<_>>();
        let next = matches.last().filter(|_| more).map(|twin| Cursor {
            returned: cursor.returned + items.len() as u64,
            device_id: Some(twin.identity.device_id.clone()),
            module_id: twin.identity.module_id.clone(),
        });
        (items, next)
    }
}

/// The page of grouped `results` at the cursor's position.
fn page_of_groups(
    mut results: Vec<Value>,
    top: Option<u64>,
    page_size: usize,
    cursor: Cursor,
) -> (Vec<Value>, Option<Cursor>) {
    let total = top.map_or(results.len(), |top| results.len().min(top as usize));
    let start = (cursor.returned as usize).min(total);
    let end = (start + page_size).min(total);
    results.truncate(end);
    let items = results.split_off(start);
    let next = (end < total).then(|| Cursor {
        returned: end as u64,
        ..Cursor::default()
    });
    (items, next)
}

#[cfg(test)]
mod tests;
