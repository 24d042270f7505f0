//! Import pages: upload, the per-row error report, preview with column mapping, commit with progress.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::{Kind, Staged, db};
use crate::app::AppState;
use crate::audit::Actor;
use crate::auth::session::{FlashKind, set_flash};
use crate::auth::{CurrentUser, Permission};
use crate::error::{AppError, AppResult};
use crate::feedback::Source;
use crate::feedback::import::{MAX_IMPORT_BYTES, RowError};
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
}

pub struct BatchView {
    pub batch: db::Batch,
    pub created: When,
    pub percent: i64,
}

impl BatchView {
    fn new(batch: db::Batch) -> Self {
        let percent = if batch.total_rows > 0 {
            (i64::from(batch.done_rows) * 100 / i64::from(batch.total_rows)).clamp(0, 100)
        } else {
            0
        };
        BatchView {
            created: When::from(batch.created_at),
            percent,
            batch,
        }
    }
}

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

async fn render_upload(
    state: &AppState,
    current: &CurrentUser,
    kind: String,
    default_source: String,
) -> AppResult<UploadPage> {
    Ok(UploadPage {
        layout: Layout::for_user(current, "Import CSV", "feedback").await?,
        kind,
        default_source,
        sources: &Source::ALL,
        refusal: None,
        row_errors: Vec::new(),
        more_errors: 0,
        total_rows: String::new(),
        filename: String::new(),
        recent: db::recent_batches(&state.pool, 10)
            .await?
            .into_iter()
            .map(BatchView::new)
            .collect(),
    })
}

async fn upload_page(State(state): State<AppState>, current: CurrentUser) -> AppResult<UploadPage> {
    current.user.require(Permission::ManageData)?;
    render_upload(&state, &current, "feedback".into(), String::new()).await
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
                let name = field.file_name().unwrap_or("upload.csv").to_owned();
                let bytes = field.bytes().await.map_err(|e| {
                    AppError::BadRequest(format!("The file could not be read: {}", e.body_text()))
                })?;
                file = Some((name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    let mut page = render_upload(&state, &current, kind.clone(), default_source.clone()).await?;
    let parsed_kind = kind.parse::<Kind>();
    let source = match default_source.trim() {
        "" => Ok(None),
        s => s
            .parse::<Source>()
            .map(Some)
            .map_err(|_| format!("There is no source called \"{s}\"")),
    };
    let (kind, source, (filename, bytes)) = match (parsed_kind, source, file) {
        (Ok(k), Ok(s), Some((name, bytes))) if !bytes.is_empty() => (k, s, (name, bytes)),
        (Err(msg), _, _) | (_, Err(msg), _) => {
            page.refusal = Some(msg);
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
        _ => {
            page.refusal = Some("Choose a CSV file to import.".into());
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    page.filename = filename.clone();
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
            page.refusal = Some(message);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Staged::Invalid {
            mut errors,
            total_rows,
        } => {
            page.total_rows = thousands(total_rows as i64);
            page.more_errors = errors.len().saturating_sub(SHOWN_ERRORS);
            errors.truncate(SHOWN_ERRORS);
            page.row_errors = errors;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

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
    let mapping = batch
        .mapping
        .as_array()
        .map(|cols| {
            cols.iter()
                .map(|c| {
                    let column = c["column"].as_str().unwrap_or("").to_owned();
                    let field = match c["field"].as_str() {
                        Some(f) if f.starts_with("metadata") => "kept in metadata".to_owned(),
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
        updates,
        mapping,
        rows,
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
