//! Every SQL statement about feedback items.

use sqlx::PgExecutor;
use time::OffsetDateTime;

use super::NewFeedback;
use super::query::{Cursor, Filter};

mod export;
mod search;
mod upsert;
pub use export::{
    ExportConn, ExportedFeedback, ExportedTag, OrderedTag, all_live_tags, export, live_tags,
    shared_snapshot,
};
pub use search::{RANKED_MATCHES, named_accounts};
pub use upsert::{Reporters, Written, skip_arr_snapshot_trigger, upsert_many};

/// A feedback item as lists show it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FeedbackRow {
    pub id: i64,
    pub source: String,
    pub external_id: Option<String>,
    pub title: Option<String>,
    pub body: String,
    pub account_id: Option<i64>,
    pub account_name: Option<String>,
    pub account_external_id: Option<String>,
    pub contact_email: Option<String>,
    pub reporter_id: Option<i64>,
    pub reporter_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    pub nps_score: Option<i16>,
    pub arr_cents_snapshot: Option<i64>,
    pub currency_snapshot: Option<String>,
}

/// Build a [`FeedbackRow`] from a query record that selects its fields under the same names.
macro_rules! feedback_row {
    ($r:ident) => {
        FeedbackRow {
            id: $r.id,
            source: $r.source,
            external_id: $r.external_id,
            title: $r.title,
            body: $r.body,
            account_id: $r.account_id,
            account_name: $r.account_name,
            account_external_id: $r.account_external_id,
            contact_email: $r.contact_email,
            reporter_id: $r.reporter_id,
            reporter_name: $r.reporter_name,
            received_at: $r.received_at,
            nps_score: $r.nps_score,
            arr_cents_snapshot: $r.arr_cents_snapshot,
            currency_snapshot: $r.currency_snapshot,
        }
    };
}

/// A [`ListedFeedback`] (no rank, no excerpt) from a record selecting its fields by name.
macro_rules! listed {
    ($r:ident) => {
        ListedFeedback {
            item: feedback_row!($r),
            reporter_email: $r.reporter_email,
            metadata: $r.metadata,
            rank: None,
            headline: None,
        }
    };
}

/// A row of a filtered list: the item, plus its search rank and highlighted excerpt when searching.
#[derive(Debug, Clone)]
pub struct ListedFeedback {
    pub item: FeedbackRow,
    pub reporter_email: Option<String>,
    pub metadata: serde_json::Value,
    pub rank: Option<f32>,
    /// The matching excerpt, with matches between `\u{2}` and `\u{3}` (escaped and marked up by the page).
    pub headline: Option<String>,
}

pub const MARK_START: char = '\u{2}';
pub const MARK_END: char = '\u{3}';

/// A page of the feedback list.
#[derive(Debug, Clone)]
pub struct Listing {
    pub rows: Vec<ListedFeedback>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Cursor>,
    /// A search matched more than [`RANKED_MATCHES`] items: its newest matches come best match
    /// first, then the older ones newest first.
    pub ranked_newest: bool,
}

impl Listing {
    /// A page of `rows` (a full page has `limit`): the next one starts after its last row, by
    /// rank if that row was ranked (among the matches from `since` on), else by time.
    fn new(
        rows: Vec<ListedFeedback>,
        limit: i64,
        since: Option<(OffsetDateTime, i64)>,
        ranked_newest: bool,
    ) -> Listing {
        let next = ((rows.len() as i64) >= limit)
            .then(|| rows.last())
            .flatten()
            .map(|last| match last.rank {
                Some(rank) => Cursor::Rank {
                    rank,
                    id: last.item.id,
                    since,
                },
                None => Cursor::Time {
                    received_at: last.item.received_at,
                    id: last.item.id,
                },
            });
        Listing {
            rows,
            next,
            ranked_newest,
        }
    }
}

/// One page of feedback matching `filter`, newest first, reading `limit` rows past the cursor;
/// a search (`filter.q`) lists its matches as [`search::search`] says.
#[tracing::instrument(skip_all)]
pub async fn list(
    pool: &sqlx::PgPool,
    filter: &Filter,
    cursor: Option<Cursor>,
    limit: i64,
) -> sqlx::Result<Listing> {
    if let Some(q) = &filter.q {
        return search::search(pool, filter, q, cursor, limit).await;
    }
    let rows = list_by_time(pool, filter, cursor, limit).await?;
    Ok(Listing::new(rows, limit, None, false))
}

async fn list_by_time(
    db: impl PgExecutor<'_> + Copy,
    filter: &Filter,
    cursor: Option<Cursor>,
    limit: i64,
) -> sqlx::Result<Vec<ListedFeedback>> {
    let (nps_min, nps_max) = filter.nps.map(|b| b.range()).unzip();
    let source = filter.source.map(|s| s.as_str());
    let segment = filter.segment.map(|s| s.as_str());
    let lifecycle = filter.lifecycle.map(|s| s.as_str());
    let (before_at, before_id) = match cursor {
        Some(Cursor::Time { received_at, id }) => (Some(received_at), Some(id)),
        _ => (None, None),
    };
    if let Some(theme_id) = filter.theme_id
        && theme_is_common(db, theme_id).await?
    {
        // A common theme as a plain `exists` (not behind `$n is null or`, which leaves it a
        // subplan that hashes every tag of the theme, 231,815 of them for a large theme at 1M
        // items, for one page): a semi-join the planner walks in page order, the time index
        // probing each item's live tag (feedback_themes_live_idx) until the page is full. A rare
        // theme takes the general query below: probing costs far more per item walked than the
        // hashed subplan's lookup, and a rare theme's page walks many items.
        let rows = sqlx::query!(
            r#"select f.id, f.source, f.external_id, f.title, f.body, f.account_id,
                      a.name as "account_name?", a.external_id as "account_external_id?",
                      f.contact_email, f.reporter_id, u.name as "reporter_name?", u.email as "reporter_email?",
                      f.received_at, f.nps_score, f.arr_cents_snapshot, f.currency_snapshot, f.metadata
               from feedback f
               left join accounts a on a.id = f.account_id
               left join users u on u.id = f.reporter_id
               where exists (select 1 from feedback_themes ft
                             where ft.feedback_id = f.id and ft.theme_id = $15 and ft.state <> 'rejected')
                 and (f.archived_at is not null) = $16::bool
                 and ($1::text is null or f.source = $1)
                 and ($13::text is null
                      or f.account_id in (select id from accounts where external_id = $13 or id = $2))
                 and ($3::text is null or a.segment = $3)
                 and ($4::text is null or a.lifecycle = $4)
                 and ($5::timestamptz is null or f.received_at >= $5)
                 and ($6::timestamptz is null or f.received_at < $6)
                 and ($7::int2 is null or f.nps_score between $7 and $8)
                 and ($9::bigint is null or f.reporter_id = $9)
                 and ($10::timestamptz is null or (f.received_at, f.id) < ($10, $11))
                 and ($14::bigint is null or f.id in (select c.feedback_id from import_changes c where c.batch_id = $14))
                 and (not $17::bool or not exists (select 1 from feedback_themes ft
                      where ft.feedback_id = f.id and ft.state <> 'rejected'))
               order by f.received_at desc, f.id desc
               limit $12"#,
            source,
            filter.account_id,
            segment,
            lifecycle,
            filter.from,
            filter.until,
            nps_min,
            nps_max,
            filter.reporter_id,
            before_at,
            before_id,
            limit,
            filter.account_external_id,
            filter.import_id,
            theme_id,
            filter.archived,
            filter.untagged
        )
        .fetch_all(db)
        .await?;
        return Ok(rows.into_iter().map(|r| listed!(r)).collect());
    }
    let rows = sqlx::query!(
        r#"select f.id, f.source, f.external_id, f.title, f.body, f.account_id,
                  a.name as "account_name?", a.external_id as "account_external_id?",
                  f.contact_email, f.reporter_id, u.name as "reporter_name?", u.email as "reporter_email?",
                  f.received_at, f.nps_score, f.arr_cents_snapshot, f.currency_snapshot, f.metadata
           from feedback f
           left join accounts a on a.id = f.account_id
           left join users u on u.id = f.reporter_id
           where (f.archived_at is not null) = $17::bool
             and ($1::text is null or f.source = $1)
             and ($13::text is null
                  or f.account_id in (select id from accounts where external_id = $13 or id = $2))
             and ($3::text is null or a.segment = $3)
             and ($4::text is null or a.lifecycle = $4)
             and ($5::timestamptz is null or f.received_at >= $5)
             and ($6::timestamptz is null or f.received_at < $6)
             and ($7::int2 is null or f.nps_score between $7 and $8)
             and ($9::bigint is null or f.reporter_id = $9)
             and ($10::timestamptz is null or (f.received_at, f.id) < ($10, $11))
             and ($14::bigint is null or f.id in (select c.feedback_id from import_changes c where c.batch_id = $14))
             and ($15::bigint is null or exists (select 1 from feedback_themes ft
                  where ft.feedback_id = f.id and ft.theme_id = $15 and ft.state <> 'rejected'))
             and (not $16::bool or not exists (select 1 from feedback_themes ft
                  where ft.feedback_id = f.id and ft.state <> 'rejected'))
           order by f.received_at desc, f.id desc
           limit $12"#,
        source,
        filter.account_id,
        segment,
        lifecycle,
        filter.from,
        filter.until,
        nps_min,
        nps_max,
        filter.reporter_id,
        before_at,
        before_id,
        limit,
        filter.account_external_id,
        filter.import_id,
        filter.theme_id,
        filter.untagged,
        filter.archived
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| listed!(r)).collect())
}

/// Whether `theme_id` tags at least 1 in [`COMMON_THEME_SHARE`] items, so a page of it is found
/// by walking items in page order and probing each for the tag. Its live tags are summed from
/// the rollup (a few hundred rows per theme) against the planner's estimate of all items, so
/// the check costs well under a millisecond; a table not yet analyzed counts as small (either
/// way is fast there). The rollup counts unarchived items only: the archived list uses the
/// same share.
async fn theme_is_common(db: impl PgExecutor<'_>, theme_id: i64) -> sqlx::Result<bool> {
    let r = sqlx::query!(
        r#"select coalesce((select sum(items) from theme_weekly where theme_id = $1), 0)::float8 as "tags!",
                  (select reltuples from pg_class where oid = 'feedback'::regclass)::float8 as "items!""#,
        theme_id
    )
    .fetch_one(db)
    .await?;
    Ok(r.tags * COMMON_THEME_SHARE >= r.items)
}

/// A theme on at least 1 in this many items is walked in page order. At 1M items (EXPLAIN
/// ANALYZE, warm) the walk beats the hashed subplan from about 1.5% of items up (15,544 tags:
/// 14 ms either way; 23,411: 10 ms vs 12 ms; 231,815: 1 ms vs 140 ms) and loses below it (7,462
/// tags: 200 ms vs 11 ms).
const COMMON_THEME_SHARE: f64 = 50.0;

/// One item with everything its page shows, archived or not.
#[derive(Debug, Clone)]
pub struct FeedbackDetail {
    pub item: FeedbackRow,
    pub metadata: serde_json::Value,
    pub archived_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub reporter_email: Option<String>,
    /// The account's ARR today (to compare with the snapshot).
    pub account_arr_cents_now: Option<i64>,
    pub account_currency_now: Option<String>,
    pub account_segment: Option<String>,
    pub account_lifecycle: Option<String>,
}

#[tracing::instrument(skip_all)]
pub async fn get(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<FeedbackDetail>> {
    let row = sqlx::query!(
        r#"select f.id, f.source, f.external_id, f.title, f.body, f.account_id,
                  a.name as "account_name?", a.external_id as "account_external_id?",
                  f.contact_email, f.reporter_id, u.name as "reporter_name?", u.email as "reporter_email?",
                  f.received_at, f.nps_score, f.arr_cents_snapshot, f.currency_snapshot, f.metadata,
                  f.archived_at, f.created_at, f.updated_at,
                  a.arr_cents as "account_arr_cents_now?", a.currency as "account_currency_now?",
                  a.segment as "account_segment?", a.lifecycle as "account_lifecycle?"
           from feedback f
           left join accounts a on a.id = f.account_id
           left join users u on u.id = f.reporter_id
           where f.id = $1"#,
        id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| FeedbackDetail {
        item: feedback_row!(r),
        metadata: r.metadata,
        archived_at: r.archived_at,
        created_at: r.created_at,
        updated_at: r.updated_at,
        reporter_email: r.reporter_email,
        account_arr_cents_now: r.account_arr_cents_now,
        account_currency_now: r.account_currency_now,
        account_segment: r.account_segment,
        account_lifecycle: r.account_lifecycle,
    }))
}

/// Which of these account external ids do not exist.
#[tracing::instrument(skip_all)]
pub async fn unknown_account_ids(
    db: impl PgExecutor<'_>,
    external_ids: &[String],
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        r#"select x as "x!" from unnest($1::text[]) as x
           where not exists (select 1 from accounts a where a.external_id = x)"#,
        external_ids
    )
    .fetch_all(db)
    .await
}

/// Replace an item's content (from the edit form).
#[tracing::instrument(skip_all)]
pub async fn update(db: impl PgExecutor<'_>, id: i64, item: &NewFeedback) -> sqlx::Result<()> {
    sqlx::query!(
        r#"update feedback f set source = $2, external_id = $3, title = $4, body = $5,
               account_id = a.id, contact_email = $7, received_at = coalesce($8, f.received_at),
               nps_score = $9, metadata = $10,
               arr_cents_snapshot = case when f.account_id is distinct from a.id then a.arr_cents else f.arr_cents_snapshot end,
               currency_snapshot = case when f.account_id is distinct from a.id then a.currency else f.currency_snapshot end
           from (select (select id from accounts where external_id = $6) as id,
                        (select arr_cents from accounts where external_id = $6) as arr_cents,
                        (select currency from accounts where external_id = $6) as currency) a
           where f.id = $1"#,
        id,
        item.source.as_str(),
        item.external_id,
        item.title,
        item.body,
        item.account_external_id,
        item.contact_email,
        item.received_at,
        item.nps_score,
        item.metadata
    )
    .execute(db)
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn set_archived(db: impl PgExecutor<'_>, id: i64, archived: bool) -> sqlx::Result<bool> {
    let result = sqlx::query!(
        "update feedback set archived_at = case when $2 then coalesce(archived_at, now()) else null end where id = $1",
        id,
        archived
    )
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Archive or restore many items at once; returns the ids whose state changed.
#[tracing::instrument(skip_all, fields(n = ids.len()))]
pub async fn set_archived_many(
    db: impl PgExecutor<'_>,
    ids: &[i64],
    archived: bool,
) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar!(
        "update feedback set archived_at = case when $2 then now() else null end
         where id = any($1) and (archived_at is not null) <> $2
         returning id",
        ids,
        archived
    )
    .fetch_all(db)
    .await
}

/// Give items an account; returns the ids that changed. Their ARR snapshot follows from the
/// account's history (trigger of migration 0012) and the rollups move with them.
#[tracing::instrument(skip_all)]
pub async fn set_account_many(
    db: impl PgExecutor<'_>,
    ids: &[i64],
    account_id: i64,
) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar!(
        "update feedback set account_id = $2
         where id = any($1) and account_id is distinct from $2
         returning id",
        ids,
        account_id
    )
    .fetch_all(db)
    .await
}

/// Accounts to offer in the quick-log form's account picker, biggest first.
#[tracing::instrument(skip_all)]
pub async fn account_choices(
    db: impl PgExecutor<'_>,
    limit: i64,
) -> sqlx::Result<Vec<(String, String)>> {
    let rows = sqlx::query!(
        "select name, external_id from accounts where lifecycle <> 'churned' order by arr_cents desc nulls last, id limit $1",
        limit
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.name, r.external_id)).collect())
}

/// Find an account by what someone typed: its external id, its exact name, or its domain.
#[tracing::instrument(skip_all)]
pub async fn find_account_by_text(
    db: impl PgExecutor<'_>,
    text: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        r#"select external_id from accounts
           where external_id = $1 or lower(name) = lower($1) or domain = lower($1)
           order by (external_id = $1) desc, arr_cents desc nulls last
           limit 1"#,
        text
    )
    .fetch_optional(db)
    .await
}

/// People who have reported feedback, for the reporter filter.
#[tracing::instrument(skip_all)]
pub async fn reporters(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<(i64, String)>> {
    let rows = sqlx::query!(
        "select id, name from users u where exists (select 1 from feedback f where f.reporter_id = u.id) order by name"
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.name)).collect())
}

/// The audited state of items (what the audit log compares before and after), by id.
#[tracing::instrument(skip_all, fields(n = ids.len()))]
pub async fn audit_snapshots(
    db: impl PgExecutor<'_>,
    ids: &[i64],
) -> sqlx::Result<Vec<(i64, serde_json::Value)>> {
    let rows = sqlx::query!(
        r#"select f.id, jsonb_build_object(
               'source', f.source, 'external_id', f.external_id, 'title', f.title, 'body', f.body,
               'account', a.external_id, 'contact_email', f.contact_email,
               'received_at', to_char(f.received_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
               'nps_score', f.nps_score, 'metadata', f.metadata, 'archived', f.archived_at is not null
           ) as "snapshot!"
           from feedback f left join accounts a on a.id = f.account_id
           where f.id = any($1)"#,
        ids
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.snapshot)).collect())
}

/// The ids of items already stored under these (source, external id) pairs.
#[tracing::instrument(skip_all, fields(n = sources.len()))]
pub async fn ids_by_external(
    db: impl PgExecutor<'_>,
    sources: &[String],
    external_ids: &[String],
) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar!(
        r#"select f.id from feedback f
           join unnest($1::text[], $2::text[]) as k(source, external_id)
             on f.source = k.source and f.external_id = k.external_id"#,
        sources,
        external_ids
    )
    .fetch_all(db)
    .await
}
