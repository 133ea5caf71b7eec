//! Scheduled twin-update jobs (`/jobs/v2`): accept, read, cancel and list them, and the runner
//! that starts each at its start time and patches its targets in bounded batches.
//!
//! Every batch is one store write: the twins it patched and the job rows it finished are
//! committed in one transaction, so a job resumed after `kill -9` continues at its committed
//! cursor and patches every target exactly once. A batch holds the registry's write lock only for
//! [`JOB_BATCH`] twins, and the runner pauses after each batch as long as the batch took, so a
//! 100k-device job leaves other requests at least half the time (bench/README.md, `jobs`).
//!
//! The runner is driven by [`Hub::step_jobs`] with the time passed in, which is how tests run a
//! job scheduled in the future, or past its max execution time, without waiting.

use std::sync::Arc;
use std::time::Duration;

use iothub_twin::ErrorCode;
use serde_json::Value;
use time::OffsetDateTime;
use tokio::task::JoinHandle;

use super::Hub;
use super::twins::{announce_service_write, patch_of, sections};
use crate::clock;
use crate::error::HubError;
use crate::job_state::{
    Job, JobStatus, Target, TargetStatus, UPDATE_TWIN, format_time, start_time_of,
};
use crate::query;
use crate::registry::{IdentityKey, Registry};
use crate::store::Changes;
use crate::twin_state::TwinBefore;
use crate::twin_state::TwinState;

/// Twins one batch of a job patches under one write lock (and one commit).
pub const JOB_BATCH: usize = 500;
/// `maxExecutionTimeInSeconds` when the request gives none (the Node SDK's default too).
const DEFAULT_MAX_EXECUTION_SECONDS: u64 = 3600;
/// The longest pause between two batches.
const MAX_PAUSE: Duration = Duration::from_millis(50);
/// The longest the idle runner sleeps before looking at the clock again.
const IDLE_RECHECK: Duration = Duration::from_secs(60);

/// What one [`Hub::step_jobs`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobStep {
    /// It started a job or ran a batch; there may be more to do at once.
    Worked,
    /// Nothing is due; the earliest start time ahead, if any.
    Idle(Option<OffsetDateTime>),
}

/// A page of `GET /jobs/v2/query`.
#[derive(Clone, Debug, PartialEq)]
pub struct JobsPage {
    /// The jobs, as `JobResponse`s.
    pub items: Vec<Value>,
    /// The token for the next page (`x-ms-continuation`).
    pub continuation: Option<String>,
}

impl Hub {
    /// `PUT /jobs/v2/{jobId}`: accepts a `scheduleUpdateTwin` job once it is committed.
    pub async fn create_job(&self, job_id: &str, body: &Value) -> Result<Value, HubError> {
        let job = parse_request(job_id, body, OffsetDateTime::now_utc())?;
        let answer = self
            .store
            .write(|registry, changes| {
                if registry.jobs.contains_key(job_id) {
                    return Err(HubError::new(
                        ErrorCode::JobAlreadyExists,
                        format!("a job with id {job_id} already exists"),
                    ));
                }
                let answer = job.to_json();
                registry.jobs.insert(job_id.to_owned(), job);
                changes.put_job(job_id, 0..0);
                Ok(answer)
            })
            .await?;
        self.jobs_changed.notify_one();
        Ok(answer)
    }

    /// `GET /jobs/v2/{jobId}`.
    pub async fn get_job(&self, job_id: &str) -> Result<Value, HubError> {
        self.store
            .read_committed(|registry| job_of(registry, job_id).map(Job::to_json))
            .await
    }

    /// `POST /jobs/v2/{jobId}/cancel`: a job that has not ended is cancelled (the targets it
    /// did not reach stay pending); an ended one is answered as it is.
    pub async fn cancel_job(&self, job_id: &str) -> Result<Value, HubError> {
        let now = clock::now_iso();
        let answer = self
            .store
            .write(|registry, changes| {
                let job = registry
                    .jobs
                    .get_mut(job_id)
                    .ok_or_else(|| job_not_found(job_id))?;
                if !job.status.is_final() {
                    job.finish(JobStatus::Cancelled, &now);
                    changes.put_job(job_id, 0..0);
                }
                Ok(job.to_json())
            })
            .await?;
        self.jobs_changed.notify_one();
        Ok(answer)
    }

    /// `GET /jobs/v2/query?jobType=&jobStatus=`: jobs in id order, `page_size` at a time;
    /// the continuation token is the id the next page starts after.
    pub async fn query_jobs(
        &self,
        job_type: Option<&str>,
        job_status: Option<&str>,
        page_size: usize,
        continuation: Option<&str>,
    ) -> Result<JobsPage, HubError> {
        let page_size = page_size.clamp(1, query::MAX_PAGE_SIZE);
        let page = self
            .store
            .read_committed(|registry| {
                let wanted = |job: &&Job| {
                    job_type.is_none_or(|t| t.is_empty() || t == UPDATE_TWIN)
                        && job_status.is_none_or(|s| s.is_empty() || s == job.status.as_str())
                };
                let after = continuation.unwrap_or("");
                let mut jobs = registry
                    .jobs
                    .values()
                    .filter(|job| job.job_id.as_str() > after)
                    .filter(wanted);
                let items: Vec<&Job> = jobs.by_ref().take(page_size).collect();
                let more = jobs.next().is_some();
                JobsPage {
                    continuation: items.last().filter(|_| more).map(|job| job.job_id.clone()),
                    items: items.into_iter().map(Job::to_json).collect(),
                }
            })
            .await;
        Ok(page)
    }

    /// Does the next piece of job work due at `now`: starts one job whose start time has come,
    /// or runs one batch of at most `batch` targets of a running job.
    pub async fn step_jobs(&self, now: OffsetDateTime, batch: usize) -> Result<JobStep, HubError> {
        let stamp = format_time(now);
        self.store
            .write(|registry, changes| {
                let due = registry.jobs.values().find(|job| {
                    job.status == JobStatus::Running
                        || (matches!(job.status, JobStatus::Queued | JobStatus::Scheduled)
                            && job.start() <= now)
                });
                let Some(job_id) = due.map(|job| job.job_id.clone()) else {
                    let next = registry
                        .jobs
                        .values()
                        .filter(|job| {
                            matches!(job.status, JobStatus::Queued | JobStatus::Scheduled)
                        })
                        .map(Job::start)
                        .min();
                    return Ok(JobStep::Idle(next));
                };
                if registry.jobs[&job_id].status == JobStatus::Running {
                    run_batch(registry, changes, &job_id, now, &stamp, batch.max(1));
                } else {
                    start_job(registry, changes, &job_id, &stamp);
                }
                Ok(JobStep::Worked)
            })
            .await
    }
}

/// Runs the hub's jobs until the store shuts down.
pub(crate) fn spawn_job_runner(hub: Arc<Hub>) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            // Registered before looking, so a job accepted meanwhile is not missed.
            let changed = hub.jobs_changed.notified();
            let began = std::time::Instant::now();
            let wait = match hub.step_jobs(OffsetDateTime::now_utc(), JOB_BATCH).await {
                Ok(JobStep::Worked) => {
                    // Half the time at most: after a batch, as long a pause, so that other
                    // requests keep their share of the CPU and of the registry lock.
                    tokio::time::sleep(began.elapsed().min(MAX_PAUSE)).await;
                    continue;
                }
                Ok(JobStep::Idle(next)) => next.map_or(IDLE_RECHECK, |start| {
                    let ahead = start - OffsetDateTime::now_utc();
                    Duration::try_from(ahead)
                        .unwrap_or(Duration::ZERO)
                        .min(IDLE_RECHECK)
                }),
                Err(error) if error.code == ErrorCode::ServiceUnavailable => return,
                Err(error) => {
                    tracing::error!(%error, "a job step failed");
                    Duration::from_secs(1)
                }
            };
            tokio::select! {
                () = changed => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    })
}

/// Fixes the job's targets (the devices its condition matches now) and marks it running, or
/// completed at once when it matches none.
fn start_job(registry: &mut Registry, changes: &mut Changes, job_id: &str, now: &str) {
    let condition = registry.jobs[job_id].query_condition.clone();
    // The condition was checked when the job was accepted.
    let ids = query::prepare_condition(&condition)
        .map(|prepared| prepared.matching_device_ids(registry))
        .unwrap_or_default();
    let job = registry.jobs.get_mut(job_id).expect("a due job");
    job.targets = ids.into_iter().map(Target::pending).collect();
    job.cursor = 0;
    job.started_time = Some(now.to_owned());
    job.status = JobStatus::Running;
    if job.targets.is_empty() {
        job.finish(JobStatus::Completed, now);
    }
    changes.start_job(job_id);
}

/// Patches the next `batch` targets, or fails every remaining one once the max execution time
/// has run out.
fn run_batch(
    registry: &mut Registry,
    changes: &mut Changes,
    job_id: &str,
    now: OffsetDateTime,
    stamp: &str,
    batch: usize,
) {
    let job = registry.jobs.get_mut(job_id).expect("a running job");
    let from = job.cursor;
    if now >= job.deadline() {
        for target in &mut job.targets[from..] {
            target.status = TargetStatus::Failed;
            target.end_time = Some(stamp.to_owned());
            target.error = Some((
                "JobRunTimedOut".to_owned(),
                "the job's maxExecutionTimeInSeconds ran out before it reached this device"
                    .to_owned(),
            ));
        }
        job.cursor = job.targets.len();
        job.failure_reason = Some(format!(
            "the job ran past its maxExecutionTimeInSeconds ({}) before reaching {} of its \
             {} devices",
            job.max_execution_time_in_seconds,
            job.targets.len() - from,
            job.targets.len()
        ));
        job.finish(JobStatus::Failed, stamp);
        changes.put_job(job_id, from..job.targets.len());
        return;
    }
    let to = (from + batch).min(job.targets.len());
    for position in from..to {
        let device_id = job.targets[position].device_id.clone();
        let outcome = match registry.devices.get_mut(&device_id) {
            None => Err(HubError::device_not_found(&device_id)),
            Some(device) => {
                let before = (device.twin.version, TwinBefore::service(&device.twin));
                apply_update(&mut device.twin, &job.update_twin, stamp).map(|desired| {
                    let key = IdentityKey::device(&device_id);
                    let before = (before.0, &before.1);
                    announce_service_write(changes, &key, before, &device.twin, desired, stamp);
                })
            }
        };
        let target = &mut job.targets[position];
        target.end_time = Some(stamp.to_owned());
        match outcome {
            Ok(()) => {
                target.status = TargetStatus::Completed;
                changes.touch(&device_id, None);
            }
            Err(error) => {
                target.status = TargetStatus::Failed;
                target.error = Some((error.code.name().to_owned(), error.message));
            }
        }
    }
    job.cursor = to;
    if to == job.targets.len() {
        job.finish(JobStatus::Completed, stamp);
    }
    changes.put_job(job_id, from..to);
}

/// The job's `updateTwin` merged into `twin`, as a service PATCH merges it.
fn apply_update(
    twin: &mut TwinState,
    update: &Value,
    now: &str,
) -> Result<Option<crate::twin_state::DesiredChange>, HubError> {
    let (tags, desired) = sections(update)?;
    let tags = patch_of(tags, &twin.tags);
    let desired = patch_of(desired, &twin.desired);
    twin.service_patch(tags.as_ref(), desired.as_ref(), now)
}

fn job_of<'r>(registry: &'r Registry, job_id: &str) -> Result<&'r Job, HubError> {
    registry
        .jobs
        .get(job_id)
        .ok_or_else(|| job_not_found(job_id))
}

fn job_not_found(job_id: &str) -> HubError {
    HubError::new(
        ErrorCode::JobNotFound,
        format!("Job with ID '{job_id}' not found"),
    )
}

/// The job a `PUT /jobs/v2/{jobId}` body asks for, checked.
fn parse_request(job_id: &str, body: &Value, now: OffsetDateTime) -> Result<Job, HubError> {
    iothub_twin::auth::check_identity_id("the job id", job_id).map_err(HubError::invalid)?;
    let Value::Object(fields) = body else {
        return Err(HubError::invalid("the job must be a JSON object"));
    };
    if let Some(named) = fields.get("jobId").and_then(Value::as_str)
        && named != job_id
    {
        return Err(HubError::invalid(format!(
            "the body's jobId {named:?} is not the path's {job_id:?}"
        )));
    }
    match fields.get("type").and_then(Value::as_str) {
        Some(UPDATE_TWIN) => {}
        Some("scheduleDeviceMethod") => {
            return Err(not_supported(
                "scheduleDeviceMethod jobs (direct methods) are not supported by this emulator",
            ));
        }
        Some(other) => {
            return Err(HubError::invalid(format!(
                "the job type {other:?} is not valid; this emulator runs scheduleUpdateTwin jobs"
            )));
        }
        None => return Err(HubError::invalid("the job has no type")),
    }
    let condition = match fields.get("queryCondition") {
        Some(Value::String(text)) => text.clone(),
        None | Some(Value::Null) => {
            return Err(HubError::new(
                ErrorCode::ArgumentNull,
                "the job has no queryCondition",
            ));
        }
        Some(_) => return Err(HubError::invalid("queryCondition must be a string")),
    };
    query::prepare_condition(&condition)?;
    let update_twin = match fields.get("updateTwin") {
        Some(update @ Value::Object(_)) => update.clone(),
        None | Some(Value::Null) => {
            return Err(HubError::new(
                ErrorCode::ArgumentNull,
                "a scheduleUpdateTwin job needs updateTwin",
            ));
        }
        Some(_) => return Err(HubError::invalid("updateTwin must be a JSON object")),
    };
    // Checked once on an empty twin: names, depth and values follow the twin rules.
    let stamp = format_time(now);
    apply_update(&mut TwinState::new(&stamp), &update_twin, &stamp)?;
    let max_execution_time_in_seconds = match fields.get("maxExecutionTimeInSeconds") {
        None | Some(Value::Null) => DEFAULT_MAX_EXECUTION_SECONDS,
        Some(value) => value.as_u64().filter(|&s| s > 0).ok_or_else(|| {
            HubError::invalid("maxExecutionTimeInSeconds must be a positive integer")
        })?,
    };
    let start_time = start_time_of(fields.get("startTime"), now)?;
    let start = crate::job_state::parse_time(&start_time).unwrap_or(now);
    Ok(Job {
        job_id: job_id.to_owned(),
        query_condition: condition,
        update_twin,
        created_time: stamp,
        start_time,
        started_time: None,
        max_execution_time_in_seconds,
        status: if start > now {
            JobStatus::Scheduled
        } else {
            JobStatus::Queued
        },
        end_time: None,
        failure_reason: None,
        cursor: 0,
        targets: Vec::new(),
    })
}

/// IoT Hub's error shape for what the emulator does not run.
pub(crate) fn not_supported(message: &str) -> HubError {
    HubError::new(ErrorCode::InvalidOperation, message)
}
