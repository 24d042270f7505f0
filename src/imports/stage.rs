//! Staging a file: parse and check it off the async threads, match the accounts it names,
//! and copy the rows to `import_rows` for the preview. Nothing reaches feedback or accounts.

use std::collections::{HashMap, HashSet};

use serde_json::json;
use sqlx::PgPool;

use super::csvfile::RowError;
use super::dates::DateOrder;
use super::formats::ColumnMapping;
use super::formats::accounts::parse_accounts_csv;
use super::parse::{ParsedImport, parse_feedback_csv};
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
    let prepared = match kind {
        Kind::Feedback => {
            let parsed = tokio::task::spawn_blocking(move || {
                parse_feedback_csv(&bytes, default_source, &mut on_progress)
            })
            .await
            .map_err(|e| anyhow::anyhow!("parsing task failed: {e}"))?;
            match parsed {
                Ok(parsed) => prepare_feedback(pool, parsed).await?,
                Err(refusal) => return Ok(Staged::Refused(refusal.to_string())),
            }
        }
        Kind::Accounts => {
            let parsed = tokio::task::spawn_blocking(move || {
                let parsed = parse_accounts_csv(&bytes);
                if let Ok((rows, errors)) = &parsed {
                    on_progress(rows.len() + errors.len());
                }
                parsed
            })
            .await
            .map_err(|e| anyhow::anyhow!("parsing task failed: {e}"))?;
            match parsed {
                Ok((rows, errors)) => prepare_accounts(rows, errors)?,
                Err(refusal) => return Ok(Staged::Refused(refusal.to_string())),
            }
        }
    };
    if !prepared.errors.is_empty() {
        return Ok(Staged::Invalid {
            errors: prepared.errors,
            total_rows: prepared.total_rows,
        });
    }
    let mut tx = pool.begin().await?;
    let batch_id = db::create_batch(
        &mut *tx,
        &db::NewBatch {
            kind: kind.as_str(),
            filename,
            format: &prepared.format,
            mapping: &prepared.mapping,
            user_id: user.id,
            total_rows: prepared.total_rows as i32,
            date_order: prepared.date_order,
            dates_ambiguous: prepared.dates_ambiguous,
        },
    )
    .await?;
    let columns = match kind {
        Kind::Feedback => db::FEEDBACK_COLUMNS,
        Kind::Accounts => db::ACCOUNT_COLUMNS,
    };
    db::set_batch_for_copy(&mut *tx, batch_id).await?;
    match prepared.rows {
        Staging::Csv(csv) => {
            db::copy_rows(&mut tx, columns, &csv).await?;
        }
        Staging::Feedback { parsed, resolved } => {
            let mut copy = db::start_copy(&mut tx, columns).await?;
            let mut chunks = FeedbackChunks::new(parsed, resolved);
            while let Some(chunk) = chunks.next_chunk()? {
                copy.send(chunk).await?;
            }
            copy.finish().await?;
        }
    }
    tx.commit().await?;
    // Committing reads the staged rows in line ranges: the planner must know there are many.
    crate::db::analyze_after_bulk(pool, &["import_rows"], prepared.total_rows as u64).await?;
    Ok(Staged::Ready {
        batch_id,
        total_rows: prepared.total_rows,
    })
}

/// What goes to staging: accounts as written CSV, feedback as parsed rows written to the COPY
/// in chunks (each chunk's rows freed once sent), so the file is not held twice in memory.
enum Staging {
    Csv(Vec<u8>),
    Feedback {
        parsed: ParsedImport,
        resolved: HashMap<String, String>,
    },
}

struct Prepared {
    /// Staging rows, in the order of the kind's staging columns.
    rows: Staging,
    mapping: serde_json::Value,
    format: String,
    total_rows: usize,
    errors: Vec<RowError>,
    date_order: Option<&'static str>,
    dates_ambiguous: bool,
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

/// Matches the accounts the rows name, adds an error per row whose account must exist and
/// does not (every row, valid or not, so each row's problems are all listed), and writes
/// the staging CSV when nothing is wrong.
async fn prepare_feedback(pool: &PgPool, mut parsed: ParsedImport) -> anyhow::Result<Prepared> {
    let format = parsed.mapping.format;
    // Distinct, sorted (a million rows name a few hundred accounts).
    let wanted: Vec<String> = parsed
        .account_refs
        .iter()
        .map(|(_, a)| a.as_str())
        .collect::<std::collections::BTreeSet<&str>>()
        .into_iter()
        .map(str::to_owned)
        .collect();
    // What each row's account text resolves to (an account external id).
    let resolved: HashMap<String, String> = if wanted.is_empty() {
        HashMap::new()
    } else if format.account_is_loose() {
        crate::accounts::db::match_by_text(pool, &wanted).await?
    } else {
        let unknown: HashSet<String> = crate::feedback::db::unknown_account_ids(pool, &wanted)
            .await?
            .into_iter()
            .collect();
        if !unknown.is_empty() {
            parsed.errors.extend(
                parsed
                    .account_refs
                    .iter()
                    .filter(|(_, ext)| unknown.contains(ext))
                    .map(|(line, ext)| RowError {
                        line: *line,
                        field: Some("account_external_id".into()),
                        message: format!(
                            "No account has the external id \"{ext}\". Import or create the account first."
                        ),
                    }),
            );
            parsed.errors.sort_by_key(|e| e.line);
        }
        wanted.into_iter().map(|w| (w.clone(), w)).collect()
    };
    let mapping = mapping_json(&parsed.mapping);
    let label = parsed.mapping.format.label().to_owned();
    let dates = parsed.dates;
    let total_rows = parsed.total_rows;
    if !parsed.errors.is_empty() {
        return Ok(Prepared {
            rows: Staging::Csv(Vec::new()),
            mapping,
            format: label,
            total_rows,
            errors: parsed.errors,
            date_order: None,
            dates_ambiguous: false,
        });
    }
    Ok(Prepared {
        rows: Staging::Feedback { parsed, resolved },
        mapping,
        format: label,
        total_rows,
        errors: Vec::new(),
        date_order: dates.map(|d| d.order.as_str()),
        dates_ambiguous: dates.is_some_and(|d| d.ambiguous),
    })
}

/// Staging rows written as CSV a chunk at a time, consuming the parsed rows.
struct FeedbackChunks {
    rows: std::iter::Zip<
        std::vec::IntoIter<(u64, crate::feedback::NewFeedback)>,
        std::vec::IntoIter<super::parse::RowExtra>,
    >,
    /// (line, account text) in line order, like the rows.
    refs: std::iter::Peekable<std::vec::IntoIter<(u64, String)>>,
    resolved: HashMap<String, String>,
}

/// Rows per chunk sent to the staging COPY.
const STAGE_CHUNK_ROWS: usize = 10_000;

impl FeedbackChunks {
    fn new(parsed: ParsedImport, resolved: HashMap<String, String>) -> Self {
        FeedbackChunks {
            rows: parsed.rows.into_iter().zip(parsed.extras),
            refs: parsed.account_refs.into_iter().peekable(),
            resolved,
        }
    }

    fn next_chunk(&mut self) -> anyhow::Result<Option<Vec<u8>>> {
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::with_capacity(STAGE_CHUNK_ROWS * 256));
        let iso =
            |t: Option<time::OffsetDateTime>| t.map(crate::web::format::iso).unwrap_or_default();
        let mut n = 0;
        for ((line, item), extra) in self.rows.by_ref().take(STAGE_CHUNK_ROWS) {
            n += 1;
            while self.refs.peek().is_some_and(|(l, _)| *l < line) {
                self.refs.next();
            }
            let text = self.refs.next_if(|(l, _)| *l == line).map(|(_, text)| text);
            let account = text
                .as_deref()
                .and_then(|t| self.resolved.get(t))
                .map(String::as_str);
            w.write_record([
                &line.to_string(),
                item.source.as_str(),
                opt(&item.external_id),
                opt(&item.title),
                &item.body,
                account.unwrap_or(""),
                text.as_deref().unwrap_or(""),
                opt(&item.contact_email),
                opt(&extra.reporter_email),
                &iso(item.received_at),
                &iso(extra.received_at_alt),
                &item.nps_score.map(|s| s.to_string()).unwrap_or_default(),
                &item.metadata.to_string(),
            ])?;
        }
        if n == 0 {
            return Ok(None);
        }
        Ok(Some(
            w.into_inner().map_err(|e| anyhow::anyhow!(e.to_string()))?,
        ))
    }
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
        rows: Staging::Csv(w.into_inner().map_err(|e| anyhow::anyhow!(e.to_string()))?),
        mapping: json!([]),
        format: "Accounts CSV".into(),
        total_rows,
        errors,
        date_order: None,
        dates_ambiguous: false,
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
