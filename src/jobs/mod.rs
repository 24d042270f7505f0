//! Background work in the same binary: a queue in PostgreSQL, claimed with `skip locked`.

pub mod db;

use std::time::Duration;

use sqlx::PgPool;

pub use db::Job;

/// Re-tag every live feedback item with the current themes and decisions.
pub const RETAG_ALL: &str = "retag_all";
/// Tag the feedback items listed in the payload (`{"feedback_ids": [...]}`).
pub const TAG_FEEDBACK: &str = "tag_feedback";

/// Queue a full retag (one at a time: an already queued or running retag is reused).
pub async fn enqueue_retag(pool: &PgPool, created_by: Option<i64>) -> sqlx::Result<i64> {
    if let Some(job) = db::latest(pool, RETAG_ALL).await?
        && (job.state == "queued" || job.state == "running")
    {
        return Ok(job.id);
    }
    db::enqueue(pool, RETAG_ALL, &serde_json::json!({}), created_by).await
}

/// Queue tagging of new feedback items.
pub async fn enqueue_tagging(pool: &PgPool, feedback_ids: &[i64]) -> sqlx::Result<i64> {
    db::enqueue(
        pool,
        TAG_FEEDBACK,
        &serde_json::json!({ "feedback_ids": feedback_ids }),
        None,
    )
    .await
}

/// Run one queued job if there is one; returns whether a job ran.
pub async fn run_one(pool: &PgPool) -> anyhow::Result<bool> {
    let Some(job) = db::claim(pool).await? else {
        return Ok(false);
    };
    tracing::info!(job = job.id, kind = %job.kind, "job started");
    let result = match job.kind.as_str() {
        RETAG_ALL => crate::themes::tagger::retag_all(pool, Some(job.id))
            .await
            .map(|_| ()),
        TAG_FEEDBACK => {
            let ids: Vec<i64> = job
                .payload
                .get("feedback_ids")
                .and_then(|v| serde_json::from_value(v.clone()).ok())
                .unwrap_or_default();
            crate::themes::tagger::tag_feedback_now(pool, &ids)
                .await
                .map(|_| ())
        }
        other => Err(anyhow::anyhow!("unknown job kind {other}")),
    };
    match result {
        Ok(()) => {
            db::finish(pool, job.id, None).await?;
            tracing::info!(job = job.id, "job done");
        }
        Err(err) => {
            let message = format!("{err:#}");
            tracing::error!(job = job.id, error = %message, "job failed");
            db::finish(pool, job.id, Some(&message)).await?;
        }
    }
    Ok(true)
}

/// Run queued jobs until none is left (the command line and tests use this).
pub async fn run_pending(pool: &PgPool) -> anyhow::Result<usize> {
    let mut n = 0;
    while run_one(pool).await? {
        n += 1;
    }
    Ok(n)
}

/// The worker loop `goldthread serve` spawns: poll every second, never exit on errors.
pub async fn worker(pool: PgPool) {
    if let Err(err) = db::requeue_stale(&pool, 10).await {
        tracing::warn!(error = %err, "could not requeue stale jobs");
    }
    loop {
        match run_one(&pool).await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(err) => tracing::warn!(error = format!("{err:#}"), "job worker error"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
