//! Scheduled jobs (`/jobs/v2`): schedule a twin update over the devices a query condition
//! selects, read it, cancel it and list jobs page by page; and the typed rows of
//! `SELECT * FROM devices.jobs`.
//!
//! [`JobClient`] is a view of a [`ServiceClient`] (same credential, options and retries), as
//! the official SDKs' `JobClient` / `IoTHubJobManager` are separate classes over one hub.

use reqwest::Method;
use reqwest::header::{HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::client::{Call, decode};
use super::{QueryItem, QueryOptions, ServiceClient};
use crate::auth::encode_uri_component;
use crate::{Error, Result};

const MAX_ITEM_COUNT: HeaderName = HeaderName::from_static("x-ms-max-item-count");
const CONTINUATION: HeaderName = HeaderName::from_static("x-ms-continuation");

/// The job type that patches twins.
pub const SCHEDULE_UPDATE_TWIN: &str = "scheduleUpdateTwin";

/// A job to create (`PUT /jobs/v2/{jobId}`), as azure-iot-hub's `JobRequest`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobRequest {
    /// The job id.
    pub job_id: String,
    /// `scheduleUpdateTwin` (the hub also knows `scheduleDeviceMethod`).
    #[serde(rename = "type")]
    pub job_type: String,
    /// The `WHERE` condition selecting the devices, e.g. `tags.plant = 'Redmond43'`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_condition: Option<String>,
    /// The twin patch (`tags`, `properties.desired`) for `scheduleUpdateTwin`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_twin: Option<Value>,
    /// The direct method, for `scheduleDeviceMethod`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_to_device_method: Option<Value>,
    /// ISO-8601 start time; `None` = now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    /// How long the job may run, in seconds; `None` lets the hub choose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_execution_time_in_seconds: Option<u64>,
}

impl JobRequest {
    /// A `scheduleUpdateTwin` job applying `patch` to the twins `condition` selects.
    pub fn update_twin(
        job_id: impl Into<String>,
        condition: impl Into<String>,
        patch: Value,
    ) -> Self {
        Self {
            job_id: job_id.into(),
            job_type: SCHEDULE_UPDATE_TWIN.to_owned(),
            query_condition: Some(condition.into()),
            update_twin: Some(patch),
            ..Self::default()
        }
    }
}

/// A job's progress counts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceJobStatistics {
    /// Devices the job targets.
    #[serde(default)]
    pub device_count: u64,
    /// Devices it failed on.
    #[serde(default)]
    pub failed_count: u64,
    /// Devices it succeeded on.
    #[serde(default)]
    pub succeeded_count: u64,
    /// Devices it is running on.
    #[serde(default)]
    pub running_count: u64,
    /// Devices it has not reached.
    #[serde(default)]
    pub pending_count: u64,
}

/// A job as the hub reports it, as azure-iot-hub's `JobResponse`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobResponse {
    /// The job id.
    pub job_id: String,
    /// Its type.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub job_type: Option<String>,
    /// `queued`, `scheduled`, `running`, `completed`, `failed`, `cancelled`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Its condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_condition: Option<String>,
    /// When it was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_time: Option<String>,
    /// When it starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    /// When it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
    /// Its max execution time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_execution_time_in_seconds: Option<u64>,
    /// Its twin patch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_twin: Option<Value>,
    /// Its direct method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_to_device_method: Option<Value>,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    /// The hub's status message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_message: Option<String>,
    /// Its progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_job_statistics: Option<DeviceJobStatistics>,
}

impl JobResponse {
    /// Whether the job has ended (completed, failed or cancelled).
    pub fn is_finished(&self) -> bool {
        matches!(
            self.status.as_deref(),
            Some("completed" | "failed" | "cancelled")
        )
    }
}

/// One row of `SELECT * FROM devices.jobs`: a job's state on one device.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceJob {
    /// The device.
    pub device_id: String,
    /// The job.
    pub job_id: String,
    /// The job's type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_type: Option<String>,
    /// `pending`, `scheduled`, `running`, `completed`, `failed`, `canceled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// When the job starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time_utc: Option<String>,
    /// When it ended on this device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time_utc: Option<String>,
    /// When the job was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_date_time_utc: Option<String>,
    /// When this row last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated_date_time_utc: Option<String>,
    /// The outcome (a direct method's response).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Value>,
    /// Why it failed on this device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Value>,
}

impl DeviceJob {
    /// The row a `devices.jobs` query item holds.
    pub fn from_item(item: QueryItem) -> Result<Self> {
        serde_json::from_value(item.into_json()).map_err(|e| Error::Protocol {
            reason: format!("a devices.jobs row is not a device job: {e}"),
        })
    }
}

/// One page of `GET /jobs/v2/query`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobsPage {
    /// The jobs.
    pub items: Vec<JobResponse>,
    /// Where the next page starts; `None` on the last page.
    #[serde(rename = "continuationToken")]
    pub continuation: Option<String>,
}

/// Scheduled jobs over the hub a [`ServiceClient`] talks to.
#[derive(Clone, Debug)]
pub struct JobClient {
    client: ServiceClient,
}

impl ServiceClient {
    /// The hub's scheduled jobs, with this client's credential and options.
    pub fn jobs(&self) -> JobClient {
        JobClient {
            client: self.clone(),
        }
    }
}

impl JobClient {
    /// The service client underneath.
    pub fn service_client(&self) -> &ServiceClient {
        &self.client
    }

    /// `PUT /jobs/v2/{jobId}`: creates the job `request` describes.
    pub async fn create_job(&self, request: &JobRequest) -> Result<JobResponse> {
        if request.job_id.is_empty() {
            return Err(Error::InvalidArgument {
                reason: "the job id is empty".into(),
            });
        }
        let call =
            Call::new("create_job", Method::PUT, job_path(&request.job_id, "")).json(request)?;
        self.client.execute_json(&call).await
    }

    /// A `scheduleUpdateTwin` job: at `start_time` (ISO-8601; `None` = now) `patch` is merged
    /// into every device twin `condition` selects.
    pub async fn schedule_twin_update(
        &self,
        job_id: &str,
        condition: &str,
        patch: Value,
        start_time: Option<String>,
        max_execution_time_in_seconds: Option<u64>,
    ) -> Result<JobResponse> {
        let request = JobRequest {
            start_time,
            max_execution_time_in_seconds,
            ..JobRequest::update_twin(job_id, condition, patch)
        };
        self.create_job(&request).await
    }

    /// `GET /jobs/v2/{jobId}`.
    pub async fn get_job(&self, job_id: &str) -> Result<JobResponse> {
        let call = Call::new("get_job", Method::GET, job_path(job_id, ""));
        self.client.execute_json(&call).await
    }

    /// `POST /jobs/v2/{jobId}/cancel`. Cancelling twice changes nothing, so it is retried like
    /// a GET.
    pub async fn cancel_job(&self, job_id: &str) -> Result<JobResponse> {
        let mut call = Call::new("cancel_job", Method::POST, job_path(job_id, "/cancel"));
        call.idempotent = true;
        self.client.execute_json(&call).await
    }

    /// One page of `GET /jobs/v2/query?jobType=&jobStatus=`.
    pub async fn query_jobs_page(
        &self,
        job_type: Option<&str>,
        job_status: Option<&str>,
        options: &QueryOptions,
    ) -> Result<JobsPage> {
        let mut call = Call::new("query_jobs", Method::GET, "/jobs/v2/query".to_owned());
        let filters: Vec<String> = [("jobType", job_type), ("jobStatus", job_status)]
            .into_iter()
            .filter_map(|(name, value)| {
                value.map(|v| format!("{name}={}", encode_uri_component(v)))
            })
            .collect();
        call.query = (!filters.is_empty()).then(|| filters.join("&"));
        if let Some(size) = options.page_size {
            call.headers.push((MAX_ITEM_COUNT, HeaderValue::from(size)));
        }
        if let Some(token) = &options.continuation {
            let value = HeaderValue::from_str(token).map_err(|_| Error::InvalidArgument {
                reason: "the continuation token is not a valid header value".into(),
            })?;
            call.headers.push((CONTINUATION, value));
        }
        let response = self.client.execute(&call).await?;
        let continuation = response
            .header("x-ms-continuation")
            .filter(|token| !token.is_empty())
            .map(str::to_owned);
        Ok(JobsPage {
            items: decode("query_jobs", &response.body)?,
            continuation,
        })
    }

    /// A pager over the jobs of `job_type` and `job_status` (`None` = any), like the Node SDK's
    /// `createQuery(jobType, jobStatus, pageSize)`.
    pub fn query_jobs(
        &self,
        job_type: Option<String>,
        job_status: Option<String>,
        page_size: Option<u32>,
    ) -> JobsPager {
        JobsPager {
            jobs: self.clone(),
            job_type,
            job_status,
            page_size,
            continuation: None,
            done: false,
        }
    }
}

/// Fetches job pages one at a time, following `x-ms-continuation` until the hub omits it.
#[derive(Debug)]
pub struct JobsPager {
    jobs: JobClient,
    job_type: Option<String>,
    job_status: Option<String>,
    page_size: Option<u32>,
    continuation: Option<String>,
    done: bool,
}

impl JobsPager {
    /// Whether another page may follow (true before the first page).
    pub fn has_more_results(&self) -> bool {
        !self.done
    }

    /// The next page, or `None` after the last. After an error the pager stays where it was.
    pub async fn next_page(&mut self) -> Result<Option<JobsPage>> {
        if self.done {
            return Ok(None);
        }
        let options = QueryOptions {
            page_size: self.page_size,
            continuation: self.continuation.clone(),
        };
        let page = self
            .jobs
            .query_jobs_page(
                self.job_type.as_deref(),
                self.job_status.as_deref(),
                &options,
            )
            .await?;
        self.continuation.clone_from(&page.continuation);
        self.done = page.continuation.is_none();
        Ok(Some(page))
    }

    /// Every remaining job, page after page.
    pub async fn all(mut self) -> Result<Vec<JobResponse>> {
        let mut jobs = Vec::new();
        while let Some(page) = self.next_page().await? {
            jobs.extend(page.items);
        }
        Ok(jobs)
    }
}

/// `/jobs/v2/{jobId}{suffix}`, the id percent-encoded.
fn job_path(job_id: &str, suffix: &str) -> String {
    format!("/jobs/v2/{}{suffix}", encode_uri_component(job_id))
}
