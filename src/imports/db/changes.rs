//! Undoing a committed feedback import from what it changed (`import_changes`: each item it
//! wrote, and the item as it was before when it updated one; written by `write`).

use sqlx::PgExecutor;

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
