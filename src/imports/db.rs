//! Every SQL statement of CSV imports: batches, the staging table, what a commit changed, and
//! undoing it. Rows reach `feedback` and `accounts` through those features' own upserts.

use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;

use crate::accounts::{Lifecycle, NewAccount, Segment};

mod changes;
mod preview;
mod write;
pub use changes::*;
pub use preview::*;
pub use write::*;

/// A new batch, before its rows are staged.
pub struct NewBatch<'a> {
    pub kind: &'a str,
    pub filename: &'a str,
    pub format: &'a str,
    pub mapping: &'a serde_json::Value,
    pub user_id: i64,
    pub total_rows: i32,
    pub date_order: Option<&'a str>,
    pub dates_ambiguous: bool,
}

#[tracing::instrument(skip_all)]
pub async fn create_batch(db: impl PgExecutor<'_>, b: &NewBatch<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "insert into import_batches (kind, filename, format, mapping, user_id, total_rows, date_order, dates_ambiguous)
         values ($1, $2, $3, $4, $5, $6, $7, $8) returning id",
        b.kind,
        b.filename,
        b.format,
        b.mapping,
        b.user_id,
        b.total_rows,
        b.date_order,
        b.dates_ambiguous
    )
    .fetch_one(db)
    .await
}

/// Rows copied in this transaction belong to `batch_id` (see migration 0005).
#[tracing::instrument(skip_all)]
pub async fn set_batch_for_copy(db: impl PgExecutor<'_>, batch_id: i64) -> sqlx::Result<()> {
    sqlx::query_scalar!(
        r#"select set_config('goldthread.import_batch', $1, true) as "v!""#,
        batch_id.to_string()
    )
    .fetch_one(db)
    .await?;
    Ok(())
}

/// Stream prepared CSV (in `import_rows` column order, see [`FEEDBACK_COLUMNS`]) into staging.
#[tracing::instrument(skip_all)]
pub async fn copy_rows(conn: &mut PgConnection, columns: &str, csv: &[u8]) -> sqlx::Result<u64> {
    let mut copy = conn
        .copy_in_raw(&format!(
            "copy import_rows ({columns}) from stdin (format csv)"
        ))
        .await?;
    for chunk in csv.chunks(1 << 20) {
        copy.send(chunk).await?;
    }
    copy.finish().await
}

/// Start a COPY of CSV rows (in `columns` order) into staging; send chunks, then finish.
#[tracing::instrument(skip_all)]
pub async fn start_copy<'c>(
    conn: &'c mut PgConnection,
    columns: &str,
) -> sqlx::Result<sqlx::postgres::PgCopyIn<&'c mut PgConnection>> {
    conn.copy_in_raw(&format!(
        "copy import_rows ({columns}) from stdin (format csv)"
    ))
    .await
}

pub const FEEDBACK_COLUMNS: &str = "line, source, external_id, title, body, account_external_id, account_text, contact_email, reporter_email, received_at, received_at_alt, nps_score, metadata";
pub const ACCOUNT_COLUMNS: &str =
    "line, external_id, name, domain, arr_cents, currency, segment, plan, lifecycle";

#[derive(Debug, Clone)]
pub struct Batch {
    pub id: i64,
    pub kind: String,
    pub filename: String,
    pub format: String,
    pub mapping: serde_json::Value,
    pub user_id: Option<i64>,
    pub user_name: Option<String>,
    pub total_rows: i32,
    pub done_rows: i32,
    pub state: String,
    pub error: Option<String>,
    pub inserted_rows: Option<i32>,
    pub updated_rows: Option<i32>,
    pub created_at: OffsetDateTime,
    pub finished_at: Option<OffsetDateTime>,
    pub date_order: Option<String>,
    pub dates_ambiguous: bool,
    pub undone_at: Option<OffsetDateTime>,
    pub undone_by_name: Option<String>,
}

#[tracing::instrument(skip_all)]
pub async fn get_batch(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<Batch>> {
    sqlx::query_as!(
        Batch,
        r#"select b.id, b.kind, b.filename, b.format, b.mapping, b.user_id, u.name as "user_name?",
                  b.total_rows, b.done_rows, b.state, b.error, b.inserted_rows, b.updated_rows,
                  b.created_at, b.finished_at, b.date_order, b.dates_ambiguous, b.undone_at,
                  ub.name as "undone_by_name?"
           from import_batches b left join users u on u.id = b.user_id
           left join users ub on ub.id = b.undone_by where b.id = $1"#,
        id
    )
    .fetch_optional(db)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn recent_batches(db: impl PgExecutor<'_>, limit: i64) -> sqlx::Result<Vec<Batch>> {
    sqlx::query_as!(
        Batch,
        r#"select b.id, b.kind, b.filename, b.format, b.mapping, b.user_id, u.name as "user_name?",
                  b.total_rows, b.done_rows, b.state, b.error, b.inserted_rows, b.updated_rows,
                  b.created_at, b.finished_at, b.date_order, b.dates_ambiguous, b.undone_at,
                  ub.name as "undone_by_name?"
           from import_batches b left join users u on u.id = b.user_id
           left join users ub on ub.id = b.undone_by
           order by b.id desc limit $1"#,
        limit
    )
    .fetch_all(db)
    .await
}

/// Claim a staged batch for committing; false if it is not (or no longer) staged.
#[tracing::instrument(skip_all)]
pub async fn start_commit(db: impl PgExecutor<'_>, batch_id: i64) -> sqlx::Result<bool> {
    let r = sqlx::query!(
        "update import_batches set state = 'committing', done_rows = 0, heartbeat_at = now()
         where id = $1 and state = 'staged'",
        batch_id
    )
    .execute(db)
    .await?;
    Ok(r.rows_affected() == 1)
}

#[tracing::instrument(skip_all)]
pub async fn line_range(db: impl PgExecutor<'_>, batch_id: i64) -> sqlx::Result<(i64, i64)> {
    let r = sqlx::query!(
        r#"select coalesce(min(line), 0) as "lo!", coalesce(max(line), -1) as "hi!" from import_rows where batch_id = $1"#,
        batch_id
    )
    .fetch_one(db)
    .await?;
    Ok((r.lo, r.hi))
}

/// Staged account lines `[from, to)`.
#[tracing::instrument(skip_all)]
pub async fn staged_accounts(
    db: impl PgExecutor<'_>,
    batch_id: i64,
    from: i64,
    to: i64,
) -> sqlx::Result<Vec<NewAccount>> {
    let rows = sqlx::query!(
        r#"select external_id as "external_id!", name as "name!", domain, arr_cents, currency,
                  segment, plan, lifecycle
           from import_rows where batch_id = $1 and line >= $2 and line < $3 order by line"#,
        batch_id,
        from,
        to
    )
    .fetch_all(db)
    .await?;
    let decode = |e: crate::accounts::UnknownValue| sqlx::Error::Decode(Box::new(e));
    rows.into_iter()
        .map(|r| {
            Ok(NewAccount {
                external_id: r.external_id,
                name: r.name,
                domain: r.domain,
                arr_cents: r.arr_cents,
                currency: r.currency.unwrap_or_else(|| "USD".into()),
                segment: r
                    .segment
                    .map(|s| s.parse::<Segment>())
                    .transpose()
                    .map_err(decode)?,
                plan: r.plan,
                lifecycle: match r.lifecycle {
                    Some(l) => l.parse::<Lifecycle>().map_err(decode)?,
                    None => Lifecycle::Customer,
                },
            })
        })
        .collect()
}

#[tracing::instrument(skip_all)]
pub async fn set_progress(db: impl PgExecutor<'_>, batch_id: i64, done: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "update import_batches set done_rows = $2, heartbeat_at = now() where id = $1",
        batch_id,
        done as i32
    )
    .execute(db)
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn finish(
    db: impl PgExecutor<'_>,
    batch_id: i64,
    state: &str,
    error: Option<&str>,
    inserted: Option<i64>,
    updated: Option<i64>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update import_batches set state = $2, error = $3, inserted_rows = $4, updated_rows = $5, finished_at = now(),
                done_rows = case when $2 = 'committed' then total_rows else done_rows end
         where id = $1",
        batch_id,
        state,
        error,
        inserted.map(|n| n as i32),
        updated.map(|n| n as i32)
    )
    .execute(db)
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn delete_rows(db: impl PgExecutor<'_>, batch_id: i64) -> sqlx::Result<()> {
    sqlx::query!("delete from import_rows where batch_id = $1", batch_id)
        .execute(db)
        .await?;
    Ok(())
}

/// Settings for a commit's transaction: a larger GIN pending list batches the full-text index
/// updates of many rows (as `goldthread generate` does), and a range's sort into time order
/// stays in memory (with the default 4 MB it spilled 6 MB to disk per 25,000 rows).
#[tracing::instrument(skip_all)]
pub async fn bulk_settings(db: impl PgExecutor<'_>) -> sqlx::Result<()> {
    sqlx::query!(
        r#"select set_config('gin_pending_list_limit', '65536', true) as "gin!",
                  set_config('work_mem', '64MB', true) as "work_mem!""#
    )
    .fetch_one(db)
    .await?;
    Ok(())
}

/// The advisory-lock class of import commits (the second key is the batch id).
const COMMIT_LOCK: i32 = 0x1e01;

/// Taken first in a commit's transaction and held until it ends: while it is held, the batch is
/// being committed by a live process.
#[tracing::instrument(skip_all)]
pub async fn lock_for_commit(db: impl PgExecutor<'_>, batch_id: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "select pg_advisory_xact_lock($1, ($2::bigint & 2147483647)::int)",
        COMMIT_LOCK,
        batch_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Batches whose commit stopped with its process: still 'committing', but no transaction holds
/// their lock and no progress was written for `stale_secs`. Their transaction rolled back.
/// Safe with several processes: a commit running elsewhere holds its lock.
#[tracing::instrument(skip_all)]
pub async fn fail_interrupted(db: impl PgExecutor<'_>, stale_secs: i32) -> sqlx::Result<u64> {
    Ok(sqlx::query!(
        "update import_batches set state = 'failed', finished_at = now(),
                error = 'Interrupted by a restart before it finished; nothing from this file was written. Import it again.'
         where state = 'committing'
           and coalesce(heartbeat_at, created_at) < now() - make_interval(secs => $1)
           and pg_try_advisory_xact_lock($2, (id & 2147483647)::int)",
        f64::from(stale_secs),
        COMMIT_LOCK
    )
    .execute(db)
    .await?
    .rows_affected())
}
