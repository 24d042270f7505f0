//! Every SQL statement of the demo loader: owners for demo accounts, where their ARR history
//! starts, bulk feedback upsert.

use sqlx::{Postgres, Transaction};
use time::OffsetDateTime;

use super::content::DemoFeedback;

/// Rows per multi-row feedback statement.
const CHUNK: usize = 1000;

/// Sets each account's owner by the owner's email (accounts and emails as parallel lists).
#[tracing::instrument(skip_all)]
pub async fn set_owners(
    tx: &mut Transaction<'_, Postgres>,
    external_ids: &[String],
    owner_emails: &[String],
) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "update accounts a set owner_id = u.id
         from unnest($1::text[], $2::text[]) as t(external_id, email)
         join users u on u.email = t.email
         where a.external_id = t.external_id and a.owner_id is distinct from u.id",
        external_ids,
        owner_emails
    )
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

/// Starts each demo account's ARR history at `since`, before its oldest feedback, so the demo's
/// snapshots are the ARR at the time: a third of the accounts had 80 % of today's ARR then
/// (today's value is recorded when the account is saved). Accounts whose history already
/// reaches back that far are left alone, so loading twice changes nothing.
#[tracing::instrument(skip_all)]
pub async fn backdate_arr_history(
    tx: &mut Transaction<'_, Postgres>,
    external_ids: &[String],
    since: OffsetDateTime,
) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "insert into account_arr_history (account_id, arr_cents, currency, valid_from)
         select a.id,
                case when a.id % 3 = 0 then round(a.arr_cents * 0.8 / 50000) * 50000 else a.arr_cents end,
                a.currency, $2
         from accounts a
         where a.external_id = any($1)
           and not exists (select 1 from account_arr_history h where h.account_id = a.id and h.valid_from <= $2)",
        external_ids,
        since
    )
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

/// Inserts or updates feedback by (source, external id), attaching accounts by external id
/// and reporters by email; each row's ARR snapshot is then taken from the account's ARR history
/// at its received_at (trigger of migration 0012).
/// Returns (inserted, updated).
#[tracing::instrument(skip_all, fields(rows = items.len()))]
pub async fn upsert_feedback(
    tx: &mut Transaction<'_, Postgres>,
    items: &[DemoFeedback],
) -> sqlx::Result<(u64, u64)> {
    let (mut inserted, mut updated) = (0u64, 0u64);
    for chunk in items.chunks(CHUNK) {
        let source: Vec<String> = chunk.iter().map(|f| f.source.as_str().into()).collect();
        let ext: Vec<String> = chunk.iter().map(|f| f.external_id.clone()).collect();
        let title: Vec<Option<String>> = chunk.iter().map(|f| f.title.clone()).collect();
        let body: Vec<String> = chunk.iter().map(|f| f.body.clone()).collect();
        let account: Vec<Option<String>> = chunk
            .iter()
            .map(|f| f.account_external_id.clone())
            .collect();
        let contact: Vec<Option<String>> = chunk.iter().map(|f| f.contact_email.clone()).collect();
        let reporter: Vec<Option<String>> = chunk
            .iter()
            .map(|f| f.reporter_email.map(str::to_string))
            .collect();
        let received: Vec<OffsetDateTime> = chunk.iter().map(|f| f.received_at).collect();
        let score: Vec<Option<i16>> = chunk.iter().map(|f| f.nps_score).collect();
        let metadata: Vec<serde_json::Value> = chunk.iter().map(|f| f.metadata.clone()).collect();
        let flags = sqlx::query_scalar!(
            r#"insert into feedback (source, external_id, title, body, account_id, contact_email,
                                     reporter_id, received_at, nps_score, arr_cents_snapshot,
                                     currency_snapshot, metadata)
               select t.source, t.external_id, t.title, t.body, a.id, t.contact_email, u.id,
                      t.received_at, t.nps_score, a.arr_cents, a.currency, t.metadata
               from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                           $7::text[], $8::timestamptz[], $9::smallint[], $10::jsonb[])
                    as t(source, external_id, title, body, account_external_id, contact_email,
                         reporter_email, received_at, nps_score, metadata)
               left join accounts a on a.external_id = t.account_external_id
               left join users u on u.email = t.reporter_email
               on conflict (source, external_id) do update set
                   title = excluded.title, body = excluded.body, account_id = excluded.account_id,
                   contact_email = excluded.contact_email, reporter_id = excluded.reporter_id,
                   received_at = excluded.received_at, nps_score = excluded.nps_score,
                   arr_cents_snapshot = excluded.arr_cents_snapshot,
                   currency_snapshot = excluded.currency_snapshot, metadata = excluded.metadata
               returning (xmax = 0) as "inserted!""#,
            &source,
            &ext,
            &title as &[Option<String>],
            &body,
            &account as &[Option<String>],
            &contact as &[Option<String>],
            &reporter as &[Option<String>],
            &received,
            &score as &[Option<i16>],
            &metadata
        )
        .fetch_all(&mut **tx)
        .await?;
        let new = flags.iter().filter(|f| **f).count() as u64;
        inserted += new;
        updated += flags.len() as u64 - new;
    }
    Ok((inserted, updated))
}
