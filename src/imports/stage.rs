//! Staging a file: check it off the async threads, match the accounts it names, and stream
//! the rows to `import_rows` for the preview. Nothing reaches feedback or accounts.

use std::collections::HashMap;

use serde_json::json;
use sqlx::PgPool;

use super::csvfile::{Limits, RowError};
use super::dates::DateOrder;
use super::formats::ColumnMapping;
use super::formats::accounts::parse_accounts_csv;
use super::input::ImportFile;
use super::passes::{self, Checked};
use super::{Kind, db};
use crate::auth::User;
use crate::feedback::Source;

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

/// Parse, check and stage a file. CPU work runs off the async threads. A feedback file is read
/// in passes (check everything, then stream the valid rows into the staging `COPY`), never held
/// whole unless it is an upload already in memory.
pub async fn stage(
    pool: &PgPool,
    kind: Kind,
    file: impl Into<ImportFile>,
    filename: &str,
    default_source: Option<Source>,
    user: &User,
    mut on_progress: impl FnMut(usize) + Send + 'static,
) -> anyhow::Result<Staged> {
    let file = file.into();
    match kind {
        Kind::Feedback => {
            stage_feedback(pool, file, filename, default_source, user, on_progress).await
        }
        Kind::Accounts => {
            let parsed = tokio::task::spawn_blocking(move || {
                let bytes = file.into_bytes()?;
                let parsed = parse_accounts_csv(&bytes);
                if let Ok((rows, errors)) = &parsed {
                    on_progress(rows.len() + errors.len());
                }
                std::io::Result::Ok(parsed)
            })
            .await
            .map_err(|e| anyhow::anyhow!("parsing task failed: {e}"))??;
            let prepared = match parsed {
                Ok((rows, errors)) => prepare_accounts(rows, errors)?,
                Err(refusal) => return Ok(Staged::Refused(refusal.to_string())),
            };
            if !prepared.errors.is_empty() {
                return Ok(Staged::Invalid {
                    errors: prepared.errors,
                    total_rows: prepared.total_rows,
                });
            }
            let mut tx = pool.begin().await?;
            let batch_id =
                db::create_batch(&mut *tx, &prepared.batch(kind, filename, user)).await?;
            db::set_batch_for_copy(&mut *tx, batch_id).await?;
            db::copy_rows(&mut tx, db::ACCOUNT_COLUMNS, &prepared.csv).await?;
            tx.commit().await?;
            crate::db::analyze_after_bulk(pool, &["import_rows"], prepared.total_rows as u64)
                .await?;
            Ok(Staged::Ready {
                batch_id,
                total_rows: prepared.total_rows,
            })
        }
    }
}

/// Feedback: check the whole file, match the accounts it names, then (nothing wrong) stream
/// the valid rows into staging.
async fn stage_feedback(
    pool: &PgPool,
    file: ImportFile,
    filename: &str,
    default_source: Option<Source>,
    user: &User,
    mut on_progress: impl FnMut(usize) + Send + 'static,
) -> anyhow::Result<Staged> {
    let now = time::OffsetDateTime::now_utc();
    let (file, checked) = tokio::task::spawn_blocking(move || {
        let checked = passes::check(
            &file,
            default_source,
            &mut on_progress,
            now,
            Limits::default(),
        );
        (file, checked)
    })
    .await
    .map_err(|e| anyhow::anyhow!("checking task failed: {e}"))?;
    let mut checked = match checked {
        Ok(c) => c,
        Err(refusal) => return Ok(Staged::Refused(refusal.to_string())),
    };
    let resolved = resolve_accounts(pool, &mut checked).await?;
    if !checked.errors.is_empty() {
        return Ok(Staged::Invalid {
            errors: checked.errors,
            total_rows: checked.total_rows,
        });
    }
    let total_rows = checked.total_rows;
    let mut tx = pool.begin().await?;
    let batch_id = db::create_batch(
        &mut *tx,
        &db::NewBatch {
            kind: Kind::Feedback.as_str(),
            filename,
            format: checked.mapping.format.label(),
            mapping: &mapping_json(&checked.mapping),
            user_id: user.id,
            total_rows: total_rows as i32,
            date_order: checked.dates.map(|d| d.order.as_str()),
            dates_ambiguous: checked.dates.is_some_and(|d| d.ambiguous),
        },
    )
    .await?;
    db::set_batch_for_copy(&mut *tx, batch_id).await?;
    let mut copy = db::start_copy(&mut tx, db::FEEDBACK_COLUMNS).await?;
    // The last pass writes staging CSV a chunk at a time on a blocking thread; the chunks
    // reach the COPY through a short queue, so only a few are ever in memory.
    let (send, mut chunks) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
    let expected = checked.valid_rows;
    let writer = tokio::task::spawn_blocking(move || {
        write_staging(&file, &checked, &resolved, default_source, now, &send)
    });
    while let Some(chunk) = chunks.recv().await {
        copy.send(chunk).await?;
    }
    let written = writer
        .await
        .map_err(|e| anyhow::anyhow!("staging task failed: {e}"))??;
    if written != expected {
        copy.abort("the file changed while it was read").await?;
        return Ok(Staged::Refused(
            "The file changed while it was being imported. Import it again.".into(),
        ));
    }
    copy.finish().await?;
    tx.commit().await?;
    // Committing reads the staged rows in line ranges: the planner must know there are many.
    crate::db::analyze_after_bulk(pool, &["import_rows"], total_rows as u64).await?;
    Ok(Staged::Ready {
        batch_id,
        total_rows,
    })
}

/// What each account text of the file resolves to (an account external id); for formats that
/// name accounts by external id, every row naming one we don't have becomes an error (every
/// row, valid or not, so each row's problems are all listed).
async fn resolve_accounts(
    pool: &PgPool,
    checked: &mut Checked,
) -> anyhow::Result<HashMap<String, String>> {
    // Distinct, sorted (a million rows name a few hundred accounts).
    let wanted: Vec<String> = checked.accounts.keys().cloned().collect();
    if wanted.is_empty() {
        return Ok(HashMap::new());
    }
    if checked.mapping.format.account_is_loose() {
        return Ok(crate::accounts::db::match_by_text(pool, &wanted).await?);
    }
    let unknown = crate::feedback::db::unknown_account_ids(pool, &wanted).await?;
    if !unknown.is_empty() {
        for ext in &unknown {
            for line in checked.accounts.get(ext).into_iter().flatten() {
                checked.errors.push(RowError {
                    line: *line,
                    field: Some("account_external_id".into()),
                    message: format!(
                        "No account has the external id \"{ext}\". Import or create the account first."
                    ),
                });
            }
        }
        checked.errors.sort_by_key(|e| e.line);
    }
    Ok(wanted.into_iter().map(|w| (w.clone(), w)).collect())
}

/// Rows per chunk sent to the staging COPY.
const STAGE_CHUNK_ROWS: usize = 5_000;

/// The last pass: every valid row as staging CSV, sent in chunks. Returns the rows written.
fn write_staging(
    file: &ImportFile,
    checked: &Checked,
    resolved: &HashMap<String, String>,
    default_source: Option<Source>,
    now: time::OffsetDateTime,
    send: &tokio::sync::mpsc::Sender<Vec<u8>>,
) -> anyhow::Result<usize> {
    let new_writer = || {
        csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::with_capacity(STAGE_CHUNK_ROWS * 512))
    };
    let mut w = new_writer();
    let mut in_chunk = 0usize;
    let mut failed: Option<anyhow::Error> = None;
    let iso = |t: Option<time::OffsetDateTime>| t.map(crate::web::format::iso).unwrap_or_default();
    let mut line_buf = String::new();
    let handed = passes::read_valid(
        file,
        checked,
        default_source,
        now,
        Limits::default(),
        |row| {
            if failed.is_some() {
                return;
            }
            let item = &row.item;
            let text = row.account_ref.as_deref();
            let account = text.and_then(|t| resolved.get(t)).map(String::as_str);
            line_buf.clear();
            use std::fmt::Write as _;
            let _ = write!(line_buf, "{}", row.line);
            if let Err(e) = w.write_record([
                line_buf.as_str(),
                item.source.as_str(),
                opt(&item.external_id),
                opt(&item.title),
                &item.body,
                account.unwrap_or(""),
                text.unwrap_or(""),
                opt(&item.contact_email),
                opt(&row.extra.reporter_email),
                &iso(item.received_at),
                &iso(row.extra.received_at_alt),
                &item.nps_score.map(|s| s.to_string()).unwrap_or_default(),
                &item.metadata.to_string(),
            ]) {
                failed = Some(e.into());
                return;
            }
            in_chunk += 1;
            if in_chunk == STAGE_CHUNK_ROWS {
                in_chunk = 0;
                let full = std::mem::replace(&mut w, new_writer());
                match full.into_inner() {
                    Ok(bytes) => {
                        if send.blocking_send(bytes).is_err() {
                            failed = Some(anyhow::anyhow!("the staging COPY stopped"));
                        }
                    }
                    Err(e) => failed = Some(anyhow::anyhow!(e.to_string())),
                }
            }
        },
    )
    .map_err(|refusal| anyhow::anyhow!("{refusal}"))?;
    if let Some(e) = failed {
        return Err(e);
    }
    let rest = w.into_inner().map_err(|e| anyhow::anyhow!(e.to_string()))?;
    if !rest.is_empty() && send.blocking_send(rest).is_err() {
        anyhow::bail!("the staging COPY stopped");
    }
    Ok(handed)
}

/// Staged accounts as CSV in staging column order.
struct Prepared {
    csv: Vec<u8>,
    total_rows: usize,
    errors: Vec<RowError>,
}

impl Prepared {
    fn batch<'a>(&'a self, kind: Kind, filename: &'a str, user: &User) -> db::NewBatch<'a> {
        static EMPTY: std::sync::LazyLock<serde_json::Value> =
            std::sync::LazyLock::new(|| json!([]));
        db::NewBatch {
            kind: kind.as_str(),
            filename,
            format: "Accounts CSV",
            mapping: &EMPTY,
            user_id: user.id,
            total_rows: self.total_rows as i32,
            date_order: None,
            dates_ambiguous: false,
        }
    }
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

fn prepare_accounts(
    rows: Vec<(u64, crate::accounts::NewAccount)>,
    errors: Vec<RowError>,
) -> anyhow::Result<Prepared> {
    let total_rows = rows.len() + errors.len();
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
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
    Ok(Prepared {
        csv: w.into_inner().map_err(|e| anyhow::anyhow!(e.to_string()))?,
        total_rows,
        errors,
    })
}

/// How many unmatched accounts a warning names before "and N more".
const NAMED_IN_WARNING: i64 = 5;

/// What a person should know about a staged batch before committing it, in words: accounts
/// that matched nothing, reporters who are no user, and how ambiguous dates are read.
pub async fn warnings(pool: &PgPool, batch_id: i64) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    let Some(batch) = db::get_batch(pool, batch_id).await? else {
        return Ok(out);
    };
    let (total, named) = db::unmatched_accounts(pool, batch_id, NAMED_IN_WARNING).await?;
    if total > 0 {
        let lines: Vec<String> = named
            .iter()
            .map(|(line, text)| format!("line {line} \"{text}\""))
            .collect();
        let more = total - named.len() as i64;
        out.push(format!(
            "{total} row(s) name an account we don't have and will be imported without one: {}{}",
            lines.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ));
    }
    let reporters = db::unmatched_reporters(pool, batch_id, NAMED_IN_WARNING).await?;
    if !reporters.is_empty() {
        out.push(format!(
            "No user has the reporter email(s) {}; those rows will have no reporter",
            reporters.join(", ")
        ));
    }
    if batch.dates_ambiguous
        && let Some(order) = batch
            .date_order
            .as_deref()
            .and_then(|o| o.parse::<DateOrder>().ok())
    {
        out.push(format!(
            "Every date in the file reads both ways; they are read as {}",
            order.label()
        ));
    }
    Ok(out)
}

/// Read a staged batch's ambiguous dates in `order`; false when its dates are not ambiguous
/// (or it is no longer staged).
pub async fn choose_date_order(
    pool: &PgPool,
    batch_id: i64,
    order: DateOrder,
) -> anyhow::Result<bool> {
    let Some(batch) = db::get_batch(pool, batch_id).await? else {
        return Ok(false);
    };
    if batch.state != "staged" || !batch.dates_ambiguous {
        return Ok(false);
    }
    db::set_date_order(pool, batch_id, order.as_str()).await?;
    Ok(true)
}
