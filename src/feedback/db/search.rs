//! The feedback list's search: which items match `q`, and in what order a page lists them.
//!
//! A search matches items by word prefixes in their text ("refun" finds "refund"), by their
//! account's name, and (with the sentence encoder) by meaning. Best match first means ranking
//! every match, and a common word matches a third of a million items at 1M: ranking them all
//! took 1.8 s a page. So a search ranks its newest [`RANKED_MATCHES`] matches, best first, and
//! then lists the older matches newest first. Every match is on exactly one page; the page says
//! which order it shows. `sort=newest` lists every match newest first.
//!
//! Both statements find the newest matches the way the planner prefers for the words at hand:
//! for a common word it walks the time index and checks each item (a few thousand items for a
//! page), for a rare one it reads the word's items from the GIN index and sorts them. That choice
//! needs the words' frequencies, so each statement is planned for its parameters
//! (`plan_cache_mode = force_custom_plan` for the search's transaction: a cached generic plan
//! guesses one frequency for every word, and once chosen it would walk the whole time index
//! for a word no item has).

use sqlx::{PgConnection, PgExecutor, PgPool};
use time::OffsetDateTime;

use super::{FeedbackRow, ListedFeedback, Listing};
use crate::feedback::query::{Cursor, Filter};

/// A search ranks at most this many of its newest matches by how well they match (ten pages of
/// 50); the older matches follow newest first. Finding them reads about this many items divided
/// by the share of items that match (for "card", a third of the items: three times as many).
/// At 1M items 1,000 took 14 ms of a 25 ms page ("card" among sales notes); half as many
/// costs half as much.
pub const RANKED_MATCHES: i64 = 500;

/// One row of a search page; `rank` is null on rows listed by time. `cut` says the matches went
/// past [`RANKED_MATCHES`], and `since_*` is the oldest ranked match then.
#[derive(Debug)]
struct SearchRow {
    id: i64,
    source: String,
    external_id: Option<String>,
    title: Option<String>,
    body: String,
    account_id: Option<i64>,
    account_name: Option<String>,
    account_external_id: Option<String>,
    contact_email: Option<String>,
    reporter_id: Option<i64>,
    reporter_name: Option<String>,
    reporter_email: Option<String>,
    received_at: OffsetDateTime,
    nps_score: Option<i16>,
    arr_cents_snapshot: Option<i64>,
    currency_snapshot: Option<String>,
    metadata: serde_json::Value,
    rank: Option<f32>,
    headline: String,
    cut: bool,
    since_at: Option<OffsetDateTime>,
    since_id: Option<i64>,
}

impl SearchRow {
    fn listed(self) -> ListedFeedback {
        ListedFeedback {
            item: FeedbackRow {
                id: self.id,
                source: self.source,
                external_id: self.external_id,
                title: self.title,
                body: self.body,
                account_id: self.account_id,
                account_name: self.account_name,
                account_external_id: self.account_external_id,
                contact_email: self.contact_email,
                reporter_id: self.reporter_id,
                reporter_name: self.reporter_name,
                received_at: self.received_at,
                nps_score: self.nps_score,
                arr_cents_snapshot: self.arr_cents_snapshot,
                currency_snapshot: self.currency_snapshot,
            },
            reporter_email: self.reporter_email,
            metadata: self.metadata,
            rank: self.rank,
            headline: Some(self.headline),
        }
    }
}

/// One page of the search `filter.q`: best matches first among the newest
/// [`RANKED_MATCHES`] (every match when there are no more), then the older ones newest first;
/// or every match newest first with `filter.newest_first`.
#[tracing::instrument(skip_all)]
pub async fn search(
    pool: &PgPool,
    filter: &Filter,
    q: &str,
    cursor: Option<Cursor>,
    limit: i64,
) -> sqlx::Result<Listing> {
    let mut tx = pool.begin().await?;
    sqlx::query!("set local plan_cache_mode = force_custom_plan")
        .execute(&mut *tx)
        .await?;
    let listing = search_in(&mut tx, filter, q, cursor, limit).await?;
    tx.commit().await?;
    Ok(listing)
}

async fn search_in(
    tx: &mut PgConnection,
    filter: &Filter,
    q: &str,
    cursor: Option<Cursor>,
    limit: i64,
) -> sqlx::Result<Listing> {
    let named = named_accounts(&mut *tx, q).await?;
    if filter.newest_first {
        let before = match cursor {
            Some(Cursor::Time { received_at, id }) => Some((received_at, id)),
            _ => None,
        };
        let rows = by_time(&mut *tx, filter, q, &named, before, limit).await?;
        return Ok(Listing::new(rows, limit, None, false));
    }
    // Past the ranked matches: the older ones, newest first.
    if let Some(Cursor::Time { received_at, id }) = cursor {
        let rows = by_time(&mut *tx, filter, q, &named, Some((received_at, id)), limit).await?;
        return Ok(Listing::new(rows, limit, None, true));
    }
    let (after, since) = match cursor {
        Some(Cursor::Rank { rank, id, since }) => (Some((rank, id)), since),
        _ => (None, None),
    };
    // The first page finds the newest matches (one more says there are more); a later page
    // ranks what its first page ranked: the matches from `since` on, or all of them.
    let newest = (cursor.is_none()).then_some(RANKED_MATCHES + 1);
    let part = RankedPart {
        newest,
        since,
        after,
    };
    let rows = ranked(&mut *tx, filter, q, &named, part, limit).await?;
    let since = since.or_else(|| {
        rows.first()
            .filter(|r| r.cut)
            .and_then(|r| r.since_at.zip(r.since_id))
    });
    let mut rows: Vec<ListedFeedback> = rows.into_iter().map(SearchRow::listed).collect();
    if let Some(since) = since
        && (rows.len() as i64) < limit
    {
        rows.extend(
            by_time(
                &mut *tx,
                filter,
                q,
                &named,
                Some(since),
                limit - rows.len() as i64,
            )
            .await?,
        );
    }
    Ok(Listing::new(rows, limit, since, since.is_some()))
}

/// Which matches a page ranks: of the newest `newest` matches (all, with `None`) that are no
/// older than `since`, those ranked after `after`.
struct RankedPart {
    newest: Option<i64>,
    since: Option<(OffsetDateTime, i64)>,
    after: Option<(f32, i64)>,
}

/// The ranked part of a search page, best first.
async fn ranked(
    db: impl PgExecutor<'_>,
    filter: &Filter,
    q: &str,
    named: &[i64],
    part: RankedPart,
    limit: i64,
) -> sqlx::Result<Vec<SearchRow>> {
    let (nps_min, nps_max) = filter.nps.map(|b| b.range()).unzip();
    let (since_at, since_id) = part.since.unzip();
    let (after_rank, after_id) = part.after.unzip();
    let (semantic_ids, semantic_rank): (Vec<i64>, Vec<f32>) =
        filter.semantic.iter().copied().unzip();
    sqlx::query_as!(
        SearchRow,
        r#"with query as (
             select websearch_to_tsquery('english', $1) as exact,
                    -- every lexeme becomes a prefix: 'refun' & 'card' -> 'refun':* & 'card':*
                    regexp_replace(websearch_to_tsquery('english', $1)::text,
                                   '''((?:[^'']|'''')+)''', '''\1'':*', 'g')::tsquery as prefix
           ),
           -- The tsquery is written out again (not taken from `query`), and the accounts come as
           -- a value, so the planner sees how common the words are and how many accounts they
           -- name (an array computed in the statement would count as ten accounts, and send
           -- every rare word down the time index). Each arm of the `or` has its index (GIN,
           -- account, id): a rare word is read through them, a common one by walking the time
           -- index.
           newest as (
             select f.id, f.received_at, f.account_id, f.search from feedback f
             left join accounts a on a.id = f.account_id
             where (f.search @@ regexp_replace(websearch_to_tsquery('english', $1)::text,
                                               '''((?:[^'']|'''')+)''', '''\1'':*', 'g')::tsquery
                    or f.account_id = any($24::bigint[])
                    or f.id = any($16::bigint[]))
               and (f.archived_at is not null) = $15::bool
               and ($2::text is null or f.source = $2)
               and ($11::text is null
                    or f.account_id in (select id from accounts where external_id = $11 or id = $3))
               and ($4::text is null or a.segment = $4)
               and ($5::text is null or a.lifecycle = $5)
               and ($6::timestamptz is null or f.received_at >= $6)
               and ($7::timestamptz is null or f.received_at < $7)
               and ($8::int2 is null or f.nps_score between $8 and $9)
               and ($10::bigint is null or f.reporter_id = $10)
               and ($12::bigint is null or f.id in (select c.feedback_id from import_changes c where c.batch_id = $12))
               and ($13::bigint is null or exists (select 1 from feedback_themes ft
                    where ft.feedback_id = f.id and ft.theme_id = $13 and ft.state <> 'rejected'))
               and (not $14::bool or not exists (select 1 from feedback_themes ft
                    where ft.feedback_id = f.id and ft.state <> 'rejected'))
               and ($19::timestamptz is null or (f.received_at, f.id) >= ($19, $20))
             order by f.received_at desc, f.id desc
             limit $18
           ),
           -- The one past the ranked ones only says there are more.
           ranked as (
             select n.* from newest n order by n.received_at desc, n.id desc limit $18 - 1
           ),
           edge as (
             select coalesce((select count(*) from newest) >= $18, false) as cut,
                    o.received_at as since_at, o.id as since_id
             from (select 1) one
             left join (select r.received_at, r.id from ranked r
                        order by r.received_at, r.id limit 1) o on true
           ),
           scored as (
             select r.id,
                    (ts_rank(r.search, q.prefix) + ts_rank(r.search, q.exact)
                     + case when r.account_id = any($24::bigint[]) then 0.05::real else 0::real end
                     + coalesce(s.boost, 0::real))::real as rank
             from ranked r
             cross join query q
             left join unnest($16::bigint[], $17::real[]) as s(id, boost) on s.id = r.id
           ),
           page as (
             select s.id, s.rank from scored s
             where $21::real is null or (s.rank, s.id) < ($21, $22)
             order by s.rank desc, s.id desc
             limit $23
           )
           select f.id, f.source, f.external_id, f.title, f.body,
                  f.account_id, a.name as "account_name?", a.external_id as "account_external_id?",
                  f.contact_email, f.reporter_id, u.name as "reporter_name?", u.email as "reporter_email?",
                  f.received_at, f.nps_score, f.arr_cents_snapshot, f.currency_snapshot,
                  f.metadata, p.rank as "rank?",
                  ts_headline('english', coalesce(f.title || E'\n', '') || f.body, (select prefix from query),
                    'StartSel=' || chr(2) || ', StopSel=' || chr(3) || ', MaxFragments=2, MaxWords=25, MinWords=8, FragmentDelimiter=" … "') as "headline!",
                  e.cut as "cut!", e.since_at as "since_at?", e.since_id as "since_id?"
           from page p
           join feedback f on f.id = p.id
           left join accounts a on a.id = f.account_id
           left join users u on u.id = f.reporter_id
           cross join edge e
           order by p.rank desc, f.id desc"#,
        q,
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
        &semantic_ids,
        &semantic_rank,
        part.newest,
        since_at,
        since_id,
        after_rank,
        after_id,
        limit,
        named
    )
    .fetch_all(db)
    .await
}

/// Matches strictly older than `before` (from the newest, without it), newest first.
async fn by_time(
    db: impl PgExecutor<'_>,
    filter: &Filter,
    q: &str,
    named: &[i64],
    before: Option<(OffsetDateTime, i64)>,
    limit: i64,
) -> sqlx::Result<Vec<ListedFeedback>> {
    let (nps_min, nps_max) = filter.nps.map(|b| b.range()).unzip();
    let (before_at, before_id) = before.unzip();
    let semantic_ids: Vec<i64> = filter.semantic.iter().map(|(id, _)| *id).collect();
    let rows = sqlx::query_as!(
        SearchRow,
        r#"with query as (
             select regexp_replace(websearch_to_tsquery('english', $1)::text,
                                   '''((?:[^'']|'''')+)''', '''\1'':*', 'g')::tsquery as prefix
           ),
           page as (
             select f.id from feedback f
             left join accounts a on a.id = f.account_id
             where (f.search @@ regexp_replace(websearch_to_tsquery('english', $1)::text,
                                               '''((?:[^'']|'''')+)''', '''\1'':*', 'g')::tsquery
                    or f.account_id = any($20::bigint[])
                    or f.id = any($16::bigint[]))
               and (f.archived_at is not null) = $15::bool
               and ($2::text is null or f.source = $2)
               and ($11::text is null
                    or f.account_id in (select id from accounts where external_id = $11 or id = $3))
               and ($4::text is null or a.segment = $4)
               and ($5::text is null or a.lifecycle = $5)
               and ($6::timestamptz is null or f.received_at >= $6)
               and ($7::timestamptz is null or f.received_at < $7)
               and ($8::int2 is null or f.nps_score between $8 and $9)
               and ($10::bigint is null or f.reporter_id = $10)
               and ($12::bigint is null or f.id in (select c.feedback_id from import_changes c where c.batch_id = $12))
               and ($13::bigint is null or exists (select 1 from feedback_themes ft
                    where ft.feedback_id = f.id and ft.theme_id = $13 and ft.state <> 'rejected'))
               and (not $14::bool or not exists (select 1 from feedback_themes ft
                    where ft.feedback_id = f.id and ft.state <> 'rejected'))
               and ($17::timestamptz is null or (f.received_at, f.id) < ($17, $18))
             order by f.received_at desc, f.id desc
             limit $19
           )
           select f.id, f.source, f.external_id, f.title, f.body,
                  f.account_id, a.name as "account_name?", a.external_id as "account_external_id?",
                  f.contact_email, f.reporter_id, u.name as "reporter_name?", u.email as "reporter_email?",
                  f.received_at, f.nps_score, f.arr_cents_snapshot, f.currency_snapshot,
                  f.metadata, null::real as "rank?",
                  ts_headline('english', coalesce(f.title || E'\n', '') || f.body, (select prefix from query),
                    'StartSel=' || chr(2) || ', StopSel=' || chr(3) || ', MaxFragments=2, MaxWords=25, MinWords=8, FragmentDelimiter=" … "') as "headline!",
                  false as "cut!", null::timestamptz as "since_at?", null::bigint as "since_id?"
           from page p
           join feedback f on f.id = p.id
           left join accounts a on a.id = f.account_id
           left join users u on u.id = f.reporter_id
           order by f.received_at desc, f.id desc"#,
        q,
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
        &semantic_ids,
        before_at,
        before_id,
        limit,
        named
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(SearchRow::listed).collect())
}

/// The accounts whose name the search's words match (as prefixes).
pub async fn named_accounts(db: impl PgExecutor<'_>, q: &str) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar!(
        r#"select a.id from accounts a
           where to_tsvector('english', a.name)
                 @@ regexp_replace(websearch_to_tsquery('english', $1)::text,
                                   '''((?:[^'']|'''')+)''', '''\1'':*', 'g')::tsquery"#,
        q
    )
    .fetch_all(db)
    .await
}
