//! JSON routes about the caller.

use axum::routing::get;
use axum::{Json, Router};

use super::{ApiUser, User};
use crate::error::ApiResult;
use crate::server::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/me", get(me))
}

/// The user the bearer token belongs to.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The token's user", body = User),
        (status = 401, description = "Missing, wrong or revoked token", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn me(ApiUser(user): ApiUser) -> ApiResult<Json<User>> {
    Ok(Json(user))
}
