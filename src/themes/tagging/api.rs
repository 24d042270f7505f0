//! JSON routes of the tagging workflow: confirm or reject a suggested tag.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::db as tags;
use crate::app::AppState;
use crate::audit::Actor;
use crate::auth::{ApiUser, Permission};
use crate::error::extract::ApiPath;
use crate::error::{ApiResult, AppError};
use crate::themes::{Decision, edit};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(confirm_tag))
        .routes(routes!(reject_tag))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TagDecision {
    pub id: i64,
    pub feedback_id: i64,
    pub theme_id: i64,
    /// `confirmed` or `rejected`.
    pub state: String,
    /// Whether this call changed it (false when it already had that state).
    pub changed: bool,
}

async fn decide(
    state: &AppState,
    user: &crate::auth::User,
    id: i64,
    d: Decision,
) -> ApiResult<Json<TagDecision>> {
    user.require(Permission::TagFeedback)?;
    let tag = tags::get_tag(&state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let n = edit::decide(&state.pool, &Actor::User(user), &[id], d).await?;
    Ok(Json(TagDecision {
        id,
        feedback_id: tag.feedback_id,
        theme_id: tag.theme_id,
        state: d.state().into(),
        changed: n > 0,
    }))
}

/// Confirm a tag (it becomes a positive example for the tagger).
#[utoipa::path(
    post,
    path = "/api/v1/tags/{id}/confirm",
    tag = "themes",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Tag id")),
    responses(
        (status = 200, description = "Confirmed", body = TagDecision),
        (status = 404, description = "No such tag", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn confirm_tag(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<TagDecision>> {
    decide(&state, &user, id, Decision::Confirm).await
}

/// Reject a tag (it becomes a negative example for the tagger).
#[utoipa::path(
    post,
    path = "/api/v1/tags/{id}/reject",
    tag = "themes",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Tag id")),
    responses(
        (status = 200, description = "Rejected", body = TagDecision),
        (status = 404, description = "No such tag", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn reject_tag(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<TagDecision>> {
    decide(&state, &user, id, Decision::Reject).await
}
