//! Every SQL statement of CSV imports: batches, the staging table, and committing.

use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;

pub async fn create_batch(
    db: impl PgExecutor<'_>,
    kind: &str,
    filename: &str,
    format: &str,
    mapping: &serde_json::Value,
    user_id: i64,
    total_rows: i32,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "insert into import_batches (kind, filename, format, mapping, user_id, total_rows)
         values ($1, $2, $3, $4, $5, $6) returning id",
        kind,
        filename,
        format,
        mapping,
        user_id,
        total_rows
    )
    .fetch_one(db)
    .await
}

/// Rows copied in this transaction belong to `batch_id` (see migration 0005).
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

pub const FEEDBACK_COLUMNS: &str = "line, source, external_id, title, body, account_external_id, company_domain, contact_email, received_at, nps_score, metadata";
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
}

pub async fn get_batch(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<Batch>> {
    sqlx::query_as!(
        Batch,
        r#"select b.id, b.kind, b.filename, b.format, b.mapping, b.user_id, u.name as "user_name?",
                  b.total_rows, b.done_rows, b.state, b.error, b.inserted_rows, b.updated_rows,
                  b.created_at, b.finished_at
           from import_batches b left join users u on u.id = b.user_id where b.id = $1"#,
        id
    )
    .fetch_optional(db)
    .await
}

pub async fn recent_batches(db: impl PgExecutor<'_>, limit: i64) -> sqlx::Result<Vec<Batch>> {
    sqlx::query_as!(
        Batch,
        r#"select b.id, b.kind, b.filename, b.format, b.mapping, b.user_id, u.name as "user_name?",
                  b.total_rows, b.done_rows, b.state, b.error, b.inserted_rows, b.updated_rows,
                  b.created_at, b.finished_at
           from import_batches b left join users u on u.id = b.user_id
           order by b.id desc limit $1"#,
        limit
    )
    .fetch_all(db)
    .await
}

/// The first rows of a staged batch, as the preview shows them.
pub async fn preview_rows(
    db: impl PgExecutor<'_>,
    batch_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<PreviewRow>> {
    sqlx::query_as!(
        PreviewRow,
        r#"select line, source, external_id, title, body, account_external_id, company_domain, contact_email,
                  received_at, nps_score, name, domain, arr_cents, currency, segment, plan, lifecycle
           from import_rows where batch_id = $1 order by line limit $2"#,
        batch_id,
        limit
    )
    .fetch_all(db)
    .await
}

#[derive(Debug, Clone)]
pub struct PreviewRow {
    pub line: i64,
    pub source: Option<String>,
    pub external_id: Option<String>,
    pub title: Option<String>,
    pub body: Option<String>,
    pub account_external_id: Option<String>,
    pub company_domain: Option<String>,
    pub contact_email: Option<String>,
    pub received_at: Option<OffsetDateTime>,
    pub nps_score: Option<i16>,
    pub name: Option<String>,
    pub domain: Option<String>,
    pub arr_cents: Option<i64>,
    pub currency: Option<String>,
    pub segment: Option<String>,
    pub plan: Option<String>,
    pub lifecycle: Option<String>,
}

/// How many staged rows will update an existing record (the rest are new).
pub async fn count_updates(
    db: impl PgExecutor<'_>,
    batch_id: i64,
    kind: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"select count(*) as "n!" from import_rows r
           where r.batch_id = $1 and (
             ($2 = 'feedback' and r.external_id is not null and exists
                (select 1 from feedback f where f.source = r.source and f.external_id = r.external_id))
             or ($2 = 'accounts' and exists (select 1 from accounts a where a.external_id = r.external_id)))"#,
        batch_id,
        kind
    )
    .fetch_one(db)
    .await
}

/// Claim a staged batch for committing; false if it is not (or no longer) staged.
pub async fn start_commit(db: impl PgExecutor<'_>, batch_id: i64) -> sqlx::Result<bool> {
    let r = sqlx::query!(
        "update import_batches set state = 'committing', done_rows = 0 where id = $1 and state = 'staged'",
        batch_id
    )
    .execute(db)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn line_range(db: impl PgExecutor<'_>, batch_id: i64) -> sqlx::Result<(i64, i64)> {
    let r = sqlx::query!(
        r#"select coalesce(min(line), 0) as "lo!", coalesce(max(line), -1) as "hi!" from import_rows where batch_id = $1"#,
        batch_id
    )
    .fetch_one(db)
    .await?;
    Ok((r.lo, r.hi))
}

/// Move staged feedback lines `[from, to)` into `feedback`; returns (inserted, updated, ids written).
pub async fn commit_feedback_chunk(
    db: impl PgExecutor<'_>,
    batch_id: i64,
    reporter_id: Option<i64>,
    from: i64,
    to: i64,
) -> sqlx::Result<(i64, i64, Vec<i64>)> {
    let r = sqlx::query!(
        r#"with written as (
             insert into feedback (source, external_id, title, body, account_id, contact_email, reporter_id,
                                   received_at, nps_score, arr_cents_snapshot, currency_snapshot, metadata)
             select r.source, r.external_id, r.title, r.body, a.id, r.contact_email, $2,
                    coalesce(r.received_at, now()), r.nps_score, a.arr_cents, a.currency, coalesce(r.metadata, '{}')
             from import_rows r
             left join lateral (
                 select id, arr_cents, currency from accounts
                 where (r.account_external_id is not null and external_id = r.account_external_id)
                    or (r.account_external_id is null and r.company_domain is not null and domain = r.company_domain)
                 order by (external_id = r.account_external_id) desc nulls last, arr_cents desc nulls last
                 limit 1
             ) a on true
             where r.batch_id = $1 and r.line >= $3 and r.line < $4
             order by r.line
             on conflict (source, external_id) do update set
                 title = excluded.title, body = excluded.body, account_id = excluded.account_id,
                 contact_email = excluded.contact_email, received_at = excluded.received_at,
                 nps_score = excluded.nps_score, arr_cents_snapshot = excluded.arr_cents_snapshot,
                 currency_snapshot = excluded.currency_snapshot, metadata = excluded.metadata,
                 archived_at = null
             returning id, (xmax = 0) as inserted
           )
           select count(*) filter (where inserted) as "inserted!", count(*) filter (where not inserted) as "updated!",
                  coalesce(array_agg(id), '{}') as "ids!"
           from written"#,
        batch_id,
        reporter_id,
        from,
        to
    )
    .fetch_one(db)
    .await?;
    Ok((r.inserted, r.updated, r.ids))
}

/// Move staged account lines `[from, to)` into `accounts` (upsert by external id).
pub async fn commit_accounts_chunk(
    db: impl PgExecutor<'_>,
    batch_id: i64,
    from: i64,
    to: i64,
) -> sqlx::Result<(i64, i64)> {
    let r = sqlx::query!(
        r#"with written as (
             insert into accounts (external_id, name, domain, arr_cents, currency, segment, plan, lifecycle)
             select r.external_id, r.name, r.domain, r.arr_cents, coalesce(r.currency, 'USD'),
                    r.segment, r.plan, coalesce(r.lifecycle, 'customer')
             from import_rows r
             where r.batch_id = $1 and r.line >= $2 and r.line < $3
             order by r.line
             on conflict (external_id) do update set
                 name = excluded.name, domain = excluded.domain, arr_cents = excluded.arr_cents,
                 currency = excluded.currency, segment = excluded.segment, plan = excluded.plan,
                 lifecycle = excluded.lifecycle
             returning (xmax = 0) as inserted
           )
           select count(*) filter (where inserted) as "inserted!", count(*) filter (where not inserted) as "updated!"
           from written"#,
        batch_id,
        from,
        to
    )
    .fetch_one(db)
    .await?;
    Ok((r.inserted, r.updated))
}

pub async fn set_progress(db: impl PgExecutor<'_>, batch_id: i64, done: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "update import_batches set done_rows = $2 where id = $1",
        batch_id,
        done as i32
    )
    .execute(db)
    .await?;
    Ok(())
}

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

pub async fn delete_rows(db: impl PgExecutor<'_>, batch_id: i64) -> sqlx::Result<()> {
    sqlx::query!("delete from import_rows where batch_id = $1", batch_id)
        .execute(db)
        .await?;
    Ok(())
}

/// Batches that were committing when the process stopped: their transaction rolled back.
pub async fn fail_interrupted(db: impl PgExecutor<'_>) -> sqlx::Result<u64> {
    Ok(sqlx::query!(
        "update import_batches set state = 'failed', finished_at = now(),
                error = 'Interrupted by a restart before it finished; nothing from this file was written. Import it again.'
         where state = 'committing'"
    )
    .execute(db)
    .await?
    .rows_affected())
}
