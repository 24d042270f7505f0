//! CSV imports of feedback and accounts: parse and check the whole file, stage it with `COPY`,
//! preview, then commit in one transaction (all rows or none), with progress.

pub mod db;
pub mod web;

use serde_json::json;
use sqlx::PgPool;

use crate::accounts::parse_accounts_csv;
use crate::audit::{self, Actor, Entry};
use crate::auth::User;
use crate::feedback::Source;
use crate::feedback::import::{ColumnMapping, RowError, parse_feedback_csv};

/// Rows moved from staging per statement while committing (progress is reported between them).
const COMMIT_CHUNK_LINES: i64 = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Feedback,
    Accounts,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Feedback => "feedback",
            Kind::Accounts => "accounts",
        }
    }
}

impl std::str::FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "feedback" => Ok(Kind::Feedback),
            "accounts" => Ok(Kind::Accounts),
            other => Err(format!(
                "Choose what the file holds: feedback or accounts (not \"{other}\")"
            )),
        }
    }
}

/// What staging a file came to.
#[derive(Debug)]
pub enum Staged {
    /// Checked and copied to staging; ready to preview and commit.
    Ready { batch_id: i64, total_rows: usize },
    /// The file as a whole was refused (not CSV, too big, missing columns…).
    Refused(String),
    /// Some rows are wrong: each is listed; nothing was staged or written.
    Invalid {
        errors: Vec<RowError>,
        total_rows: usize,
    },
}

fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("")
}

/// Parse, check and stage a file. CPU work runs off the async threads.
pub async fn stage(
    pool: &PgPool,
    kind: Kind,
    bytes: Vec<u8>,
    filename: &str,
    default_source: Option<Source>,
    user: &User,
    mut on_progress: impl FnMut(usize) + Send + 'static,
) -> anyhow::Result<Staged> {
    let prepared = tokio::task::spawn_blocking(move || {
        prepare(kind, &bytes, default_source, &mut on_progress)
    })
    .await
    .map_err(|e| anyhow::anyhow!("parsing task failed: {e}"))??;
    let Prepared {
        csv,
        mapping,
        format,
        total_rows,
        mut errors,
        accounts,
    } = match prepared {
        Ok(p) => p,
        Err(staged) => return Ok(staged),
    };
    if !accounts.is_empty() {
        let mut wanted: Vec<String> = accounts.iter().map(|(_, ext)| ext.clone()).collect();
        wanted.sort_unstable();
        wanted.dedup();
        let unknown: std::collections::HashSet<String> =
            crate::feedback::db::unknown_account_ids(pool, &wanted)
                .await?
                .into_iter()
                .collect();
        if !unknown.is_empty() {
            errors.extend(accounts.iter().filter(|(_, ext)| unknown.contains(ext)).map(|(line, ext)| RowError {
                line: *line,
                field: Some("account_external_id".into()),
                message: format!("No account has the external id \"{ext}\". Import or create the account first."),
            }));
            errors.sort_by_key(|e| e.line);
        }
    }
    if !errors.is_empty() {
        return Ok(Staged::Invalid { errors, total_rows });
    }
    let mut tx = pool.begin().await?;
    let batch_id = db::create_batch(
        &mut *tx,
        kind.as_str(),
        filename,
        &format,
        &mapping,
        user.id,
        total_rows as i32,
    )
    .await?;
    let columns = match kind {
        Kind::Feedback => db::FEEDBACK_COLUMNS,
        Kind::Accounts => db::ACCOUNT_COLUMNS,
    };
    db::set_batch_for_copy(&mut *tx, batch_id).await?;
    db::copy_rows(&mut tx, columns, &csv).await?;
    tx.commit().await?;
    Ok(Staged::Ready {
        batch_id,
        total_rows,
    })
}

struct Prepared {
    /// Staging rows as CSV, in the order of the kind's staging columns.
    csv: Vec<u8>,
    mapping: serde_json::Value,
    format: String,
    total_rows: usize,
    errors: Vec<RowError>,
    /// (line, account external id) of every valid feedback row that names an account.
    accounts: Vec<(u64, String)>,
}

fn mapping_json(mapping: &ColumnMapping) -> serde_json::Value {
    json!(
        mapping
            .columns
            .iter()
            .map(|(header, target)| json!({"column": header, "field": target}))
            .collect::<Vec<_>>()
    )
}

fn prepare(
    kind: Kind,
    bytes: &[u8],
    default_source: Option<Source>,
    on_progress: &mut dyn FnMut(usize),
) -> anyhow::Result<Result<Prepared, Staged>> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    match kind {
        Kind::Feedback => {
            let parsed = match parse_feedback_csv(bytes, default_source, on_progress) {
                Ok(p) => p,
                Err(refusal) => return Ok(Err(Staged::Refused(refusal.to_string()))),
            };
            if parsed.errors.is_empty() {
                for (line, item) in &parsed.rows {
                    let company_domain = item
                        .metadata
                        .get("company_domain")
                        .and_then(|d| d.as_str())
                        .map(|d| d.trim().to_lowercase());
                    w.write_record([
                        &line.to_string(),
                        item.source.as_str(),
                        opt(&item.external_id),
                        opt(&item.title),
                        &item.body,
                        opt(&item.account_external_id),
                        company_domain.as_deref().unwrap_or(""),
                        opt(&item.contact_email),
                        &item
                            .received_at
                            .map(crate::web::format::iso)
                            .unwrap_or_default(),
                        &item.nps_score.map(|s| s.to_string()).unwrap_or_default(),
                        &item.metadata.to_string(),
                    ])?;
                }
            }
            Ok(Ok(Prepared {
                csv: w.into_inner().map_err(|e| anyhow::anyhow!(e.to_string()))?,
                accounts: parsed
                    .rows
                    .iter()
                    .filter_map(|(line, item)| {
                        item.account_external_id.clone().map(|ext| (*line, ext))
                    })
                    .collect(),
                mapping: mapping_json(&parsed.mapping),
                format: parsed.mapping.format.label().to_owned(),
                total_rows: parsed.total_rows,
                errors: parsed.errors,
            }))
        }
        Kind::Accounts => {
            let (rows, errors) = match parse_accounts_csv(bytes) {
                Ok(p) => p,
                Err(refusal) => return Ok(Err(Staged::Refused(refusal.to_string()))),
            };
            let total_rows = rows.len() + errors.len();
            on_progress(total_rows);
            if errors.is_empty() {
                for (line, a) in &rows {
                    w.write_record([
                        &line.to_string(),
                        &a.external_id,
                        &a.name,
                        opt(&a.domain),
                        &a.arr_cents.map(|c| c.to_string()).unwrap_or_default(),
                        &a.currency,
                        a.segment.map(|s| s.as_str()).unwrap_or(""),
                        opt(&a.plan),
                        a.lifecycle.as_str(),
                    ])?;
                }
            }
            Ok(Ok(Prepared {
                csv: w.into_inner().map_err(|e| anyhow::anyhow!(e.to_string()))?,
                accounts: Vec::new(),
                mapping: json!([]),
                format: "Accounts CSV".into(),
                total_rows,
                errors,
            }))
        }
    }
}

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
    let mut done = Committed {
        inserted: 0,
        updated: 0,
    };
    let mut written_ids = Vec::new();
    let mut from = lo;
    while from <= hi {
        let to = from + COMMIT_CHUNK_LINES;
        let (inserted, updated) = if batch.kind == "accounts" {
            db::commit_accounts_chunk(&mut *tx, batch_id, from, to).await?
        } else {
            let (inserted, updated, ids) =
                db::commit_feedback_chunk(&mut *tx, batch_id, batch.user_id, from, to).await?;
            written_ids.extend(ids);
            (inserted, updated)
        };
        done.inserted += inserted;
        done.updated += updated;
        let so_far = done.inserted + done.updated;
        db::set_progress(pool, batch_id, so_far).await?;
        on_progress(so_far, total);
        from = to;
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
