//! Committing a staged batch in one transaction (through the feedback and account upserts),
//! cancelling one, and undoing a committed feedback import.

use serde_json::json;
use sqlx::PgPool;

use super::db;
use crate::audit::{self, Actor, Entry};
use crate::feedback::db as feedback_db;

/// Rows (lines, for accounts) moved from staging per statement while committing (progress is
/// reported between them).
const COMMIT_CHUNK_LINES: i64 = 25_000;

/// The result of a commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Committed {
    pub inserted: i64,
    pub updated: i64,
}

/// Commit a staged batch in one transaction. Progress is written to the batch row (from a
/// separate connection, so pages see it while the transaction runs) and passed to `on_progress`.
/// On failure nothing is written and the batch says why.
pub async fn commit(
    pool: &PgPool,
    batch_id: i64,
    actor: &Actor<'_>,
    on_progress: impl Fn(i64, i64) + Sync,
) -> anyhow::Result<Committed> {
    if !db::start_commit(pool, batch_id).await? {
        anyhow::bail!("this import is not waiting to be committed");
    }
    commit_claimed(pool, batch_id, actor, on_progress).await
}

/// Like [`commit`], for a batch already claimed with [`db::start_commit`].
pub async fn commit_claimed(
    pool: &PgPool,
    batch_id: i64,
    actor: &Actor<'_>,
    on_progress: impl Fn(i64, i64) + Sync,
) -> anyhow::Result<Committed> {
    match commit_inner(pool, batch_id, actor, &on_progress).await {
        Ok(done) => {
            db::finish(
                pool,
                batch_id,
                "committed",
                None,
                Some(done.inserted),
                Some(done.updated),
            )
            .await?;
            db::delete_rows(pool, batch_id).await?;
            Ok(done)
        }
        Err(err) => {
            tracing::error!(batch_id, error = format!("{err:#}"), "import failed");
            let message = "The import failed and nothing from this file was written. Try again; if it fails again, tell an admin (the server log has the details).";
            db::finish(pool, batch_id, "failed", Some(message), None, None).await?;
            Err(err)
        }
    }
}

async fn commit_inner(
    pool: &PgPool,
    batch_id: i64,
    actor: &Actor<'_>,
    on_progress: &(dyn Fn(i64, i64) + Sync),
) -> anyhow::Result<Committed> {
    let batch = db::get_batch(pool, batch_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("import {batch_id} vanished"))?;
    let (lo, hi) = db::line_range(pool, batch_id).await?;
    let total = i64::from(batch.total_rows);
    let mut tx = pool.begin().await?;
    db::lock_for_commit(&mut *tx, batch_id).await?;
    // Bulk settings for this transaction only: snapshots set-based, full-text index updates
    // batched in a larger pending list.
    feedback_db::skip_arr_snapshot_trigger(&mut *tx).await?;
    db::bulk_settings(&mut *tx).await?;
    let mut done = Committed {
        inserted: 0,
        updated: 0,
    };
    let mut written_ids = Vec::new();
    let report = |done: &Committed| {
        let so_far = done.inserted + done.updated;
        on_progress(so_far, total);
        so_far
    };
    if batch.kind == "accounts" {
        let mut from = lo;
        while from <= hi {
            let to = from + COMMIT_CHUNK_LINES;
            let accounts = db::staged_accounts(&mut *tx, batch_id, from, to).await?;
            let (inserted, updated) = crate::accounts::db::upsert_many(&mut tx, &accounts).await?;
            done.inserted += inserted as i64;
            done.updated += updated as i64;
            db::set_progress(pool, batch_id, report(&done)).await?;
            from = to;
        }
    } else {
        // Feedback goes in time order, a range at a time: each range's inserts into the time
        // indexes then fill a few neighbouring pages instead of touching every page.
        let starts = db::time_ranges(&mut *tx, batch_id, COMMIT_CHUNK_LINES).await?;
        for (i, from) in starts.iter().enumerate() {
            let to = starts.get(i + 1).copied().unwrap_or(db::TimeKey::END);
            let written = db::write_staged_feedback(&mut *tx, batch_id, *from, to).await?;
            let created = written.iter().filter(|w| w.created).count() as i64;
            done.inserted += created;
            done.updated += written.len() as i64 - created;
            written_ids.extend(written.iter().map(|w| w.id));
            db::set_progress(pool, batch_id, report(&done)).await?;
        }
    }
    audit::db::record(
        &mut *tx,
        actor,
        Entry {
            action: "import",
            entity_type: batch.kind.as_str(),
            entity_id: None,
            summary: format!(
                "Imported {} (new {}, updated {}) from {}",
                batch.kind, done.inserted, done.updated, batch.filename
            ),
            before: None,
            after: Some(json!({"batch": batch_id, "file": batch.filename, "inserted": done.inserted, "updated": done.updated})),
        },
    )
    .await?;
    tx.commit().await?;
    let tables: &[&str] = if batch.kind == "accounts" {
        &["accounts", "account_arr_history"]
    } else {
        &["feedback", "account_nps_weekly", "nps_daily"]
    };
    crate::db::analyze_after_bulk(pool, tables, (done.inserted + done.updated) as u64).await?;
    if !written_ids.is_empty() {
        crate::feedback::after_ingest(pool, written_ids).await;
    }
    Ok(done)
}

/// Drop a staged batch without writing anything.
pub async fn cancel(pool: &PgPool, batch_id: i64) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    db::delete_rows(&mut *tx, batch_id).await?;
    db::finish(&mut *tx, batch_id, "cancelled", None, None, None).await?;
    tx.commit().await?;
    Ok(())
}

/// What undoing an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Undone {
    /// Items the import had created, now archived.
    pub archived: usize,
    /// Items the import had updated, now as they were before it.
    pub restored: usize,
}

/// Undo a committed feedback import in one transaction: archive the items it created and put
/// the ones it updated back as they were. `Ok(Err(message))` when it cannot be undone (not a
/// committed feedback import, already undone, or a later import changed the same items).
pub async fn undo(
    pool: &PgPool,
    batch_id: i64,
    actor: &Actor<'_>,
) -> anyhow::Result<Result<Undone, String>> {
    let mut tx = pool.begin().await?;
    let Some(batch) = db::get_batch(&mut *tx, batch_id).await? else {
        return Ok(Err("There is no such import.".into()));
    };
    if !db::claim_undo(&mut *tx, batch_id, actor.id()).await? {
        return Ok(Err(
            "Only a committed feedback import that has not been undone yet can be undone.".into(),
        ));
    }
    if let Some((later, name)) = db::later_overlapping_import(&mut *tx, batch_id).await? {
        return Ok(Err(format!(
            "A later import (#{later}, {name}) changed some of the same items. Undo that import first."
        )));
    }
    let archived = db::archive_created(&mut *tx, batch_id).await?;
    let restored = db::restore_updated(&mut *tx, batch_id).await?;
    let done = Undone {
        archived: archived.len(),
        restored: restored.len(),
    };
    audit::db::record(
        &mut *tx,
        actor,
        Entry {
            action: "undo_import",
            entity_type: "feedback",
            entity_id: Some(batch_id.to_string()),
            summary: format!(
                "Undid the import of {}: archived {} new items, restored {} updated items",
                batch.filename, done.archived, done.restored
            ),
            before: Some(json!({"batch": batch_id, "inserted": batch.inserted_rows, "updated": batch.updated_rows})),
            after: Some(json!({"batch": batch_id, "archived": done.archived, "restored": done.restored})),
        },
    )
    .await?;
    tx.commit().await?;
    // Restored text is tagged again like any changed item.
    crate::feedback::after_ingest(pool, restored).await;
    Ok(Ok(done))
}
