//! What the preview of a staged batch reads: its first rows, how many update existing items,
//! what matched nothing; and re-reading its ambiguous dates.

use sqlx::PgExecutor;
use time::OffsetDateTime;

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
