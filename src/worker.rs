//! The background worker: registers every job kind and dispatches each to the feature that owns
//! it. Any `goldthread serve` process runs one; claiming uses `skip locked`, so several can run.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;

use crate::config::Config;
use crate::digests::SendDigest;
use crate::feedback::Arrived;
use crate::jobs::{self, Job, JobKind};
use crate::notify::Deliver;
use crate::themes::tagging::{self, RetagAll};

/// Jobs running longer than this are taken to be orphaned by a stopped process and queued again.
const STALE_MINUTES: i32 = 10;
/// How often the worker looks for orphaned jobs.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

async fn dispatch(pool: &PgPool, config: &Config, job: &Job) -> anyhow::Result<()> {
    match job.kind.as_str() {
        SendDigest::NAME => crate::digests::send::run(pool, config, job).await,
        Deliver::NAME => crate::notify::deliver::run(pool, config, job).await,
        RetagAll::NAME => tagging::retag_all(pool, Some(job.id)).await.map(|_| ()),
        Arrived::NAME => {
            let arrived: Arrived = jobs::payload(job)?;
            if arrived.many {
                tagging::retag_all(pool, Some(job.id)).await.map(|_| ())
            } else {
                tagging::tag_feedback_now(pool, &arrived.feedback_ids)
                    .await
                    .map(|_| ())
            }
        }
        crate::embeddings::EmbedAll::NAME => crate::embeddings::run_embed_all(pool, Some(job.id))
            .await
            .map(|_| ()),
        other => Err(anyhow::anyhow!("unknown job kind {other}")),
    }
}

/// Run one queued job if there is one; returns whether a job ran.
pub async fn run_one(pool: &PgPool, config: &Config) -> anyhow::Result<bool> {
    let Some(job) = jobs::db::claim(pool).await? else {
        return Ok(false);
    };
    tracing::info!(job = job.id, kind = %job.kind, "job started");
    match dispatch(pool, config, &job).await {
        Ok(()) => {
            jobs::db::finish(pool, job.id, None).await?;
            tracing::info!(job = job.id, "job done");
        }
        Err(err) => {
            let message = format!("{err:#}");
            tracing::error!(job = job.id, error = %message, "job failed");
            jobs::db::finish(pool, job.id, Some(&message)).await?;
        }
    }
    Ok(true)
}

/// Run queued jobs until none is left (the command line and tests use this).
pub async fn run_pending(pool: &PgPool, config: &Config) -> anyhow::Result<usize> {
    let mut n = 0;
    while run_one(pool, config).await? {
        n += 1;
    }
    Ok(n)
}

/// The minute sweep: requeue jobs whose worker stopped, fail imports whose process stopped,
/// and count the rollup contributions a stopped retag left pending (migration 0049).
pub async fn sweep(pool: &PgPool) {
    match jobs::db::requeue_stale(pool, STALE_MINUTES).await {
        Ok(0) => {}
        Ok(n) => tracing::warn!(requeued = n, "requeued jobs orphaned by a stopped worker"),
        Err(err) => tracing::warn!(error = %err, "could not requeue stale jobs"),
    }
    match crate::imports::db::fail_interrupted(pool, crate::imports::INTERRUPTED_AFTER_SECS).await {
        Ok(0) => {}
        Ok(n) => {
            tracing::warn!(failed = n, "marked imports whose process stopped as failed")
        }
        Err(err) => tracing::warn!(error = %err, "could not sweep interrupted imports"),
    }
    match crate::themes::tagging::db::apply_pending_rollups(pool).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(applied = n, "applied pending rollup contributions"),
        Err(err) => tracing::warn!(error = %err, "could not apply pending rollup contributions"),
    }
}

/// How often the worker looks for spiking themes to announce.
const SPIKES_EVERY: Duration = Duration::from_secs(15 * 60);

/// The loop `goldthread serve` spawns: poll every second, sweep orphaned jobs every minute,
/// look for spiking themes every quarter hour, never exit on errors.
pub async fn run(pool: PgPool, config: Arc<Config>) {
    let mut last_sweep: Option<std::time::Instant> = None;
    let mut last_spikes: Option<std::time::Instant> = None;
    loop {
        if last_spikes.is_none_or(|t| t.elapsed() >= SPIKES_EVERY) {
            if let Err(err) = crate::notify::announce_spikes(&pool).await {
                tracing::warn!(
                    error = format!("{err:#}"),
                    "could not check for spiking themes"
                );
            }
            last_spikes = Some(std::time::Instant::now());
        }
        if last_sweep.is_none_or(|t| t.elapsed() >= SWEEP_EVERY) {
            sweep(&pool).await;
            last_sweep = Some(std::time::Instant::now());
        }
        match run_one(&pool, &config).await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(err) => tracing::warn!(error = format!("{err:#}"), "job worker error"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
