//! Scheduled twin-update jobs (IoT Hub's `/jobs/v2`): one job's request, status and the per-device
//! rows it keeps, and how they render as `JobResponse` and as `devices.jobs` rows.
//!
//! A job is *accepted* (status `queued`, or `scheduled` when its start time is ahead), *starts* at
//! its start time by fixing the devices its query condition matches (its targets, each `pending`),
//! then patches the targets in bounded batches, each batch committed together with the rows it
//! finished, so that a job resumed after a crash patches every target exactly once. It ends
//! `completed`, `failed` (its max execution time ran out: the targets it did not reach fail) or
//! `cancelled` (the targets it did not reach stay `pending`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::clock;
use crate::error::HubError;

/// The only job type the emulator runs.
pub const UPDATE_TWIN: &str = "scheduleUpdateTwin";

/// A job's status, as IoT Hub spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum JobStatus {
    /// Accepted, its start time reached.
    Queued,
    /// Accepted, its start time ahead.
    Scheduled,
    /// Patching its targets.
    Running,
    /// Every target reached.
    Completed,
    /// Its max execution time ran out.
    Failed,
    /// Cancelled before it ended.
    Cancelled,
}

impl JobStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Scheduled => "scheduled",
            JobStatus::Running => "running",
            JobStatus::Completed => "completed",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
        }
    }

    /// Whether the job has ended.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            JobStatus::Completed | JobStatus::Failed | JobStatus::Cancelled
        )
    }
}

/// One target's state, as `devices.jobs` shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TargetStatus {
    /// Not reached yet.
    Pending,
    /// Patched.
    Completed,
    /// Not patched (the device was gone, the patch was refused, or time ran out).
    Failed,
}

/// One device a job targets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// The device.
    pub device_id: String,
    /// Its state.
    pub status: TargetStatus,
    /// When it was reached (or failed); `None` while pending.
    pub end_time: Option<String>,
    /// Why it failed: `(error code name, message)`.
    pub error: Option<(String, String)>,
}

impl Target {
    /// A target not reached yet.
    pub fn pending(device_id: String) -> Self {
        Self {
            device_id,
            status: TargetStatus::Pending,
            end_time: None,
            error: None,
        }
    }
}

/// A scheduled twin-update job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// The job id.
    pub job_id: String,
    /// The `WHERE` condition selecting the devices.
    pub query_condition: String,
    /// `updateTwin`: `tags` and `properties.desired` to merge into each twin.
    pub update_twin: Value,
    /// When it was accepted.
    pub created_time: String,
    /// When it starts (ISO-8601).
    pub start_time: String,
    /// When it actually started (a start time in the past means "at once", so its max execution
    /// time counts from here).
    #[serde(default)]
    pub started_time: Option<String>,
    /// Seconds it may run after it started.
    pub max_execution_time_in_seconds: u64,
    /// Its status.
    pub status: JobStatus,
    /// When it ended.
    pub end_time: Option<String>,
    /// Why it failed.
    pub failure_reason: Option<String>,
    /// How many targets are done (the rest, from here on, are pending).
    pub cursor: usize,
    /// The devices it targets, fixed when it starts; persisted as rows of their own.
    #[serde(skip)]
    pub targets: Vec<Target>,
}

/// Every job of the hub, by id.
pub type Jobs = BTreeMap<String, Job>;

impl Job {
    /// When it starts.
    pub fn start(&self) -> OffsetDateTime {
        parse_time(&self.start_time).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// When its max execution time runs out.
    pub fn deadline(&self) -> OffsetDateTime {
        let seconds = i64::try_from(self.max_execution_time_in_seconds).unwrap_or(i64::MAX);
        let started = self.started_time.as_deref().and_then(parse_time);
        started
            .unwrap_or_else(|| self.start())
            .saturating_add(time::Duration::seconds(seconds))
    }

    /// `deviceJobStatistics`.
    pub fn statistics(&self) -> Value {
        let count = |status| self.targets.iter().filter(|t| t.status == status).count();
        json!({
            "deviceCount": self.targets.len(),
            "failedCount": count(TargetStatus::Failed),
            "succeededCount": count(TargetStatus::Completed),
            "runningCount": 0,
            "pendingCount": count(TargetStatus::Pending),
        })
    }

    /// The job as `GET /jobs/v2/{id}` answers it (`JobResponse`).
    pub fn to_json(&self) -> Value {
        let mut body = json!({
            "jobId": self.job_id,
            "type": UPDATE_TWIN,
            "queryCondition": self.query_condition,
            "createdTime": self.created_time,
            "startTime": self.start_time,
            "maxExecutionTimeInSeconds": self.max_execution_time_in_seconds,
            "updateTwin": self.update_twin,
            "status": self.status.as_str(),
            "deviceJobStatistics": self.statistics(),
        });
        if let Some(end) = &self.end_time {
            body["endTime"] = json!(end);
        }
        if let Some(reason) = &self.failure_reason {
            body["failureReason"] = json!(reason);
            body["statusMessage"] = json!(reason);
        }
        body
    }

    /// One `devices.jobs` row per target.
    pub fn device_rows(&self) -> impl Iterator<Item = Value> + '_ {
        self.targets.iter().map(|target| {
            let status = match (target.status, self.status) {
                (TargetStatus::Pending, JobStatus::Cancelled) => "canceled",
                (TargetStatus::Pending, JobStatus::Running) => "scheduled",
                (TargetStatus::Pending, _) => "pending",
                (TargetStatus::Completed, _) => "completed",
                (TargetStatus::Failed, _) => "failed",
            };
            let mut row = json!({
                "deviceId": target.device_id,
                "jobId": self.job_id,
                "jobType": UPDATE_TWIN,
                "status": status,
                "startTimeUtc": self.start_time,
                "createdDateTimeUtc": self.created_time,
                "lastUpdatedDateTimeUtc": target.end_time.as_deref().unwrap_or(&self.start_time),
                "outcome": {},
            });
            if let Some(end) = &target.end_time {
                row["endTimeUtc"] = json!(end);
            }
            if let Some((code, message)) = &target.error {
                row["error"] = json!({"code": code, "description": message});
            }
            row
        })
    }

    /// Ends the job `status` at `now`.
    pub fn finish(&mut self, status: JobStatus, now: &str) {
        self.status = status;
        self.end_time = Some(now.to_owned());
    }
}

/// An ISO-8601 time (`2021-09-06T08:49:54.8803577Z`, `2021-09-06T08:49:54Z`, with an offset).
pub fn parse_time(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// A time as IoT Hub writes it.
pub fn format_time(at: OffsetDateTime) -> String {
    clock::format_iso(at)
}

/// `startTime` of a job request: absent or `null` means now; a time in the past starts at once.
pub fn start_time_of(value: Option<&Value>, now: OffsetDateTime) -> Result<String, HubError> {
    match value {
        None | Some(Value::Null) => Ok(format_time(now)),
        Some(Value::String(text)) => parse_time(text).map(format_time).ok_or_else(|| {
            HubError::invalid(format!("startTime {text:?} is not an ISO-8601 time"))
        }),
        Some(_) => Err(HubError::invalid(
            "startTime must be an ISO-8601 time string",
        )),
    }
}
