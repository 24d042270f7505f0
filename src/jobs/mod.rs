//! The background-work queue in PostgreSQL: enqueue, claim (`for update skip locked`), progress,
//! finish, requeue stuck jobs. It names no feature: a job kind is a type that carries its name
//! (`JobKind`), and the worker (`src/worker.rs`) dispatches each kind to the feature that owns it.

pub mod db;

use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::PgPool;

pub use db::Job;

/// A kind of background work: its payload type and the name stored in `jobs.kind`.
pub trait JobKind: Serialize + DeserializeOwned {
    /// Stored in `jobs.kind`; never rename one that has been queued.
    const NAME: &'static str;
    /// At most one queued or running at a time: enqueuing another returns the existing one.
    const SINGLETON: bool = false;
}

/// Queue `job`; returns its id (or, for a singleton kind, the id of the one already waiting).
pub async fn enqueue<K: JobKind>(
    pool: &PgPool,
    job: &K,
    created_by: Option<i64>,
) -> sqlx::Result<i64> {
    if K::SINGLETON
        && let Some(existing) = db::latest(pool, K::NAME).await?
        && (existing.state == "queued" || existing.state == "running")
    {
        return Ok(existing.id);
    }
    let payload = serde_json::to_value(job).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    db::enqueue(pool, K::NAME, &payload, created_by, 0.0).await
}

/// Queue `job` (in the caller's transaction, if `db` is one) to run no sooner than `delay` from
/// now: a retry's backoff, or zero. Not for singleton kinds.
pub async fn enqueue_after<K: JobKind>(
    db: impl sqlx::PgExecutor<'_>,
    job: &K,
    created_by: Option<i64>,
    delay: std::time::Duration,
) -> sqlx::Result<i64> {
    let payload = serde_json::to_value(job).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    db::enqueue(db, K::NAME, &payload, created_by, delay.as_secs_f64()).await
}

/// The payload of a claimed job, read as the kind it names.
pub fn payload<K: JobKind>(job: &Job) -> anyhow::Result<K> {
    serde_json::from_value(job.payload.clone())
        .map_err(|e| anyhow::anyhow!("job {} ({}) has a bad payload: {e}", job.id, job.kind))
}

/// Record progress of a running job (`done` of `total`).
pub async fn progress(pool: &PgPool, id: i64, done: usize, total: usize) -> sqlx::Result<()> {
    let clamp = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    db::progress(pool, id, clamp(done), clamp(total.max(done))).await
}
