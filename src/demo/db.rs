//! Every SQL statement of the demo loader: owners for demo accounts; feedback goes through
//! the one feedback upsert.

use sqlx::{Postgres, Transaction};

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

/// Inserts or updates the demo feedback by (source, external id) through the one feedback
/// upsert, attaching accounts by external id and reporters by email, ~1,000 rows per statement.
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
