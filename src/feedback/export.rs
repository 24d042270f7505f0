//! Exports of feedback: the CSV in the Goldthread format and the JSON file, streamed.
//!
//! The file re-imports (the Goldthread format of `crate::imports`, which tests the round trip)
//! into the same values: the export-only columns (`id`, `account_name`,
//! `reporter_email`, `arr_cents_snapshot`, `currency_snapshot`, `themes`) are ignored on import,
//! and the
//! `metadata` column carries the metadata object as JSON. Text cells that
//! start with `=`, `+`, `-`, `@`, tab or carriage return get a leading `'`
//! so spreadsheets don't run them as formulas; the importer removes it.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::api::{FeedbackItem, ItemTheme, export_row, themes_of};
use super::db::{self, ListedFeedback};
use super::query::{Filter, ListParams};
use super::web::next_cursor;
use crate::app::AppState;
use crate::auth::{CurrentUser, Permission};
use crate::error::AppResult;
use crate::feedback::{NewFeedback, Source};

const HEADER: [&str; 15] = [
    "id",
    "source",
    "external_id",
    "title",
    "body",
    "account_external_id",
    "account_name",
    "contact_email",
    "reporter_email",
    "received_at",
    "nps_score",
    "arr_cents_snapshot",
    "currency_snapshot",
    "themes",
    "metadata",
];

/// Column names of the export, in order. Write it first with
/// `writer.write_record(csv_header())`.
pub fn csv_header() -> &'static [&'static str] {
    &HEADER
}

/// One exported feedback item (owned, plain data filled by the app).
#[derive(Debug, Clone, PartialEq)]
pub struct ExportRow {
    /// Our id for the item (database id, as text).
    pub id: String,
    pub source: Source,
    pub external_id: Option<String>,
    pub title: Option<String>,
    pub body: String,
    pub account_external_id: Option<String>,
    pub account_name: Option<String>,
    pub contact_email: Option<String>,
    /// Who entered it in Goldthread.
    pub reporter_email: Option<String>,
    pub received_at: Option<OffsetDateTime>,
    pub nps_score: Option<i16>,
    /// The account's ARR when the feedback was recorded.
    pub arr_cents_snapshot: Option<i64>,
    /// The currency of `arr_cents_snapshot` (ISO 4217).
    pub currency_snapshot: Option<String>,
    /// Theme names, suggested ones marked "(suggested)"; written joined by "; ".
    pub themes: Vec<String>,
    /// A JSON object; written as compact JSON (`{}` written as empty).
    pub metadata: serde_json::Value,
}

impl ExportRow {
    /// Export row from a validated item (no account or reporter details).
    pub fn from_new(id: impl Into<String>, f: &NewFeedback) -> ExportRow {
        ExportRow {
            id: id.into(),
            source: f.source,
            external_id: f.external_id.clone(),
            title: f.title.clone(),
            body: f.body.clone(),
            account_external_id: f.account_external_id.clone(),
            account_name: None,
            contact_email: f.contact_email.clone(),
            reporter_email: None,
            received_at: f.received_at,
            nps_score: f.nps_score,
            arr_cents_snapshot: None,
            currency_snapshot: None,
            themes: Vec::new(),
            metadata: f.metadata.clone(),
        }
    }
}

/// Prefixes `'` to text a spreadsheet would treat as a formula.
fn safe(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

fn opt(s: &Option<String>) -> std::borrow::Cow<'_, str> {
    safe(s.as_deref().unwrap_or(""))
}

/// Writes one row in [`csv_header`] order.
pub fn write_csv_row<W: std::io::Write>(
    w: &mut csv::Writer<W>,
    row: &ExportRow,
) -> csv::Result<()> {
    let received = row
        .received_at
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default();
    let score = row.nps_score.map(|n| n.to_string()).unwrap_or_default();
    let arr = row
        .arr_cents_snapshot
        .map(|n| n.to_string())
        .unwrap_or_default();
    let metadata = match &row.metadata {
        serde_json::Value::Null => String::new(),
        serde_json::Value::Object(m) if m.is_empty() => String::new(),
        v => v.to_string(),
    };
    let id = safe(&row.id);
    let external_id = opt(&row.external_id);
    let title = opt(&row.title);
    let body = safe(&row.body);
    let account_external_id = opt(&row.account_external_id);
    let account_name = opt(&row.account_name);
    let contact_email = opt(&row.contact_email);
    let reporter_email = opt(&row.reporter_email);
    let currency = opt(&row.currency_snapshot);
    let themes = row.themes.join("; ");
    let themes = safe(&themes);
    w.write_record([
        &*id,
        row.source.as_str(),
        &*external_id,
        &*title,
        &*body,
        &*account_external_id,
        &*account_name,
        &*contact_email,
        &*reporter_email,
        &received,
        &score,
        &arr,
        &*currency,
        &*themes,
        &metadata,
    ])
}

/// Rows per database round trip while exporting.
const EXPORT_PAGE: i64 = 1000;

/// What the export links add to the list's filters.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ExportOptions {
    /// `1`: start the CSV with a UTF-8 byte order mark, so spreadsheet programs read it as UTF-8.
    pub bom: Option<String>,
}

type Themes = HashMap<i64, Vec<ItemTheme>>;

/// Stream every item matching the filters, page by page (newest first, searches too: a keyset
/// on time reaches every match at the cost of each page), through `encode`.
fn export_stream(
    state: AppState,
    mut filter: Filter,
    head: Bytes,
    encode: impl Fn(&[ListedFeedback], &Themes, bool) -> Bytes + Send + 'static,
    tail: &'static [u8],
) -> Body {
    filter.newest_first = true;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::spawn(async move {
        if tx.send(Ok(head)).await.is_err() {
            return;
        }
        let mut cursor = None;
        let mut first = true;
        loop {
            let page = async {
                let rows = db::list(&state.pool, &filter, cursor, EXPORT_PAGE).await?;
                let themes = themes_of(&state.pool, &rows).await?;
                Ok::<_, sqlx::Error>((rows, themes))
            };
            let (rows, themes) = match page.await {
                Ok(page) => page,
                Err(err) => {
                    tracing::error!(error = %err, "export failed");
                    let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
                    return;
                }
            };
            if !rows.is_empty() {
                if tx.send(Ok(encode(&rows, &themes, first))).await.is_err() {
                    return;
                }
                first = false;
            }
            match next_cursor(&rows, EXPORT_PAGE) {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        let _ = tx.send(Ok(Bytes::from_static(tail))).await;
    });
    Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    }))
}

pub async fn export_csv(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(params): Query<ListParams>,
    Query(options): Query<ExportOptions>,
) -> AppResult<Response> {
    current.user.require(Permission::Read)?;
    let (filter, _, _, _) = params.parse();
    let mut head = Vec::new();
    if matches!(options.bom.as_deref(), Some("1" | "true" | "on" | "yes")) {
        head.extend_from_slice("\u{feff}".as_bytes());
    }
    let mut header = csv::Writer::from_writer(head);
    header
        .write_record(csv_header())
        .map_err(|e| anyhow::anyhow!(e))?;
    let header = header
        .into_inner()
        .map_err(|e| anyhow::anyhow!(e.to_string()))?;
    let body = export_stream(
        state,
        filter,
        Bytes::from(header),
        |rows, themes, _| {
            let mut w = csv::Writer::from_writer(Vec::new());
            for row in rows {
                let _ = write_csv_row(&mut w, &export_row(row, themes));
            }
            Bytes::from(w.into_inner().unwrap_or_default())
        },
        b"",
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"feedback.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}

pub async fn export_json(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(params): Query<ListParams>,
) -> AppResult<Response> {
    current.user.require(Permission::Read)?;
    let (filter, _, _, _) = params.parse();
    let body = export_stream(
        state,
        filter,
        Bytes::from_static(b"{\"items\":[\n"),
        |rows, themes, first| {
            let mut out = Vec::with_capacity(rows.len() * 400);
            if !first {
                out.extend_from_slice(b",\n");
            }
            for (i, row) in rows.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(b",\n");
                }
                let _ = serde_json::to_writer(&mut out, &FeedbackItem::with_themes(row, themes));
            }
            Bytes::from(out)
        },
        b"\n]}\n",
    );
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/json"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"feedback.json\"",
            ),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn header_has_our_columns_and_extras() {
        let h = csv_header();
        for c in [
            "source",
            "external_id",
            "body",
            "title",
            "account_external_id",
            "contact_email",
            "received_at",
            "nps_score",
            "id",
            "account_name",
            "reporter_email",
            "arr_cents_snapshot",
            "currency_snapshot",
            "themes",
        ] {
            assert!(h.contains(&c), "{c}");
        }
    }
}
