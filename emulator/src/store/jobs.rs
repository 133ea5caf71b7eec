//! Jobs in SQLite: one `jobs` row per job (its request and progress) and one `job_targets` row
//! per device it targets. A job's rows are written in the same transaction as the twins the same
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
    );";

/// A job's rows to write, serialized off the request path from clones taken under the lock.
#[derive(Debug)]
pub(super) struct JobRows {
    job_id: String,
    doc: String,
    targets: Vec<(usize, String)>,
}

/// The rows of `job_id` and its targets in `range`, read from `registry`.
pub(super) fn rows(
    registry: &Registry,
    job_id: &str,
    range: std::ops::Range<usize>,
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
    Some(JobRows {
        job_id: job_id.to_owned(),
        doc,
        targets,
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
    let mut targets =
        connection.prepare("SELECT job_id, doc FROM job_targets ORDER BY job_id, position")?;
    let mut rows = targets.query([])?;
    while let Some(row) = rows.next()? {
        let (job_id, doc): (String, String) = (row.get(0)?, row.get(1)?);
        let target: Target = serde_json::from_str(&doc)?;
        match registry.jobs.get_mut(&job_id) {
            Some(job) => job.targets.push(target),
            None => anyhow::bail!("stored target of job {job_id}, which is not stored"),
        }
    }
    Ok(())
}
