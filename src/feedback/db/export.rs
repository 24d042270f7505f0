//! The export's query: every item matching the list's filters, newest first, with its account
//! and reporter, streamed row by row.

use std::collections::HashMap;

use futures_util::stream::BoxStream;
use sqlx::pool::PoolConnection;
use sqlx::{PgExecutor, PgPool, Postgres};
use time::OffsetDateTime;

use crate::feedback::query::Filter;

/// One exported item (its themes are read per batch, `crate::feedback::api::themes_of_ids`).
#[derive(Debug)]
pub struct ExportedFeedback {
    pub id: i64,
    pub source: String,
    pub external_id: Option<String>,
    pub title: Option<String>,
    pub body: String,
    pub account_name: Option<String>,
    pub account_external_id: Option<String>,
    pub contact_email: Option<String>,
    pub reporter_email: Option<String>,
    pub received_at: OffsetDateTime,
    pub nps_score: Option<i16>,
    pub arr_cents_snapshot: Option<i64>,
    pub currency_snapshot: Option<String>,
    pub metadata: serde_json::Value,
}

/// Every item `filter` lists (its search too, as the list matches it: word prefixes in the
/// item's text, or `named`, the accounts whose name they match), newest first, in one
/// statement: the items in one snapshot, rows arriving while the database is still reading (no
/// page-by-page round trips, no sort of the whole set when the time index can walk it). Themes are not joined here: a
/// per-row lateral aggregate over the tags made the statement 3.6 times slower than the items
/// alone at 1M items (44 s against 12 s); the export reads them per batch of ids on a second
/// connection, alongside.
pub fn export<'a>(
    db: impl PgExecutor<'a> + 'a,
    filter: &'a Filter,
    named: &'a [i64],
) -> BoxStream<'a, sqlx::Result<ExportedFeedback>> {
    let (nps_min, nps_max) = filter.nps.map(|b| b.range()).unzip();
    sqlx::query_as!(
        ExportedFeedback,
        r#"select f.id, f.source, f.external_id, f.title, f.body,
                  a.name as "account_name?", a.external_id as "account_external_id?",
                  f.contact_email, u.email as "reporter_email?",
                  f.received_at, f.nps_score, f.arr_cents_snapshot, f.currency_snapshot, f.metadata
           from feedback f
           left join accounts a on a.id = f.account_id
           left join users u on u.id = f.reporter_id
           where (f.archived_at is not null) = $14::bool
             -- As the list's search matches (words as prefixes, or the account's name), as one
             -- condition on the row: `f.id in (hits)` was a subplan that, past work_mem (300k
             -- hits for a common word at 1M items), rescanned every hit for every item.
             and ($15::text is null
                  or f.search @@ regexp_replace(websearch_to_tsquery('english', $15)::text,
                                                '''((?:[^'']|'''')+)''', '''\1'':*', 'g')::tsquery
                  or f.account_id = any($16::bigint[]))
             and ($1::text is null or f.source = $1)
             and ($10::text is null
                  or f.account_id in (select id from accounts where external_id = $10 or id = $2))
             and ($3::text is null or a.segment = $3)
             and ($4::text is null or a.lifecycle = $4)
             and ($5::timestamptz is null or f.received_at >= $5)
             and ($6::timestamptz is null or f.received_at < $6)
             and ($7::int2 is null or f.nps_score between $7 and $8)
             and ($9::bigint is null or f.reporter_id = $9)
             and ($11::bigint is null or f.id in (select c.feedback_id from import_changes c where c.batch_id = $11))
             and ($12::bigint is null or exists (select 1 from feedback_themes ft
                  where ft.feedback_id = f.id and ft.theme_id = $12 and ft.state <> 'rejected'))
             and (not $13::bool or not exists (select 1 from feedback_themes ft
                  where ft.feedback_id = f.id and ft.state <> 'rejected'))
           order by f.received_at desc, f.id desc"#,
        filter.source.map(|s| s.as_str()),
        filter.account_id,
        filter.segment.map(|s| s.as_str()),
        filter.lifecycle.map(|s| s.as_str()),
        filter.from,
        filter.until,
        nps_min,
        nps_max,
        filter.reporter_id,
        filter.account_external_id,
        filter.import_id,
        filter.theme_id,
        filter.untagged,
        filter.archived,
        filter.q,
        named
    )
    .fetch(db)
}

/// A live tag (suggested or confirmed) of an exported item.
#[derive(Debug)]
pub struct ExportedTag {
    pub id: i64,
    pub feedback_id: i64,
    pub theme_id: i64,
    pub state: String,
}

/// The live tags of the items with these ids, in tag order. Read from the index alone
/// (`feedback_themes_live_idx` holds every column asked for), without the theme's name, which
/// the export knows already: a batch of 2,000 items costs one sorted pass over their index
/// entries instead of a heap read per tag.
pub async fn live_tags(db: impl PgExecutor<'_>, ids: &[i64]) -> sqlx::Result<Vec<ExportedTag>> {
    sqlx::query_as!(
        ExportedTag,
        r#"select ft.id as "id!", ft.feedback_id as "feedback_id!", ft.theme_id as "theme_id!",
                  ft.state as "state!"
           from feedback_themes ft
           where ft.feedback_id = any($1) and ft.state <> 'rejected'
           order by ft.id"#,
        ids
    )
    .fetch_all(db)
    .await
}

/// A connection of an export, in a read-only transaction.
pub type ExportConn = PoolConnection<Postgres>;

/// Two connections that read the same snapshot (one streams the items, the other reads their
/// tags alongside), and the name of every theme as of that snapshot. Both are closed when
/// dropped rather than returned to the pool, so no transaction and no half-read statement
/// outlives the export.
#[tracing::instrument(skip_all)]
pub async fn shared_snapshot(
    pool: &PgPool,
) -> sqlx::Result<(ExportConn, ExportConn, HashMap<i64, String>)> {
    let mut items = pool.acquire().await?;
    items.close_on_drop();
    sqlx::query!("begin isolation level repeatable read, read only")
        .execute(&mut *items)
        .await?;
    let snapshot = sqlx::query_scalar!(r#"select pg_export_snapshot() as "snapshot!""#)
        .fetch_one(&mut *items)
        .await?;
    if !snapshot.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return Err(sqlx::Error::Protocol(format!(
            "unexpected snapshot name {snapshot:?}"
        )));
    }
    let mut tags = pool.acquire().await?;
    tags.close_on_drop();
    sqlx::query!("begin isolation level repeatable read, read only")
        .execute(&mut *tags)
        .await?;
    // A statement that takes no parameters: the name is checked above.
    sqlx::query(&format!("set transaction snapshot '{snapshot}'"))
        .execute(&mut *tags)
        .await?;
    let names = sqlx::query!("select id, name from themes")
        .fetch_all(&mut *tags)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    Ok((items, tags, names))
}

/// A live tag with its item's place in the export's order.
#[derive(Debug)]
pub struct OrderedTag {
    pub received_at: OffsetDateTime,
    pub tag: ExportedTag,
}

/// Every live tag of every item (archived or not), in the export's order: by the item's
/// `received_at` and id, newest first, then tag order. A whole export reads its tags this way,
/// alongside the items, instead of probing the index for each batch of ids: one hash join and
/// one sort (about 4 s at 1.7M tags) against a probe per item (about 9 µs each, 9 s at 1M items).
pub fn all_live_tags<'a>(db: impl PgExecutor<'a> + 'a) -> BoxStream<'a, sqlx::Result<OrderedTag>> {
    use futures_util::StreamExt;
    sqlx::query!(
        r#"select f.received_at, ft.id as "id!", ft.feedback_id as "feedback_id!",
                  ft.theme_id as "theme_id!", ft.state as "state!"
           from feedback_themes ft
           join feedback f on f.id = ft.feedback_id
           where ft.state <> 'rejected'
           order by f.received_at desc, f.id desc, ft.id"#
    )
    .fetch(db)
    .map(|r| {
        r.map(|r| OrderedTag {
            received_at: r.received_at,
            tag: ExportedTag {
                id: r.id,
                feedback_id: r.feedback_id,
                theme_id: r.theme_id,
                state: r.state,
            },
        })
    })
    .boxed()
}
