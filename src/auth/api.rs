//! JSON routes about the caller.

use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiUser, User};
use crate::app::AppState;
use crate::error::ApiResult;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(me))
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
