//! Every SQL statement of CSV imports: batches, the staging table, what a commit changed, and
//! undoing it. Rows reach `feedback` and `accounts` through those features' own upserts.

use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;

use crate::accounts::{Lifecycle, NewAccount, Segment};
use crate::feedback::{NewFeedback, Source};

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

/// The first rows of a staged batch, as the preview shows them.
#[tracing::instrument(skip_all)]
pub async fn preview_rows(
    db: impl PgExecutor<'_>,
    batch_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<PreviewRow>> {
    sqlx::query_as!(
        PreviewRow,
        r#"select r.line, r.source, r.external_id, r.title, r.body, r.account_external_id,
                  a.name as "account_name?", r.account_text, r.contact_email, r.reporter_email,
                  u.name as "reporter_name?", r.received_at, r.nps_score, r.name, r.domain,
                  r.arr_cents, r.currency, r.segment, r.plan, r.lifecycle
           from import_rows r
           left join accounts a on a.external_id = r.account_external_id and r.source is not null
           left join users u on u.email = r.reporter_email
           where r.batch_id = $1 order by r.line limit $2"#,
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
    pub account_name: Option<String>,
    pub account_text: Option<String>,
    pub contact_email: Option<String>,
    pub reporter_email: Option<String>,
    pub reporter_name: Option<String>,
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
#[tracing::instrument(skip_all)]
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
#[tracing::instrument(skip_all)]
pub async fn start_commit(db: impl PgExecutor<'_>, batch_id: i64) -> sqlx::Result<bool> {
    let r = sqlx::query!(
        "update import_batches set state = 'committing', done_rows = 0 where id = $1 and state = 'staged'",
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

/// Staged feedback lines `[from, to)`, as items with their reporters' emails.
#[tracing::instrument(skip_all)]
pub async fn staged_feedback(
    db: impl PgExecutor<'_>,
    batch_id: i64,
    from: i64,
    to: i64,
) -> sqlx::Result<(Vec<NewFeedback>, Vec<Option<String>>)> {
    let rows = sqlx::query!(
        r#"select source as "source!", external_id, title, body as "body!", account_external_id,
                  contact_email, reporter_email, received_at, nps_score, metadata
           from import_rows where batch_id = $1 and line >= $2 and line < $3 order by line"#,
        batch_id,
        from,
        to
    )
    .fetch_all(db)
    .await?;
    let mut items = Vec::with_capacity(rows.len());
    let mut reporters = Vec::with_capacity(rows.len());
    for r in rows {
        let source = r
            .source
            .parse::<Source>()
            .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
        items.push(NewFeedback {
            source,
            body: r.body,
            external_id: r.external_id,
            title: r.title,
            account_external_id: r.account_external_id,
            contact_email: r.contact_email,
            received_at: r.received_at,
            nps_score: r.nps_score,
            metadata: r.metadata.unwrap_or_else(|| serde_json::json!({})),
        });
        reporters.push(r.reporter_email);
    }
    Ok((items, reporters))
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
                arr_cents: r.arr_cents.unwrap_or(0),
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

/// Before an import writes `items`, keep how the ones that exist are now (for undo).
#[tracing::instrument(skip_all)]
pub async fn record_before(
    db: impl PgExecutor<'_>,
    batch_id: i64,
    items: &[NewFeedback],
) -> sqlx::Result<u64> {
    let (sources, ids): (Vec<String>, Vec<String>) = items
        .iter()
        .filter_map(|i| Some((i.source.as_str().to_owned(), i.external_id.clone()?)))
        .unzip();
    let done = sqlx::query!(
        r#"insert into import_changes (batch_id, feedback_id, before)
           select $1, f.id, jsonb_build_object(
                    'title', f.title, 'body', f.body, 'account_id', f.account_id,
                    'contact_email', f.contact_email, 'reporter_id', f.reporter_id,
                    'received_at', f.received_at, 'nps_score', f.nps_score,
                    'arr_cents_snapshot', f.arr_cents_snapshot,
                    'currency_snapshot', f.currency_snapshot, 'metadata', f.metadata,
                    'archived_at', f.archived_at)
           from unnest($2::text[], $3::text[]) as t(source, external_id)
           join feedback f on f.source = t.source and f.external_id = t.external_id
           on conflict do nothing"#,
        batch_id,
        &sources,
        &ids
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// After an import wrote items, note the ones it created (those without a before-state).
#[tracing::instrument(skip_all)]
pub async fn record_created(
    db: impl PgExecutor<'_>,
    batch_id: i64,
    feedback_ids: &[i64],
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into import_changes (batch_id, feedback_id, before)
         select $1, id, null from unnest($2::bigint[]) as id
         on conflict do nothing",
        batch_id,
        feedback_ids
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Lines whose account, as the file names it, matched no account: (line, what the file said).
#[tracing::instrument(skip_all)]
pub async fn unmatched_accounts(
    db: impl PgExecutor<'_>,
    batch_id: i64,
    limit: i64,
) -> sqlx::Result<(i64, Vec<(i64, String)>)> {
    let rows = sqlx::query!(
        r#"select line, account_text as "account_text!", count(*) over () as "total!"
           from import_rows
           where batch_id = $1 and account_text is not null and account_external_id is null
           order by line limit $2"#,
        batch_id,
        limit
    )
    .fetch_all(db)
    .await?;
    let total = rows.first().map_or(0, |r| r.total);
    Ok((
        total,
        rows.into_iter().map(|r| (r.line, r.account_text)).collect(),
    ))
}

/// Reporter emails in the staged rows that belong to no user (they will stay empty).
#[tracing::instrument(skip_all)]
pub async fn unmatched_reporters(
    db: impl PgExecutor<'_>,
    batch_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        r#"select distinct r.reporter_email as "email!" from import_rows r
           where r.batch_id = $1 and r.reporter_email is not null
             and not exists (select 1 from users u where u.email = r.reporter_email)
           order by 1 limit $2"#,
        batch_id,
        limit
    )
    .fetch_all(db)
    .await
}

/// Read the batch's ambiguous dates the other way round (swapping each with its other reading).
#[tracing::instrument(skip_all)]
pub async fn set_date_order(
    db: impl PgExecutor<'_>,
    batch_id: i64,
    order: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        r#"with batch as (
             update import_batches set date_order = $2
             where id = $1 and state = 'staged' and dates_ambiguous and date_order is distinct from $2
             returning id
           )
           update import_rows r set received_at = r.received_at_alt, received_at_alt = r.received_at
           from batch where r.batch_id = batch.id and r.received_at_alt is not null"#,
        batch_id,
        order
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// What undoing a batch would do: (items to archive, items to restore).
#[tracing::instrument(skip_all)]
pub async fn undo_counts(db: impl PgExecutor<'_>, batch_id: i64) -> sqlx::Result<(i64, i64)> {
    let r = sqlx::query!(
        r#"select count(*) filter (where before is null) as "created!",
                  count(*) filter (where before is not null) as "updated!"
           from import_changes where batch_id = $1"#,
        batch_id
    )
    .fetch_one(db)
    .await?;
    Ok((r.created, r.updated))
}

/// A later import, still in force, that wrote some of the same items: (id, file name).
#[tracing::instrument(skip_all)]
pub async fn later_overlapping_import(
    db: impl PgExecutor<'_>,
    batch_id: i64,
) -> sqlx::Result<Option<(i64, String)>> {
    let r = sqlx::query!(
        r#"select b.id, b.filename from import_batches b
           where b.id > $1 and b.state = 'committed' and b.undone_at is null
             and exists (select 1 from import_changes later
                         join import_changes mine on mine.feedback_id = later.feedback_id and mine.batch_id = $1
                         where later.batch_id = b.id)
           order by b.id desc limit 1"#,
        batch_id
    )
    .fetch_optional(db)
    .await?;
    Ok(r.map(|r| (r.id, r.filename)))
}

/// Mark a committed batch undone by `user_id`; false when it is not a committed, standing one.
#[tracing::instrument(skip_all)]
pub async fn claim_undo(
    db: impl PgExecutor<'_>,
    batch_id: i64,
    user_id: Option<i64>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "update import_batches set undone_at = now(), undone_by = $2
         where id = $1 and state = 'committed' and kind = 'feedback' and undone_at is null",
        batch_id,
        user_id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Archive the items the batch created; returns their ids.
#[tracing::instrument(skip_all)]
pub async fn archive_created(db: impl PgExecutor<'_>, batch_id: i64) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar!(
        "update feedback f set archived_at = coalesce(f.archived_at, now())
         from import_changes c
         where c.batch_id = $1 and c.before is null and c.feedback_id = f.id
         returning f.id",
        batch_id
    )
    .fetch_all(db)
    .await
}

/// Put the items the batch updated back as they were before it; returns their ids.
#[tracing::instrument(skip_all)]
pub async fn restore_updated(db: impl PgExecutor<'_>, batch_id: i64) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar!(
        r#"update feedback f set
               title = c.before->>'title',
               body = c.before->>'body',
               account_id = (c.before->>'account_id')::bigint,
               contact_email = c.before->>'contact_email',
               reporter_id = (c.before->>'reporter_id')::bigint,
               received_at = (c.before->>'received_at')::timestamptz,
               nps_score = (c.before->>'nps_score')::int2,
               arr_cents_snapshot = (c.before->>'arr_cents_snapshot')::bigint,
               currency_snapshot = c.before->>'currency_snapshot',
               metadata = c.before->'metadata',
               archived_at = (c.before->>'archived_at')::timestamptz
           from import_changes c
           where c.batch_id = $1 and c.before is not null and c.feedback_id = f.id
           returning f.id"#,
        batch_id
    )
    .fetch_all(db)
    .await
}

#[tracing::instrument(skip_all)]
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

/// Batches that were committing when the process stopped: their transaction rolled back.
#[tracing::instrument(skip_all)]
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
