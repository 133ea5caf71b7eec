//! Jobs in SQLite: one `jobs` row per job (its request and progress), one `job_target_ids` row
//! with the ids of the devices it targets (written when it starts) and one `job_targets` row per
//! target it has finished. A job's rows are written in the same transaction as the twins the same
//! write patched, so after a crash the job's cursor and the twins agree.

use rusqlite::{Connection, Transaction, params};

use crate::job_state::{Job, Target};
use crate::registry::Registry;

/// The tables, created on open.
pub(super) const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS jobs (job_id TEXT PRIMARY KEY, doc TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS job_targets (
        job_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (job_id, position)
    );
    CREATE TABLE IF NOT EXISTS job_target_ids (job_id TEXT PRIMARY KEY, doc TEXT NOT NULL);";

/// A job's rows to write, serialized off the request path from clones taken under the lock.
#[derive(Debug)]
pub(super) struct JobRows {
    job_id: String,
    doc: String,
    targets: Vec<(usize, String)>,
    /// Every target's device id, as a JSON array (when the job starts).
    ids: Option<String>,
}

/// The rows of `job_id` and its targets in `range` (and with `ids` the ids of all its targets),
/// read from `registry`.
pub(super) fn rows(
    registry: &Registry,
    job_id: &str,
    range: std::ops::Range<usize>,
    ids: bool,
) -> Option<JobRows> {
    let job = registry.jobs.get(job_id)?;
    let doc = serde_json::to_string(job).expect("jobs serialize");
    let end = range.end.min(job.targets.len());
    let start = range.start.min(end);
    let targets = (start..end)
        .map(|position| {
            let target = &job.targets[position];
            (
                position,
                serde_json::to_string(target).expect("targets serialize"),
            )
        })
        .collect();
    let ids = ids.then(|| {
        let ids: Vec<&str> = job.targets.iter().map(|t| t.device_id.as_str()).collect();
        serde_json::to_string(&ids).expect("ids serialize")
    });
    Some(JobRows {
        job_id: job_id.to_owned(),
        doc,
        targets,
        ids,
    })
}

/// Writes `rows` in `tx`.
pub(super) fn commit(tx: &Transaction<'_>, rows: &JobRows) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO jobs (job_id, doc) VALUES (?1, ?2)
         ON CONFLICT (job_id) DO UPDATE SET doc = excluded.doc",
    )?
    .execute(params![rows.job_id, rows.doc])?;
    let mut put = tx.prepare_cached(
        "INSERT INTO job_targets (job_id, position, doc) VALUES (?1, ?2, ?3)
         ON CONFLICT (job_id, position) DO UPDATE SET doc = excluded.doc",
    )?;
    for (position, doc) in &rows.targets {
        put.execute(params![rows.job_id, *position as i64, doc])?;
    }
    if let Some(ids) = &rows.ids {
        tx.prepare_cached(
            "INSERT INTO job_target_ids (job_id, doc) VALUES (?1, ?2)
             ON CONFLICT (job_id) DO UPDATE SET doc = excluded.doc",
        )?
        .execute(params![rows.job_id, ids])?;
    }
    Ok(())
}

/// Loads every job, with its targets, into `registry`.
pub(super) fn load(connection: &Connection, registry: &mut Registry) -> anyhow::Result<()> {
    let mut jobs = connection.prepare("SELECT doc FROM jobs")?;
    let mut rows = jobs.query([])?;
    while let Some(row) = rows.next()? {
        let doc: String = row.get(0)?;
        let job: Job = serde_json::from_str(&doc)?;
        registry.jobs.insert(job.job_id.clone(), job);
    }
    let mut ids = connection.prepare("SELECT job_id, doc FROM job_target_ids")?;
    let mut rows = ids.query([])?;
    while let Some(row) = rows.next()? {
        let (job_id, doc): (String, String) = (row.get(0)?, row.get(1)?);
        let ids: Vec<String> = serde_json::from_str(&doc)?;
        let Some(job) = registry.jobs.get_mut(&job_id) else {
            anyhow::bail!("stored targets of job {job_id}, which is not stored");
        };
        job.targets = ids.into_iter().map(Target::pending).collect();
    }
    let mut targets = connection.prepare("SELECT job_id, position, doc FROM job_targets")?;
    let mut rows = targets.query([])?;
    while let Some(row) = rows.next()? {
        let (job_id, position, doc): (String, i64, String) =
            (row.get(0)?, row.get(1)?, row.get(2)?);
        let target: Target = serde_json::from_str(&doc)?;
        let slot = registry
            .jobs
            .get_mut(&job_id)
            .and_then(|job| job.targets.get_mut(usize::try_from(position).ok()?));
        match slot {
            Some(slot) => *slot = target,
            None => anyhow::bail!("stored target {position} of job {job_id} has no place"),
        }
    }
    Ok(())
}
