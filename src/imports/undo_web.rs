//! Undoing a committed feedback import: a confirmation page, then the undo itself.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use super::db;
use super::web::BatchView;
use crate::app::AppState;
use crate::audit::Actor;
use crate::auth::session::{FlashKind, set_flash};
use crate::auth::{CurrentUser, Permission};
use crate::error::{AppError, AppResult};
use crate::web::Layout;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/imports/{id}/undo", get(confirm_page).post(undo))
}

#[derive(Template, WebTemplate)]
#[template(path = "imports/undo.html")]
pub struct UndoPage {
    layout: Layout,
    view: BatchView,
    /// Items the import created (to be archived) and updated (to be restored).
    created: i64,
    updated: i64,
    /// Why it cannot be undone, when it cannot.
    blocked: Option<String>,
}

async fn confirm_page(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<UndoPage> {
    current.user.require(Permission::ManageData)?;
    let batch = db::get_batch(&state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (created, updated) = db::undo_counts(&state.pool, id).await?;
    let blocked = if batch.undone_at.is_some() {
        Some("This import has already been undone.".to_owned())
    } else if batch.state != "committed" || batch.kind != "feedback" {
        Some("Only a committed feedback import can be undone.".to_owned())
    } else {
        db::later_overlapping_import(&state.pool, id)
            .await?
            .map(|(later, name)| {
                format!(
                    "A later import (#{later}, {name}) changed some of the same items. Undo that import first."
                )
            })
    };
    Ok(UndoPage {
        layout: Layout::for_user(
            &current,
            format!("Undo import {}", batch.filename),
            "feedback",
        )
        .await?,
        view: BatchView::new(batch),
        created,
        updated,
        blocked,
    })
}

async fn undo(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    current.user.require(Permission::ManageData)?;
    db::get_batch(&state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    match super::undo(&state.pool, id, &Actor::User(&current.user)).await? {
        Ok(done) => {
            set_flash(
                &current.session,
                FlashKind::Success,
                format!(
                    "Import undone: {} new items archived, {} updated items restored.",
                    done.archived, done.restored
                ),
                None,
            )
            .await?;
            Ok(Redirect::to(&format!("/imports/{id}")).into_response())
        }
        Err(message) => Err(AppError::Conflict(message)),
    }
}
