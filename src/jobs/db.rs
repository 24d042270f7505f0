//! Every SQL statement of the jobs queue.

use sqlx::PgExecutor;
use time::OffsetDateTime;

#[derive(Debug, Clone)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: serde_json::Value,
    pub state: String,
    pub progress_done: i32,
    pub progress_total: i32,
    pub error: Option<String>,
    pub created_at: OffsetDateTime,
    pub started_at: Option<OffsetDateTime>,
    pub finished_at: Option<OffsetDateTime>,
}

#[tracing::instrument(skip_all)]
pub async fn enqueue(
    db: impl PgExecutor<'_>,
    kind: &str,
    payload: &serde_json::Value,
    created_by: Option<i64>,
    delay_seconds: f64,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "insert into jobs (kind, payload, created_by, run_after)
         values ($1, $2, $3, now() + make_interval(secs => $4)) returning id",
        kind,
        payload,
        created_by,
        delay_seconds
    )
    .fetch_one(db)
    .await
}

/// Take the oldest queued job whose time has come; concurrent workers skip each other's rows.
#[tracing::instrument(skip_all)]
pub async fn claim(db: impl PgExecutor<'_>) -> sqlx::Result<Option<Job>> {
    sqlx::query_as!(
        Job,
        "update jobs set state = 'running', started_at = now()
         where id = (select id from jobs where state = 'queued' and run_after <= now() order by id for update skip locked limit 1)
         returning id, kind, payload, state, progress_done, progress_total, error, created_at, started_at, finished_at"
    )
    .fetch_optional(db)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn progress(db: impl PgExecutor<'_>, id: i64, done: i32, total: i32) -> sqlx::Result<()> {
    sqlx::query!(
        "update jobs set progress_done = $2, progress_total = $3 where id = $1",
        id,
        done,
        total
    )
    .execute(db)
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn finish(db: impl PgExecutor<'_>, id: i64, error: Option<&str>) -> sqlx::Result<()> {
    sqlx::query!(
        "update jobs set state = case when $2::text is null then 'done' else 'failed' end,
                         error = $2, finished_at = now(),
                         progress_done = case when $2::text is null then progress_total else progress_done end
         where id = $1",
        id,
        error
    )
    .execute(db)
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn get(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<Job>> {
    sqlx::query_as!(
        Job,
        "select id, kind, payload, state, progress_done, progress_total, error, created_at, started_at, finished_at
         from jobs where id = $1",
        id
    )
    .fetch_optional(db)
    .await
}

/// The latest job of a kind (for "a retag is already running").
#[tracing::instrument(skip_all)]
pub async fn latest(db: impl PgExecutor<'_>, kind: &str) -> sqlx::Result<Option<Job>> {
    sqlx::query_as!(
        Job,
        "select id, kind, payload, state, progress_done, progress_total, error, created_at, started_at, finished_at
         from jobs where kind = $1 order by id desc limit 1",
        kind
    )
    .fetch_optional(db)
    .await
}

/// Jobs left running by a process that stopped: queue them again.
#[tracing::instrument(skip_all)]
pub async fn requeue_stale(db: impl PgExecutor<'_>, minutes: i32) -> sqlx::Result<u64> {
    let r = sqlx::query!(
        "update jobs set state = 'queued' where state = 'running'
         and updated_at < now() - make_interval(mins => $1)",
        minutes
    )
    .execute(db)
    .await?;
    Ok(r.rows_affected())
}

/// The newest job's id (0 when there is none).
#[tracing::instrument(skip_all)]
pub async fn max_id(db: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"select coalesce(max(id), 0) as "id!" from jobs"#)
        .fetch_one(db)
        .await
}

/// Queued jobs of `kinds` up to `up_to_id` (other than `except`) are done: a run that read
/// everything after they were queued did their work. Returns how many.
#[tracing::instrument(skip_all)]
pub async fn cover_queued(
    db: impl PgExecutor<'_>,
    kinds: &[&str],
    up_to_id: i64,
    except: Option<i64>,
) -> sqlx::Result<u64> {
    let kinds: Vec<String> = kinds.iter().map(|k| k.to_string()).collect();
    let r = sqlx::query!(
        "update jobs set state = 'done', finished_at = now(), progress_done = progress_total
         where state = 'queued' and kind = any($1) and id <= $2 and id is distinct from $3",
        &kinds,
        up_to_id,
        except
    )
    .execute(db)
    .await?;
    Ok(r.rows_affected())
}
