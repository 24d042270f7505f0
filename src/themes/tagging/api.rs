//! JSON routes of the tagging workflow: list tags (an item's, a theme's, the suggestions), and
//! confirm or reject one.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::db as tags;
use crate::app::AppState;
use crate::audit::Actor;
use crate::auth::{ApiUser, Permission};
use crate::error::extract::{ApiPath, ApiQuery};
use crate::error::{ApiResult, AppError};
use crate::themes::{Decision, edit};
use crate::validation::FieldErrors;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tags))
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

/// A tag: a theme on a feedback item, suggested by the tagger or a rule, or decided by a person.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Tag {
    /// The tag id, for `/api/v1/tags/{id}/confirm` and `/reject`.
    pub id: i64,
    pub feedback_id: i64,
    pub theme_id: i64,
    pub theme_name: String,
    #[schema(schema_with = state_schema)]
    pub state: String,
    /// Who made it: `auto` (the tagger), `rule` (a keyword) or `manual` (a person).
    #[schema(schema_with = origin_schema)]
    pub origin: String,
    /// The tagger's confidence, 0–1 (null for manual tags).
    #[schema(minimum = 0, maximum = 1)]
    pub confidence: Option<f32>,
    /// The user who confirmed or rejected it.
    pub decided_by: Option<i64>,
    #[schema(format = DateTime)]
    pub decided_at: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

fn state_schema() -> utoipa::openapi::Object {
    crate::feedback::query::enum_schema(["suggested", "confirmed", "rejected"])
}

fn origin_schema() -> utoipa::openapi::Object {
    crate::feedback::query::enum_schema(["auto", "rule", "manual"])
}

impl From<tags::TagListing> for Tag {
    fn from(t: tags::TagListing) -> Self {
        Tag {
            id: t.id,
            feedback_id: t.feedback_id,
            theme_id: t.theme_id,
            theme_name: t.theme_name,
            state: t.state,
            origin: t.origin,
            confidence: t.confidence,
            decided_by: t.decided_by,
            decided_at: t.decided_at.map(crate::web::format::iso),
            created_at: crate::web::format::iso(t.created_at),
        }
    }
}

/// Query of `GET /api/v1/tags`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct TagParams {
    /// Only tags in this state; without it, suggested and confirmed tags.
    #[param(schema_with = state_schema)]
    pub state: Option<String>,
    /// Only the tags of this feedback item.
    #[param(minimum = 1)]
    pub feedback: Option<i64>,
    /// Only the tags of this theme.
    #[param(minimum = 1)]
    pub theme: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Tags per page, 1–500 (default 100); a number out of range is refused.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// A page of tags.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TagPage {
    pub items: Vec<Tag>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

const MAX_TAGS: i64 = 500;

/// Tags in the order they were made: an item's (`feedback=`), a theme's (`theme=`), or the
/// suggestions waiting for review (`state=suggested`), so they can be confirmed or rejected.
#[utoipa::path(
    get,
    path = "/api/v1/tags",
    operation_id = "list_tags",
    tag = "themes",
    security(("bearer" = [])),
    params(TagParams),
    responses(
        (status = 200, description = "A page of tags", body = TagPage),
        (status = 401, description = "Missing, wrong, revoked or expired token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not read", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A filter is not valid, named in `errors`", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_tags(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(params): ApiQuery<TagParams>,
) -> ApiResult<Json<TagPage>> {
    user.require(Permission::Read)?;
    let mut errors = FieldErrors::default();
    let wanted = params
        .state
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if let Some(s) = wanted
        && !matches!(s, "suggested" | "confirmed" | "rejected")
    {
        errors.add("state", "Choose suggested, confirmed or rejected");
    }
    let limit = params.limit.unwrap_or(100);
    if !(1..=MAX_TAGS).contains(&limit) {
        errors.add(
            "limit",
            format!("Choose a limit from 1 to {MAX_TAGS} tags per page"),
        );
    }
    let after = match params
        .cursor
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        None => None,
        Some(c) => match crate::web::cursor::decode(c) {
            Some((kind, id, _)) if kind == "tag" => Some(id),
            _ => {
                errors.add(
                    "cursor",
                    "This cursor is not one we gave out; start again without it",
                );
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors).into());
    }
    let feedback = params.feedback.map(|id| [id]);
    let rows = tags::list_tags(
        &state.pool,
        wanted,
        feedback.as_ref().map(|f| &f[..]),
        params.theme,
        after,
        limit + 1,
    )
    .await?;
    let more = rows.len() as i64 > limit;
    let items: Vec<Tag> = rows
        .into_iter()
        .take(limit as usize)
        .map(Tag::from)
        .collect();
    let next_cursor = match items.last() {
        Some(last) if more => Some(crate::web::cursor::encode("tag", last.id, "")),
        _ => None,
    };
    Ok(Json(TagPage { items, next_cursor }))
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
