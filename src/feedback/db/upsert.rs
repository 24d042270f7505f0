//! The bulk write of feedback: the one upsert every way in goes through, and the switch that
//! lets it take ARR snapshots set-based during an import.

use sqlx::PgExecutor;
use time::OffsetDateTime;

use crate::feedback::NewFeedback;

/// The outcome of writing one item: its id, and whether it was new (or updated an earlier copy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub id: i64,
    pub inserted: bool,
}

/// Who logged the items being written.
#[derive(Debug, Clone, Copy)]
pub enum Reporters<'a> {
    /// The person (if any) sending them now, recorded on new items; an update keeps the
    /// item's reporter.
    Sender(Option<i64>),
    /// Each item's own reporter, by user email (parallel to the items; an email that is no
    /// user's, or none, leaves the reporter as it is).
    ByEmail(&'a [Option<String>]),
}

/// Insert items, or update the earlier copy of an item with the same source and external id
/// (un-archiving it). The one way feedback is written in bulk: forms, the API, webhooks,
/// imports and the demo all come through here. The account is attached by external id; each
/// item's ARR snapshot is then taken from the account's ARR history at `received_at` (trigger
/// of migration 0012). A missing `received_at` means now.
/// Callers make sure no (source, external id) pair appears twice in `items`.
#[tracing::instrument(skip_all, fields(n = items.len()))]
pub async fn upsert_many(
    db: impl PgExecutor<'_>,
    items: &[NewFeedback],
    reporters: Reporters<'_>,
) -> sqlx::Result<Vec<Written>> {
    let mut source = Vec::with_capacity(items.len());
    let mut external_id = Vec::with_capacity(items.len());
    let mut title = Vec::with_capacity(items.len());
    let mut body = Vec::with_capacity(items.len());
    let mut account = Vec::with_capacity(items.len());
    let mut email = Vec::with_capacity(items.len());
    let mut received = Vec::with_capacity(items.len());
    let mut score = Vec::with_capacity(items.len());
    let mut metadata = Vec::with_capacity(items.len());
    for item in items {
        source.push(item.source.as_str().to_owned());
        external_id.push(item.external_id.clone());
        title.push(item.title.clone());
        body.push(item.body.clone());
        account.push(item.account_external_id.clone());
        email.push(item.contact_email.clone());
        received.push(item.received_at);
        score.push(item.nps_score);
        metadata.push(item.metadata.clone());
    }
    let (sender, by_email, from_items): (Option<i64>, &[Option<String>], bool) = match reporters {
        Reporters::Sender(id) => (id, &[], false),
        Reporters::ByEmail(emails) => (None, emails, true),
    };
    let rows = sqlx::query!(
        r#"insert into feedback (source, external_id, title, body, account_id, contact_email, reporter_id,
                                 received_at, nps_score, arr_cents_snapshot, currency_snapshot, metadata)
           select i.source, i.external_id, i.title, i.body, a.id, i.contact_email, coalesce($10, u.id),
                  coalesce(i.received_at, now()), i.nps_score,
                  case when h.found then h.arr_cents when h0.found then h0.arr_cents else a.arr_cents end,
                  case when h.found then h.currency when h0.found then h0.currency else a.currency end,
                  i.metadata
           from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                       $7::timestamptz[], $8::int2[], $9::jsonb[])
                with ordinality as i(source, external_id, title, body, account_external_id, contact_email,
                                     received_at, nps_score, metadata, ord)
           left join accounts a on a.external_id = i.account_external_id
           left join users u on u.email = lower(($11::text[])[i.ord])
           -- The ARR snapshot as migration 0012's trigger takes it (the value valid at received_at,
           -- else the earliest known), computed here for the whole set so bulk writers can skip
           -- the row trigger (see `skip_arr_snapshot_trigger`).
           left join lateral (
               select true as found, x.arr_cents, x.currency from account_arr_history x
               where x.account_id = a.id and x.valid_from <= coalesce(i.received_at, now())
               order by x.valid_from desc, x.id desc limit 1
           ) h on true
           left join lateral (
               select true as found, x.arr_cents, x.currency from account_arr_history x
               where x.account_id = a.id and h.found is null
               order by x.valid_from, x.id limit 1
           ) h0 on true
           order by i.ord
           on conflict (source, external_id) do update set
               title = excluded.title, body = excluded.body, account_id = excluded.account_id,
               contact_email = excluded.contact_email,
               -- A repeat that gives no date keeps the item's date (the insert's now() stands for none).
               received_at = case when excluded.received_at = now() then feedback.received_at
                                  else excluded.received_at end,
               nps_score = excluded.nps_score, arr_cents_snapshot = excluded.arr_cents_snapshot,
               currency_snapshot = excluded.currency_snapshot, metadata = excluded.metadata,
               reporter_id = case when $12 then coalesce(excluded.reporter_id, feedback.reporter_id)
                                  else feedback.reporter_id end,
               archived_at = null
           returning id, (xmax = 0) as "inserted!""#,
        &source,
        &external_id as &[Option<String>],
        &title as &[Option<String>],
        &body,
        &account as &[Option<String>],
        &email as &[Option<String>],
        &received as &[Option<OffsetDateTime>],
        &score as &[Option<i16>],
        &metadata,
        sender,
        by_email as &[Option<String>],
        from_items
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Written {
            id: r.id,
            inserted: r.inserted,
        })
        .collect())
}

/// For the rest of the transaction, [`upsert_many`] alone takes ARR snapshots (set-based) and
/// the per-row snapshot trigger of migration 0012 stands aside (migration 0041). Only for a
/// transaction whose feedback writes all go through [`upsert_many`], such as an import commit.
#[tracing::instrument(skip_all)]
pub async fn skip_arr_snapshot_trigger(db: impl PgExecutor<'_>) -> sqlx::Result<()> {
    sqlx::query_scalar!(r#"select set_config('goldthread.arr_snapshot', 'given', true) as "v!""#)
        .fetch_one(db)
        .await?;
    Ok(())
}
