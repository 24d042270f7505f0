//! Starting a full retag from the themes page, and the job's progress page.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use crate::app::AppState;
use crate::auth::session::{FlashKind, set_flash};
use crate::auth::{CurrentUser, Permission};
use crate::error::{AppError, AppResult};
use crate::web::Layout;
use crate::web::format::When;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/themes/retag", post(start_retag))
        .route("/themes/jobs/{id}", get(job_page))
}

async fn start_retag(State(state): State<AppState>, current: CurrentUser) -> AppResult<Response> {
    current.user.require(Permission::EditThemes)?;
    let id = super::enqueue_retag(&state.pool, Some(current.user.id)).await?;
    set_flash(
        &current.session,
        FlashKind::Info,
        "Re-tagging every item in the background. You can keep working meanwhile.",
        None,
    )
    .await?;
    Ok(Redirect::to(&format!("/themes/jobs/{id}")).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "themes/job.html")]
pub struct JobPage {
    layout: Layout,
    job: crate::jobs::Job,
    percent: i64,
    finished: Option<When>,
    refresh: bool,
}

async fn job_page(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<JobPage> {
    current.user.require(Permission::Read)?;
    let job = crate::jobs::db::get(&state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let percent = if job.state == "done" {
        100
    } else if job.progress_total > 0 {
        i64::from(job.progress_done) * 100 / i64::from(job.progress_total)
    } else {
        0
    };
    Ok(JobPage {
        layout: Layout::for_user(&current, "Re-tagging", "themes").await?,
        refresh: job.state == "queued" || job.state == "running",
        finished: job.finished_at.map(When::from),
        percent,
        job,
    })
}
