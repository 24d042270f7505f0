//! Every SQL statement of the demo loader: owners for demo accounts, where their ARR history
//! starts, bulk feedback upsert.

use sqlx::{Postgres, Transaction};
use time::OffsetDateTime;

use super::content::DemoFeedback;
use crate::feedback::NewFeedback;
use crate::feedback::db::{self as feedback_db, Reporters};

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
        let feedback: Vec<NewFeedback> = chunk
            .iter()
            .map(|f| NewFeedback {
                source: f.source,
                body: f.body.clone(),
                external_id: Some(f.external_id.clone()),
                title: f.title.clone(),
                account_external_id: f.account_external_id.clone(),
                contact_email: f.contact_email.clone(),
                received_at: Some(f.received_at),
                nps_score: f.nps_score,
                metadata: f.metadata.clone(),
            })
            .collect();
        let reporters: Vec<Option<String>> = chunk
            .iter()
            .map(|f| f.reporter_email.map(str::to_string))
            .collect();
        let written =
            feedback_db::upsert_many(&mut **tx, &feedback, Reporters::ByEmail(&reporters)).await?;
        let new = written.iter().filter(|w| w.inserted).count() as u64;
        inserted += new;
        updated += written.len() as u64 - new;
    }
    Ok((inserted, updated))
}
