//! Import pages: upload, the per-row error report, preview with column mapping, warnings and
//! the date order, commit with progress. Undoing a commit is in `undo_web`.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::csvfile::{ImportRefusal, MAX_IMPORT_BYTES, RowError};
use super::dates::DateOrder;
use super::{Kind, Staged, db};
use crate::app::AppState;
use crate::audit::Actor;
use crate::auth::session::{FlashKind, set_flash};
use crate::auth::{CurrentUser, Permission};
use crate::error::{AppError, AppResult};
use crate::feedback::Source;
use crate::web::Layout;
use crate::web::format::{When, thousands};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/imports",
            get(upload_page)
                .post(upload)
                .layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES + 1024 * 1024)),
        )
        .route("/imports/{id}", get(batch_page))
        .route("/imports/{id}/commit", post(commit))
        .route("/imports/{id}/cancel", post(cancel))
        .route("/imports/{id}/dates", post(choose_date_order))
        .merge(super::undo_web::router())
}

pub struct BatchView {
    pub batch: db::Batch,
    pub created: When,
    pub undone: Option<When>,
    pub percent: i64,
}

impl BatchView {
    pub(super) fn new(batch: db::Batch) -> Self {
        let percent = if batch.total_rows > 0 {
            (i64::from(batch.done_rows) * 100 / i64::from(batch.total_rows)).clamp(0, 100)
        } else {
            0
        };
        BatchView {
            created: When::from(batch.created_at),
            undone: batch.undone_at.map(When::from),
            percent,
            batch,
        }
    }
}

/// Why the last upload was refused, carried across the redirect back to the upload page (so the
/// address bar never shows the upload URL, which carries the CSRF token).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct UploadReport {
    kind: String,
    default_source: String,
    refusal: Option<String>,
    row_errors: Vec<RowError>,
    more_errors: usize,
    total_rows: String,
    filename: String,
}

const REPORT_KEY: &str = "import_report";

#[derive(Template, WebTemplate)]
#[template(path = "imports/upload.html")]
pub struct UploadPage {
    layout: Layout,
    kind: String,
    default_source: String,
    sources: &'static [Source],
    refusal: Option<String>,
    row_errors: Vec<RowError>,
    more_errors: usize,
    total_rows: String,
    filename: String,
    recent: Vec<BatchView>,
}

const SHOWN_ERRORS: usize = 500;

fn session_err(err: tower_sessions::session::Error) -> AppError {
    AppError::Anyhow(anyhow::anyhow!("session store: {err}"))
}

async fn upload_page(State(state): State<AppState>, current: CurrentUser) -> AppResult<UploadPage> {
    current.user.require(Permission::ManageData)?;
    let report: UploadReport = current
        .session
        .remove(REPORT_KEY)
        .await
        .map_err(session_err)?
        .unwrap_or_else(|| UploadReport {
            kind: "feedback".into(),
            ..UploadReport::default()
        });
    Ok(UploadPage {
        layout: Layout::for_user(&current, "Import CSV", "feedback").await?,
        kind: report.kind,
        default_source: report.default_source,
        sources: &Source::ALL,
        refusal: report.refusal,
        row_errors: report.row_errors,
        more_errors: report.more_errors,
        total_rows: report.total_rows,
        filename: report.filename,
        recent: db::recent_batches(&state.pool, 10)
            .await?
            .into_iter()
            .map(BatchView::new)
            .collect(),
    })
}

/// Back to the upload page, which shows `report` once.
async fn refused(current: &CurrentUser, report: UploadReport) -> AppResult<Response> {
    current
        .session
        .insert(REPORT_KEY, report)
        .await
        .map_err(session_err)?;
    Ok(Redirect::to("/imports").into_response())
}

async fn upload(
    State(state): State<AppState>,
    current: CurrentUser,
    mut multipart: Multipart,
) -> AppResult<Response> {
    current.user.require(Permission::ManageData)?;
    let mut kind = "feedback".to_owned();
    let mut default_source = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(field) = multipart.next_field().await.map_err(|e| {
        AppError::BadRequest(format!("The upload could not be read: {}", e.body_text()))
    })? {
        match field.name() {
            Some("kind") => kind = field.text().await.unwrap_or_default(),
            Some("default_source") => default_source = field.text().await.unwrap_or_default(),
            Some("file") => {
                let name = field.file_name().unwrap_or("").to_owned();
                let bytes = field.bytes().await.map_err(|e| {
                    AppError::BadRequest(format!("The file could not be read: {}", e.body_text()))
                })?;
                file = Some((name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    let mut report = UploadReport {
        kind: kind.clone(),
        default_source: default_source.clone(),
        ..UploadReport::default()
    };
    let parsed_kind = kind.parse::<Kind>();
    let source = match default_source.trim() {
        "" => Ok(None),
        s => s
            .parse::<Source>()
            .map(Some)
            .map_err(|_| format!("There is no source called \"{s}\"")),
    };
    let (kind, source, (filename, bytes)) = match (parsed_kind, source, file) {
        (Err(msg), _, _) | (_, Err(msg), _) => {
            report.refusal = Some(msg);
            return refused(&current, report).await;
        }
        (Ok(k), Ok(s), Some((name, bytes))) if !bytes.is_empty() => {
            let name = if name.is_empty() {
                "upload.csv".into()
            } else {
                name
            };
            (k, s, (name, bytes))
        }
        // A chosen file with nothing in it (a browser sends a name) is not "no file".
        (_, _, Some((name, _))) if !name.is_empty() => {
            report.filename = name;
            report.refusal = Some(ImportRefusal::Empty.to_string());
            return refused(&current, report).await;
        }
        _ => {
            report.refusal = Some("Choose a CSV file to import.".into());
            return refused(&current, report).await;
        }
    };
    report.filename = filename.clone();
    match super::stage(
        &state.pool,
        kind,
        bytes,
        &filename,
        source,
        &current.user,
        |_| {},
    )
    .await?
    {
        Staged::Ready { batch_id, .. } => {
            Ok(Redirect::to(&format!("/imports/{batch_id}")).into_response())
        }
        Staged::Refused(message) => {
            report.refusal = Some(message);
            refused(&current, report).await
        }
        Staged::Invalid {
            mut errors,
            total_rows,
        } => {
            report.total_rows = thousands(total_rows as i64);
            report.more_errors = errors.len().saturating_sub(SHOWN_ERRORS);
            errors.truncate(SHOWN_ERRORS);
            report.row_errors = errors;
            refused(&current, report).await
        }
    }
}

/// How many warnings of each kind the preview lists.
const SHOWN_WARNINGS: i64 = 50;

#[derive(Template, WebTemplate)]
#[template(path = "imports/batch.html")]
pub struct BatchPage {
    layout: Layout,
    view: BatchView,
    mapping: Vec<(String, String)>,
    rows: Vec<db::PreviewRow>,
    updates: i64,
    new_rows: i64,
    refresh: bool,
    /// (line, what the file said) for accounts that matched nothing, and how many in all.
    unmatched_accounts: Vec<(i64, String)>,
    unmatched_account_total: i64,
    unmatched_reporters: Vec<String>,
    /// The order the dates are read in now, when the person importing may choose.
    date_choice: Option<DateOrder>,
    can_undo: bool,
}

impl BatchPage {
    fn order_options(&self) -> [(DateOrder, &'static str); 2] {
        [
            (
                DateOrder::MonthFirst,
                "Month first (11/25/2026 is 25 November)",
            ),
            (DateOrder::DayFirst, "Day first (25/11/2026 is 25 November)"),
        ]
    }
}

async fn batch_page(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<BatchPage> {
    current.user.require(Permission::ManageData)?;
    let batch = db::get_batch(&state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let staged = batch.state == "staged";
    let (rows, updates) = if staged {
        (
            db::preview_rows(&state.pool, id, 20).await?,
            db::count_updates(&state.pool, id, &batch.kind).await?,
        )
    } else {
        (Vec::new(), 0)
    };
    let ((unmatched_account_total, unmatched_accounts), unmatched_reporters) =
        if staged && batch.kind == "feedback" {
            (
                db::unmatched_accounts(&state.pool, id, SHOWN_WARNINGS).await?,
                db::unmatched_reporters(&state.pool, id, SHOWN_WARNINGS).await?,
            )
        } else {
            ((0, Vec::new()), Vec::new())
        };
    let date_choice = batch
        .date_order
        .as_deref()
        .filter(|_| staged && batch.dates_ambiguous)
        .and_then(|o| o.parse().ok());
    let mapping = batch
        .mapping
        .as_array()
        .map(|cols| {
            cols.iter()
                .map(|c| {
                    let column = c["column"].as_str().unwrap_or("").to_owned();
                    let field = match c["field"].as_str() {
                        Some(f) if f.starts_with("metadata") => "kept in metadata".to_owned(),
                        Some("reporter_email") => "reporter (a user, by email)".to_owned(),
                        Some(f) => f.to_owned(),
                        None => "ignored".to_owned(),
                    };
                    (column, field)
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(BatchPage {
        layout: Layout::for_user(&current, format!("Import {}", batch.filename), "feedback")
            .await?,
        refresh: batch.state == "committing",
        new_rows: i64::from(batch.total_rows) - updates,
        can_undo: batch.state == "committed"
            && batch.kind == "feedback"
            && batch.undone_at.is_none(),
        updates,
        mapping,
        rows,
        unmatched_accounts,
        unmatched_account_total,
        unmatched_reporters,
        date_choice,
        view: BatchView::new(batch),
    })
}

async fn commit(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    current.user.require(Permission::ManageData)?;
    db::get_batch(&state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !db::start_commit(&state.pool, id).await? {
        return Err(AppError::Conflict(
            "This import has already been committed or cancelled.".into(),
        ));
    }
    let pool = state.pool.clone();
    let user = current.user.clone();
    // Runs in the background so big files do not hold the request; the page shows progress.
    tokio::spawn(async move {
        let _ = super::commit_claimed(&pool, id, &Actor::User(&user), |_, _| {}).await;
    });
    Ok(Redirect::to(&format!("/imports/{id}")).into_response())
}

async fn cancel(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    current.user.require(Permission::ManageData)?;
    let batch = db::get_batch(&state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if batch.state != "staged" {
        return Err(AppError::Conflict(
            "Only an import waiting to be committed can be cancelled.".into(),
        ));
    }
    super::cancel(&state.pool, id).await?;
    set_flash(
        &current.session,
        FlashKind::Info,
        "Import cancelled; nothing was written.",
        None,
    )
    .await?;
    Ok(Redirect::to("/imports").into_response())
}

#[derive(Debug, Deserialize)]
struct DateOrderForm {
    order: String,
}

/// Read the file's ambiguous dates in the order the person chose.
async fn choose_date_order(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<DateOrderForm>,
) -> AppResult<Response> {
    current.user.require(Permission::ManageData)?;
    let batch = db::get_batch(&state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let Ok(order) = form.order.parse::<DateOrder>() else {
        return Err(AppError::BadRequest(
            "Choose month first or day first.".into(),
        ));
    };
    if !super::choose_date_order(&state.pool, batch.id, order).await? {
        return Err(AppError::Conflict(
            "The dates of this import can no longer be changed.".into(),
        ));
    }
    set_flash(
        &current.session,
        FlashKind::Info,
        format!("Dates are now read as {}.", order.label()),
        None,
    )
    .await?;
    Ok(Redirect::to(&format!("/imports/{id}")).into_response())
}
