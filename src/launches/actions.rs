//! Actions on a launch page: checklist items (add, tick, remove), follow-up tasks (create,
//! tick) and the who-to-tell CSV.

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::tell;
use super::{EDIT_LAUNCHES, REVIEW_GUIDES, db, edit};
use crate::app::AppState;
use crate::audit::Actor;
use crate::auth::session::{FlashKind, set_flash};
use crate::auth::{CurrentUser, Permission, Team};
use crate::error::{AppError, AppResult};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/launches/{id}/checklist", post(add_item))
        .route("/launches/{id}/checklist/{item}", post(tick_item))
        .route(
            "/launches/{id}/checklist/{item}/remove",
            get(confirm_remove).post(remove_item),
        )
        .route("/launches/{id}/tasks", post(create_tasks))
        .route("/launches/{id}/tasks/{task}", post(tick_task))
        .route("/launches/{id}/tell.csv", get(tell_csv))
}

// ---- checklist ----

#[derive(serde::Deserialize)]
pub struct ItemForm {
    #[serde(default)]
    team: String,
    #[serde(default)]
    text: String,
}

async fn add_item(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<ItemForm>,
) -> AppResult<Response> {
    current.user.require(REVIEW_GUIDES)?;
    db::get(&state.pool, id).await?.ok_or(AppError::NotFound)?;
    match edit::add_checklist_item(
        &state.pool,
        &Actor::User(&current.user),
        id,
        &form.team,
        &form.text,
    )
    .await
    {
        Ok(_) => {
            set_flash(
                &current.session,
                FlashKind::Success,
                "Added the checklist item.",
                None,
            )
            .await?
        }
        Err(AppError::Validation(e)) => {
            let msg = e
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join(". ");
            set_flash(
                &current.session,
                FlashKind::Error,
                format!("The item was not added: {msg}."),
                None,
            )
            .await?
        }
        Err(e) => return Err(e),
    }
    Ok(Redirect::to(&format!("/launches/{id}#checklist")).into_response())
}

#[derive(serde::Deserialize)]
pub struct DoneForm {
    #[serde(default)]
    done: String,
}

async fn item_of(state: &AppState, launch: i64, item: i64) -> AppResult<db::ChecklistItem> {
    db::checklist_item(&state.pool, item)
        .await?
        .filter(|i| i.launch_id == launch)
        .ok_or(AppError::NotFound)
}

async fn tick_item(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((id, item)): Path<(i64, i64)>,
    Form(form): Form<DoneForm>,
) -> AppResult<Response> {
    current.user.require(Permission::Acknowledge)?;
    let item = item_of(&state, id, item).await?;
    let team: Team = item.team.parse().map_err(|_| AppError::NotFound)?;
    if !super::may_tick(&current.user, team) {
        return Err(AppError::Forbidden);
    }
    edit::tick_checklist_item(
        &state.pool,
        &Actor::User(&current.user),
        &item,
        form.done == "true",
    )
    .await?;
    Ok(Redirect::to(&format!("/launches/{id}#checklist")).into_response())
}

/// "Remove this checklist item?" before it goes (it is audited, but not restorable).
async fn confirm_remove(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((id, item)): Path<(i64, i64)>,
) -> AppResult<crate::web::ConfirmPage> {
    current.user.require(REVIEW_GUIDES)?;
    let item = item_of(&state, id, item).await?;
    Ok(crate::web::ConfirmPage {
        layout: crate::web::Layout::for_user(&current, "Remove checklist item", "launches").await?,
        heading: "Remove this checklist item?".into(),
        explanation: format!(
            "\"{}\" leaves the launch's readiness checklist, and its team's checklist completion is counted without it. The removal is recorded in the audit log.",
            item.text
        ),
        action: format!("/launches/{id}/checklist/{}/remove", item.id),
        button: "Remove",
        back: format!("/launches/{id}#checklist"),
    })
}

async fn remove_item(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((id, item)): Path<(i64, i64)>,
) -> AppResult<Response> {
    current.user.require(REVIEW_GUIDES)?;
    let item = item_of(&state, id, item).await?;
    edit::delete_checklist_item(&state.pool, &Actor::User(&current.user), &item).await?;
    set_flash(
        &current.session,
        FlashKind::Success,
        format!("Removed \"{}\".", item.text),
        None,
    )
    .await?;
    Ok(Redirect::to(&format!("/launches/{id}#checklist")).into_response())
}

// ---- follow-up tasks ----

async fn create_tasks(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    if !(current.user.can(REVIEW_GUIDES) || current.user.can(EDIT_LAUNCHES)) {
        return Err(AppError::Forbidden);
    }
    db::get(&state.pool, id).await?.ok_or(AppError::NotFound)?;
    let n = edit::create_tasks(&state.pool, &Actor::User(&current.user), id).await?;
    let msg = if n == 0 {
        "Every account that asked already has a follow-up task.".to_owned()
    } else {
        format!("Created {n} follow-up tasks, one per account, for their owners.")
    };
    set_flash(&current.session, FlashKind::Success, msg, None).await?;
    Ok(Redirect::to(&format!("/launches/{id}#tell")).into_response())
}

/// Who may mark a follow-up done: its assignee, or whoever runs launches.
pub fn may_close_task(user: &crate::auth::User, task: &db::Task) -> bool {
    task.assignee_id == Some(user.id) || user.can(REVIEW_GUIDES) || user.can(EDIT_LAUNCHES)
}

async fn tick_task(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((id, task)): Path<(i64, i64)>,
    Form(form): Form<DoneForm>,
) -> AppResult<Response> {
    current.user.require(Permission::Acknowledge)?;
    let task = db::task(&state.pool, task)
        .await?
        .filter(|t| t.launch_id == id)
        .ok_or(AppError::NotFound)?;
    if !may_close_task(&current.user, &task) {
        return Err(AppError::Forbidden);
    }
    edit::set_task_done(
        &state.pool,
        &Actor::User(&current.user),
        &task,
        form.done == "true",
    )
    .await?;
    Ok(Redirect::to(&format!("/launches/{id}#tell")).into_response())
}

async fn tell_csv(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    current.user.require(Permission::Read)?;
    let launch = db::get(&state.pool, id).await?.ok_or(AppError::NotFound)?;
    let accounts = db::who_to_tell(&state.pool, id).await?;
    let tasks = db::tasks(&state.pool, id).await?;
    let name: String = launch
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"who-to-tell-{name}.csv\""),
            ),
        ],
        tell::csv(&accounts, &tasks),
    )
        .into_response())
}
