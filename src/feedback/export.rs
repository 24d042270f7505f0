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
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use futures_util::TryStreamExt;

use super::api::{FeedbackItem, ItemTheme};
use super::db::{self, ExportedFeedback};
use super::query::{Filter, ListParams};
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

/// Bytes gathered before each send: large enough that a send costs little per row, small enough
/// (with the channel's few chunks in flight) to hold the server's memory constant.
const CHUNK_BYTES: usize = 256 * 1024;
/// Chunks encoded ahead of the client.
const CHUNKS_AHEAD: usize = 4;
/// Items per themes lookup (and per encoding step). Two batches are held at a time.
const BATCH_ROWS: usize = 2000;

/// What the export links add to the list's filters.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ExportOptions {
    /// `1`: start the CSV with a UTF-8 byte order mark, so spreadsheet programs read it as UTF-8.
    pub bom: Option<String>,
}

type Themes = HashMap<i64, Vec<ItemTheme>>;

/// The CSV row of an exported item (its values moved, not copied).
fn csv_row(r: ExportedFeedback, themes: &mut Themes) -> ExportRow {
    let themes = themes
        .remove(&r.id)
        .unwrap_or_default()
        .into_iter()
        .map(|t| match t.state.as_str() {
            "suggested" => format!("{} (suggested)", t.name),
            _ => t.name,
        })
        .collect();
    ExportRow {
        id: r.id.to_string(),
        source: r.source.parse().unwrap_or(Source::Other),
        external_id: r.external_id,
        title: r.title,
        body: r.body,
        account_external_id: r.account_external_id,
        account_name: r.account_name,
        contact_email: r.contact_email,
        reporter_email: r.reporter_email,
        received_at: Some(r.received_at),
        nps_score: r.nps_score,
        arr_cents_snapshot: r.arr_cents_snapshot,
        currency_snapshot: r.currency_snapshot,
        themes,
        metadata: r.metadata,
    }
}

/// The JSON item of an exported item, as the API shows it (its values moved, not copied).
fn json_item(r: ExportedFeedback, themes: &mut Themes) -> FeedbackItem {
    FeedbackItem {
        themes: themes.remove(&r.id).unwrap_or_default(),
        id: r.id,
        source: r.source,
        body: r.body,
        title: r.title,
        external_id: r.external_id,
        account_external_id: r.account_external_id,
        account_name: r.account_name,
        contact_email: r.contact_email,
        reporter_email: r.reporter_email,
        received_at: crate::web::format::iso(r.received_at),
        nps_score: r.nps_score,
        arr_cents_snapshot: r.arr_cents_snapshot,
        currency_snapshot: r.currency_snapshot,
        metadata: r.metadata,
    }
}

/// Log a failed export and end the response with an error (the client sees a cut download).
async fn fail(tx: &tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>, err: sqlx::Error) {
    tracing::error!(error = %err, "export failed");
    let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
}

/// The second connection of an export: in the items' snapshot, it reads their tags.
type TagsConn = db::ExportConn;
/// Batches of items with their themes, on their way to the encoder.
type Batches = tokio::sync::mpsc::Sender<(Vec<ExportedFeedback>, Themes)>;
type Rows<'a> = futures_util::stream::BoxStream<'a, sqlx::Result<ExportedFeedback>>;

fn item_theme(tag: db::ExportedTag, names: &HashMap<i64, String>) -> ItemTheme {
    ItemTheme {
        tag_id: tag.id,
        theme_id: tag.theme_id,
        name: names.get(&tag.theme_id).cloned().unwrap_or_default(),
        state: tag.state,
    }
}

/// The next batch of items (empty when all are read).
async fn next_batch(rows: &mut Rows<'_>) -> sqlx::Result<Vec<ExportedFeedback>> {
    let mut batch = Vec::with_capacity(BATCH_ROWS);
    while batch.len() < BATCH_ROWS {
        match rows.try_next().await? {
            Some(row) => batch.push(row),
            None => break,
        }
    }
    Ok(batch)
}

/// A batch's themes being read on the second connection, which the task hands back.
type Lookup = tokio::task::JoinHandle<(TagsConn, sqlx::Result<Themes>)>;

fn lookup(mut conn: TagsConn, names: Arc<HashMap<i64, String>>, ids: Vec<i64>) -> Lookup {
    tokio::spawn(async move {
        let tags = db::live_tags(&mut *conn, &ids).await;
        let themes = tags.map(|tags| {
            let mut by_item = Themes::with_capacity(ids.len());
            for t in tags {
                by_item
                    .entry(t.feedback_id)
                    .or_default()
                    .push(item_theme(t, &names));
            }
            by_item
        });
        (conn, themes)
    })
}

/// A filtered export: each batch's tags are looked up by id on the second connection while the
/// next batch arrives. `Ok(false)`: the client went away.
async fn probe_tags(
    mut rows: Rows<'_>,
    conn: TagsConn,
    names: Arc<HashMap<i64, String>>,
    batches: Batches,
) -> sqlx::Result<bool> {
    let mut pending: Option<(Vec<ExportedFeedback>, Lookup)> = None;
    let mut idle = Some(conn);
    loop {
        let batch = next_batch(&mut rows).await?;
        if let Some((items, running)) = pending.take() {
            let (conn, themes) = running
                .await
                .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
            idle = Some(conn);
            if batches.send((items, themes?)).await.is_err() {
                return Ok(false);
            }
        }
        if batch.is_empty() {
            return Ok(true);
        }
        let conn = idle
            .take()
            .ok_or_else(|| sqlx::Error::Protocol("the tags connection is still busy".into()))?;
        let ids = batch.iter().map(|r| r.id).collect();
        pending = Some((batch, lookup(conn, Arc::clone(&names), ids)));
    }
}

/// Tags read per streamed chunk.
const TAG_CHUNK: usize = 4096;

/// A whole export: every live tag streams in the items' order on the second connection (its own
/// task, a few chunks ahead), and each batch takes the tags up to its last item. Tags of items
/// the export leaves out (archived ones) are passed over. `Ok(false)`: the client went away.
async fn merge_tags(
    mut rows: Rows<'_>,
    mut conn: TagsConn,
    names: Arc<HashMap<i64, String>>,
    batches: Batches,
) -> sqlx::Result<bool> {
    let (chunks, mut tags) = tokio::sync::mpsc::channel::<sqlx::Result<Vec<db::OrderedTag>>>(4);
    let reader = tokio::spawn(async move {
        let mut stream = db::all_live_tags(&mut *conn);
        let mut chunk = Vec::with_capacity(TAG_CHUNK);
        loop {
            match stream.try_next().await {
                Ok(Some(tag)) => {
                    chunk.push(tag);
                    if chunk.len() == TAG_CHUNK {
                        let full = std::mem::replace(&mut chunk, Vec::with_capacity(TAG_CHUNK));
                        if chunks.send(Ok(full)).await.is_err() {
                            return;
                        }
                    }
                }
                Ok(None) => {
                    let _ = chunks.send(Ok(chunk)).await;
                    return;
                }
                Err(err) => {
                    let _ = chunks.send(Err(err)).await;
                    return;
                }
            }
        }
    });
    let mut ahead: std::collections::VecDeque<db::OrderedTag> = Default::default();
    let mut tags_done = false;
    let sent = async {
        loop {
            let batch = next_batch(&mut rows).await?;
            let Some(last) = batch.last() else {
                return Ok(true);
            };
            let edge = (last.received_at, last.id);
            let mut themes = Themes::with_capacity(batch.len());
            loop {
                if ahead.is_empty() && !tags_done {
                    match tags.recv().await {
                        Some(chunk) => ahead.extend(chunk?),
                        None => tags_done = true,
                    }
                    continue;
                }
                match ahead.front() {
                    // Newest first: a tag at or before the batch's last item is the batch's.
                    Some(t) if (t.received_at, t.tag.feedback_id) >= edge => {
                        if let Some(t) = ahead.pop_front() {
                            themes
                                .entry(t.tag.feedback_id)
                                .or_default()
                                .push(item_theme(t.tag, &names));
                        }
                    }
                    _ => break,
                }
            }
            if batches.send((batch, themes)).await.is_err() {
                return Ok(false);
            }
        }
    };
    let result = sent.await;
    reader.abort();
    result
}

/// Stream every item matching the filters, newest first, through `encode` (which appends a
/// batch of items, given their themes, to the buffer; `true` for the first batch).
///
/// Three things run at once, each on its own task: the items arrive from one statement on one
/// connection (rows decoded while the database still reads); their tags are read on a second
/// connection that shares the first one's snapshot (`pg_export_snapshot`), so they are the tags
/// of the same moment; and the batches before are encoded and sent. A whole export streams
/// its tags in the items' order ([`merge_tags`]), a filtered one looks each batch's up by id
/// ([`probe_tags`]). A client that goes away closes the connections, which ends the statements.
fn export_stream(
    state: AppState,
    mut filter: Filter,
    head: Bytes,
    mut encode: impl FnMut(&mut Vec<u8>, Vec<ExportedFeedback>, Themes, bool) + Send + 'static,
    tail: &'static [u8],
) -> Body {
    filter.newest_first = true;
    let whole = filter
        == Filter {
            newest_first: true,
            ..Filter::default()
        };
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(CHUNKS_AHEAD);
    let (batches, mut to_encode) = tokio::sync::mpsc::channel::<(Vec<ExportedFeedback>, Themes)>(2);
    let out = tx.clone();
    let encoder = tokio::spawn(async move {
        let mut buf = Vec::with_capacity(CHUNK_BYTES * 5 / 4);
        let mut first = true;
        while let Some((items, themes)) = to_encode.recv().await {
            encode(&mut buf, items, themes, first);
            first = false;
            if buf.len() >= CHUNK_BYTES {
                let chunk = std::mem::replace(&mut buf, Vec::with_capacity(CHUNK_BYTES * 5 / 4));
                if out.send(Ok(Bytes::from(chunk))).await.is_err() {
                    return false;
                }
            }
        }
        buf.extend_from_slice(tail);
        out.send(Ok(Bytes::from(buf))).await.is_ok()
    });
    tokio::spawn(async move {
        if tx.send(Ok(head)).await.is_err() {
            return;
        }
        let (mut items, tags, names) = match db::shared_snapshot(&state.pool).await {
            Ok(both) => both,
            Err(err) => return fail(&tx, err).await,
        };
        let names = Arc::new(names);
        let named = match filter.q.as_deref() {
            Some(q) => match db::named_accounts(&mut *items, q).await {
                Ok(named) => named,
                Err(err) => return fail(&tx, err).await,
            },
            None => Vec::new(),
        };
        let rows = db::export(&mut *items, &filter, &named);
        let read = if whole {
            merge_tags(rows, tags, names, batches).await
        } else {
            probe_tags(rows, tags, names, batches).await
        };
        match read {
            // Both connections close as they go (ending their read-only transactions).
            Ok(true) => {
                let _ = encoder.await;
            }
            Ok(false) => encoder.abort(),
            Err(err) => {
                encoder.abort();
                fail(&tx, err).await;
            }
        }
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
        |buf, rows, mut themes, _| {
            let mut w = csv::Writer::from_writer(buf);
            for row in rows {
                let _ = write_csv_row(&mut w, &csv_row(row, &mut themes));
            }
            let _ = w.flush();
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
        |buf, rows, mut themes, first| {
            for (i, row) in rows.into_iter().enumerate() {
                if i > 0 || !first {
                    buf.extend_from_slice(b",\n");
                }
                let _ = serde_json::to_writer(&mut *buf, &json_item(row, &mut themes));
            }
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
