//! Twin queries (spec §4.4): `POST /devices/query` page by page, or as a stream of items.
//!
//! A page is asked for with `x-ms-max-item-count` (the page size; the hub may use another) and,
//! after the first, `x-ms-continuation`. The answer is a JSON array; `x-ms-item-type` says what
//! the items are (`Twin` for `SELECT *`, `Raw` for projections and aggregates) and
//! `x-ms-continuation` is present only when more pages follow.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::Stream;
use futures::stream::{self, BoxStream, StreamExt as _};
use reqwest::Method;
use reqwest::header::{HeaderName, HeaderValue};
use serde::Serialize;
use serde_json::{Value, json};

use super::ServiceClient;
use super::client::{Call, decode};
use crate::twin::Twin;
use crate::{Error, Result};

const MAX_ITEM_COUNT: HeaderName = HeaderName::from_static("x-ms-max-item-count");
const CONTINUATION: HeaderName = HeaderName::from_static("x-ms-continuation");

/// Paging of a query.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueryOptions {
    /// Items per page (`x-ms-max-item-count`); `None` lets the hub choose.
    pub page_size: Option<u32>,
    /// Where to resume: a continuation token from an earlier page.
    pub continuation: Option<String>,
}

/// What a page's items are (`x-ms-item-type`, compared case-insensitively).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum QueryItemType {
    /// Device or module twins (`SELECT *`).
    Twin,
    /// Device job records.
    DeviceJob,
    /// Job responses.
    JobResponse,
    /// Projections and aggregates: plain JSON objects.
    Raw,
    /// A type this crate does not know, as sent.
    Other(String),
}

impl QueryItemType {
    /// The type's name as every binding spells it: `"twin"`, `"deviceJob"`, `"jobResponse"`,
    /// `"raw"`, or an unknown type as sent.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Twin => "twin",
            Self::DeviceJob => "deviceJob",
            Self::JobResponse => "jobResponse",
            Self::Raw => "raw",
            Self::Other(name) => name,
        }
    }

    fn parse(text: &str) -> Self {
        match text.to_ascii_lowercase().as_str() {
            "twin" => Self::Twin,
            "devicejob" => Self::DeviceJob,
            "jobresponse" => Self::JobResponse,
            "raw" => Self::Raw,
            _ => Self::Other(text.to_owned()),
        }
    }
}

impl Serialize for QueryItemType {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// One result of a query; serialized as the item itself.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum QueryItem {
    /// A twin (pages of item type `Twin`).
    Twin(Box<Twin>),
    /// Any other item, as JSON.
    Raw(Value),
}

impl QueryItem {
    /// The twin, for twin items.
    pub fn into_twin(self) -> Option<Twin> {
        match self {
            QueryItem::Twin(twin) => Some(*twin),
            QueryItem::Raw(_) => None,
        }
    }

    /// The item as JSON, whatever its type.
    pub fn into_json(self) -> Value {
        match self {
            QueryItem::Twin(twin) => serde_json::to_value(*twin).unwrap_or(Value::Null),
            QueryItem::Raw(value) => value,
        }
    }
}

/// One page of results; serialized as `{"items", "type", "itemType", "continuationToken"}`,
/// the shape both bindings hand on: `type` is `x-ms-item-type` as the hub sent it (the official
/// SDKs pass it through unchanged), `itemType` the core's reading of it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryPage {
    /// The items, typed by `item_type`.
    pub items: Vec<QueryItem>,
    /// `x-ms-item-type`, when the hub sent it.
    #[serde(rename = "itemType")]
    pub item_type: Option<QueryItemType>,
    /// `x-ms-item-type` exactly as the hub sent it.
    #[serde(rename = "type")]
    pub item_type_as_sent: Option<String>,
    /// `x-ms-continuation`: where the next page starts; `None` on the last page.
    #[serde(rename = "continuationToken")]
    pub continuation: Option<String>,
}

impl ServiceClient {
    /// One `POST /devices/query`: the page of `sql` that `options` asks for (like Python's
    /// `query_iot_hub`). Queries are read-only, so they are retried like GETs.
    pub async fn query_page(&self, sql: &str, options: &QueryOptions) -> Result<QueryPage> {
        let mut call = Call::new("query", Method::POST, "/devices/query".to_owned())
            .json(&json!({ "query": sql }))?;
        call.idempotent = true;
        if let Some(size) = options.page_size {
            call.headers.push((MAX_ITEM_COUNT, HeaderValue::from(size)));
        }
        if let Some(token) = &options.continuation {
            let value = HeaderValue::from_str(token).map_err(|_| Error::InvalidArgument {
                reason: "the continuation token is not a valid header value".into(),
            })?;
            call.headers.push((CONTINUATION, value));
        }
        let response = self.execute(&call).await?;
        let item_type_as_sent = response.header("x-ms-item-type").map(str::to_owned);
        let item_type = item_type_as_sent.as_deref().map(QueryItemType::parse);
        let continuation = response
            .header("x-ms-continuation")
            .filter(|token| !token.is_empty())
            .map(str::to_owned);
        let values: Vec<Value> = decode("query", &response.body)?;
        let items = match item_type {
            Some(QueryItemType::Twin) => values
                .into_iter()
                .map(|value| {
                    serde_json::from_value(value)
                        .map(|twin| QueryItem::Twin(Box::new(twin)))
                        .map_err(|e| Error::Protocol {
                            reason: format!("query: an item of type Twin is not a twin: {e}"),
                        })
                })
                .collect::<Result<_>>()?,
            _ => values.into_iter().map(QueryItem::Raw).collect(),
        };
        Ok(QueryPage {
            items,
            item_type,
            item_type_as_sent,
            continuation,
        })
    }

    /// A pager over the pages of `sql` (like the Node SDK's `createQuery(sql, pageSize)`).
    pub fn query(&self, sql: impl Into<String>, options: QueryOptions) -> QueryPager {
        QueryPager {
            client: self.clone(),
            sql: sql.into(),
            page_size: options.page_size,
            continuation: options.continuation,
            done: false,
        }
    }

    /// Every twin `sql` selects, as a stream fetching page after page (`page_size` items each).
    /// An item that is not a twin (a projection or aggregate) is an error: use
    /// [`query`](Self::query) and [`QueryPager::into_stream`] for those.
    pub fn query_twins(
        &self,
        sql: impl Into<String>,
        page_size: Option<u32>,
    ) -> impl Stream<Item = Result<Twin>> + Send + 'static {
        let options = QueryOptions {
            page_size,
            continuation: None,
        };
        self.query(sql, options)
            .into_stream()
            .map(|item| match item? {
                QueryItem::Twin(twin) => Ok(*twin),
                QueryItem::Raw(_) => Err(Error::InvalidArgument {
                    reason: "the query returns projections, not twins; use ServiceClient::query"
                        .into(),
                }),
            })
    }
}

/// Fetches a query's pages one at a time, following `x-ms-continuation` until the hub omits it.
#[derive(Debug)]
pub struct QueryPager {
    client: ServiceClient,
    sql: String,
    page_size: Option<u32>,
    continuation: Option<String>,
    done: bool,
}

impl QueryPager {
    /// Whether another page may follow (true before the first page).
    pub fn has_more_results(&self) -> bool {
        !self.done
    }

    /// Where the next page starts, to resume later with [`QueryOptions::continuation`].
    pub fn continuation_token(&self) -> Option<&str> {
        self.continuation.as_deref()
    }

    /// The next page, or `None` after the last. After an error the pager stays where it was,
    /// so calling again retries the same page.
    pub async fn next_page(&mut self) -> Result<Option<QueryPage>> {
        if self.done {
            return Ok(None);
        }
        let options = QueryOptions {
            page_size: self.page_size,
            continuation: self.continuation.clone(),
        };
        let page = self.client.query_page(&self.sql, &options).await?;
        self.continuation.clone_from(&page.continuation);
        self.done = page.continuation.is_none();
        Ok(Some(page))
    }

    /// Every item of every remaining page, fetched as the stream is read. The stream ends
    /// after the last page, or right after yielding an error.
    pub fn into_stream(self) -> QueryStream {
        let state = (self, VecDeque::new(), false);
        let inner = stream::unfold(state, |(mut pager, mut buffer, failed)| async move {
            if failed {
                return None;
            }
            loop {
                if let Some(item) = buffer.pop_front() {
                    return Some((Ok(item), (pager, buffer, false)));
                }
                match pager.next_page().await {
                    Ok(Some(page)) => buffer.extend(page.items),
                    Ok(None) => return None,
                    Err(e) => return Some((Err(e), (pager, buffer, true))),
                }
            }
        });
        QueryStream {
            inner: inner.boxed(),
        }
    }
}

/// The items of a query, page after page; see [`QueryPager::into_stream`].
pub struct QueryStream {
    inner: BoxStream<'static, Result<QueryItem>>,
}

impl Stream for QueryStream {
    type Item = Result<QueryItem>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_unpin(cx)
    }
}

impl std::fmt::Debug for QueryStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("QueryStream")
    }
}
