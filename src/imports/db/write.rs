//! Committing staged feedback rows set-based: one statement per range of lines moves them from
//! `import_rows` into `feedback` and records what it changed (for undo), with no round trip of
//! the rows through the app (#14).

use sqlx::PgExecutor;
use time::OffsetDateTime;

/// A staged row's place in time order: its date (none sorts last: it means "now") and line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeKey {
    pub received_at: Option<OffsetDateTime>,
    pub line: i64,
}

impl TimeKey {
    /// After every staged row.
    pub const END: TimeKey = TimeKey {
        received_at: None,
        line: i64::MAX,
    };
}

/// Where each range of `rows` staged feedback rows starts, in time order.
#[tracing::instrument(skip_all)]
pub async fn time_ranges(
    db: impl PgExecutor<'_>,
    batch_id: i64,
    rows: i64,
) -> sqlx::Result<Vec<TimeKey>> {
    sqlx::query_as!(
        TimeKey,
        r#"select received_at, line as "line!" from (
               select received_at, line,
                      row_number() over (order by coalesce(received_at, 'infinity'::timestamptz), line) as n
               from import_rows where batch_id = $1
           ) x
           where n % $2 = 1 order by n"#,
        batch_id,
        rows
    )
    .fetch_all(db)
    .await
}

/// What one range of lines wrote: each item's id, and whether the import created it.
#[derive(Debug, Clone, Copy)]
pub struct WrittenItem {
    pub id: i64,
    pub created: bool,
}

/// Write the staged feedback rows `[from, to)` (in time order) of a batch: insert each, or update the earlier copy
/// with the same source and external id (un-archiving it), with the same rules as
/// `crate::feedback::db::upsert_many` (whose statement this follows, `Reporters::ByEmail`: an
/// email that is no user's leaves an updated item's reporter as it was; a repeat that gives no
/// date keeps the item's date), and the ARR snapshot taken set-based as migration 0012's row
/// trigger takes it, at the date the item ends up with.
/// Each item written goes to `import_changes`, with how it was before when it was updated.
///
/// The transaction must have called `feedback::db::skip_arr_snapshot_trigger`.
#[tracing::instrument(skip_all)]
pub async fn write_staged_feedback(
    db: impl PgExecutor<'_>,
    batch_id: i64,
    from: TimeKey,
    to: TimeKey,
) -> sqlx::Result<Vec<WrittenItem>> {
    let rows = sqlx::query!(
        r#"with staged as materialized (
               select r.line, r.source, r.external_id, r.title, r.body, r.account_external_id,
                      r.contact_email, r.reporter_email, r.received_at, r.nps_score,
                      coalesce(r.metadata, '{}'::jsonb) as metadata
               from import_rows r
               where r.batch_id = $1
                 and (coalesce(r.received_at, 'infinity'::timestamptz), r.line)
                     >= (coalesce($2::timestamptz, 'infinity'::timestamptz), $3::bigint)
                 and (coalesce(r.received_at, 'infinity'::timestamptz), r.line)
                     < (coalesce($4::timestamptz, 'infinity'::timestamptz), $5::bigint)
           ),
           -- Each account's ARR history as ranges: the value valid from `valid_from` until the
           -- next one; the first also covers everything before it (the earliest known).
           history as materialized (
               select x.account_id, x.arr_cents, x.currency,
                      case when row_number() over w = 1 then '-infinity'::timestamptz
                           else x.valid_from end as valid_from,
                      coalesce(lead(x.valid_from) over w, 'infinity'::timestamptz) as valid_to
               from account_arr_history x
               where x.account_id in (select a.id from accounts a
                                      where a.external_id in (select account_external_id from staged))
               window w as (partition by x.account_id order by x.valid_from, x.id)
           ),
           written as (
               insert into feedback (source, external_id, title, body, account_id, contact_email,
                                     reporter_id, received_at, nps_score, arr_cents_snapshot,
                                     currency_snapshot, metadata)
               select s.source, s.external_id, s.title, s.body, a.id, s.contact_email, u.id,
                      coalesce(s.received_at, now()), s.nps_score,
                      case when h.account_id is not null then h.arr_cents else a.arr_cents end,
                      case when h.account_id is not null then h.currency else a.currency end,
                      s.metadata
               from staged s
               left join accounts a on a.external_id = s.account_external_id
               left join users u on u.email = lower(s.reporter_email)
               -- The date the item will have: a repeat without one keeps the item's own (the
               -- lookup runs only for rows without a date), so the snapshot is the one the row
               -- trigger would take.
               cross join lateral (
                   select coalesce(s.received_at,
                                   (select o.received_at from feedback o
                                    where o.source = s.source and o.external_id = s.external_id),
                                   now()) as at
               ) d
               left join history h on h.account_id = a.id and d.at >= h.valid_from and d.at < h.valid_to
               -- In time order, the inserts into the time indexes (four of them) land next
               -- to each other instead of all over: twice as fast as file order at 1M rows.
               order by coalesce(s.received_at, now()), s.line
               on conflict (source, external_id) do update set
                   title = excluded.title, body = excluded.body, account_id = excluded.account_id,
                   contact_email = excluded.contact_email,
                   received_at = case when excluded.received_at = now() then feedback.received_at
                                      else excluded.received_at end,
                   nps_score = excluded.nps_score, arr_cents_snapshot = excluded.arr_cents_snapshot,
                   currency_snapshot = excluded.currency_snapshot, metadata = excluded.metadata,
                   reporter_id = coalesce(excluded.reporter_id, feedback.reporter_id),
                   archived_at = null
               returning feedback.id, (xmax = 0) as created
           ),
           -- Every part of one statement reads the table as it was before the statement, so
           -- joining what was written back to `feedback` reads each updated item as it was.
           changes as (
               insert into import_changes (batch_id, feedback_id, before)
               select $1, w.id, case when w.created then null else jsonb_build_object(
                        'title', f.title, 'body', f.body, 'account_id', f.account_id,
                        'contact_email', f.contact_email, 'reporter_id', f.reporter_id,
                        'received_at', f.received_at, 'nps_score', f.nps_score,
                        'arr_cents_snapshot', f.arr_cents_snapshot,
                        'currency_snapshot', f.currency_snapshot, 'metadata', f.metadata,
                        'archived_at', f.archived_at) end
               from written w left join feedback f on not w.created and f.id = w.id
               on conflict do nothing
           )
           select id as "id!", created as "created!" from written"#,
        batch_id,
        from.received_at,
        from.line,
        to.received_at,
        to.line
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| WrittenItem {
            id: r.id,
            created: r.created,
        })
        .collect())
}
