//! The guide's review workflow (submit, approve, send back) and readers' acknowledgements.

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use serde::Deserialize;

use super::guide_web::load;
use super::{REVIEW_GUIDES, WRITE_GUIDES, edit};
use crate::app::AppState;
use crate::audit::Actor;
use crate::auth::session::{FlashKind, set_flash};
use crate::auth::{CurrentUser, Permission};
use crate::error::{AppError, AppResult};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/launches/{id}/guide/submit", post(submit))
        .route("/launches/{id}/guide/approve", post(approve))
        .route("/launches/{id}/guide/send-back", post(send_back))
        .route("/launches/{id}/guide/acknowledge", post(acknowledge))
}

// ---- workflow ----

#[derive(Deserialize)]
pub struct SubmitForm {
    #[serde(default)]
    reviewer_id: String,
}

async fn flash_error(current: &CurrentUser, e: AppError) -> AppResult<()> {
    let msg = match &e {
        AppError::Validation(errors) => errors
            .iter()
            .map(|e| e.message.clone())
            .collect::<Vec<_>>()
            .join(". "),
        AppError::Conflict(msg) => msg.clone(),
        _ => return Err(e),
    };
    set_flash(&current.session, FlashKind::Error, msg, None).await?;
    Ok(())
}

async fn submit(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<SubmitForm>,
) -> AppResult<Response> {
    current.user.require(WRITE_GUIDES)?;
    load(&state.pool, id).await?;
    match edit::submit(
        &state.pool,
        &Actor::User(&current.user),
        id,
        form.reviewer_id.trim().parse().ok(),
    )
    .await
    {
        Ok(()) => {
            set_flash(
                &current.session,
                FlashKind::Success,
                "Submitted for review. The reviewer approves it or sends it back with a comment.",
                None,
            )
            .await?
        }
        Err(e) => flash_error(&current, e).await?,
    }
    Ok(Redirect::to(&format!("/launches/{id}/guide")).into_response())
}

async fn approve(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    current.user.require(REVIEW_GUIDES)?;
    load(&state.pool, id).await?;
    match edit::approve(&state.pool, &Actor::User(&current.user), id).await {
        Ok(n) => {
            set_flash(
                &current.session,
                FlashKind::Success,
                format!("Published revision {n}. Readers see it now."),
                None,
            )
            .await?
        }
        Err(e) => flash_error(&current, e).await?,
    }
    Ok(Redirect::to(&format!("/launches/{id}/guide")).into_response())
}

#[derive(Deserialize)]
pub struct SendBackForm {
    #[serde(default)]
    comment: String,
}

async fn send_back(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<SendBackForm>,
) -> AppResult<Response> {
    current.user.require(REVIEW_GUIDES)?;
    load(&state.pool, id).await?;
    match edit::send_back(&state.pool, &Actor::User(&current.user), id, &form.comment).await {
        Ok(()) => {
            set_flash(
                &current.session,
                FlashKind::Success,
                "Sent back to the writer with your comment.",
                None,
            )
            .await?
        }
        Err(e) => flash_error(&current, e).await?,
    }
    Ok(Redirect::to(&format!("/launches/{id}/guide")).into_response())
}

#[derive(Deserialize)]
pub struct AckForm {
    #[serde(default)]
    revision: String,
}

async fn acknowledge(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<AckForm>,
) -> AppResult<Response> {
    current.user.require(Permission::Acknowledge)?;
    load(&state.pool, id).await?;
    match edit::acknowledge(
        &state.pool,
        &current.user,
        id,
        form.revision.trim().parse().ok(),
    )
    .await
    {
        Ok(n) => {
            set_flash(
                &current.session,
                FlashKind::Success,
                format!(
                    "Thanks: you acknowledged revision {n} for {}.",
                    current.user.team.label()
                ),
                None,
            )
            .await?
        }
        Err(e) => flash_error(&current, e).await?,
    }
    Ok(Redirect::to(&format!("/launches/{id}/guide")).into_response())
}
