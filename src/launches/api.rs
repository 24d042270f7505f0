//! JSON routes for launches, guides, acknowledgements and follow-up tasks (same validation and
//! db functions as the pages).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::edit::{self, Saved};
use super::guide::{GuideContent, Revision};
use super::{EDIT_LAUNCHES, Launch, LaunchInput, REVIEW_GUIDES, WRITE_GUIDES, db};
use crate::app::AppState;
use crate::audit::Actor;
use crate::auth::{ApiUser, Permission};
use crate::error::extract::{ApiJson, ApiPath, ApiQuery};
use crate::error::{ApiResult, AppError};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_launches, create_launch))
        .routes(routes!(get_launch, update_launch))
        .routes(routes!(link_themes))
        .routes(routes!(get_guide, save_guide))
        .routes(routes!(list_revisions))
        .routes(routes!(acknowledge))
        .routes(routes!(list_tasks, create_tasks))
        .routes(routes!(update_task))
}

/// A launch, with its themes given as ids. `tracker_links` is a list of URLs.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct LaunchBody {
    #[serde(flatten)]
    pub fields: LaunchInput,
    #[serde(default)]
    pub theme_ids: Option<Vec<i64>>,
}

async fn launch_or_404(state: &AppState, id: i64) -> Result<Launch, AppError> {
    db::get(&state.pool, id).await?.ok_or(AppError::NotFound)
}

/// Every launch.
#[utoipa::path(get, path = "/api/v1/launches", tag = "launches", security(("bearer" = [])),
    responses(
        (status = 200, description = "Launches, by date", body = Vec<Launch>),
        (status = 401, description = "Missing or wrong token", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_launches(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> ApiResult<Json<Vec<Launch>>> {
    user.require(Permission::Read)?;
    Ok(Json(db::list(&state.pool).await?))
}

/// Create a launch (pm, product_ops, admin). `tracker_links`: one URL per line.
#[utoipa::path(post, path = "/api/v1/launches", tag = "launches", security(("bearer" = [])),
    request_body = LaunchBody,
    responses(
        (status = 201, description = "Created", body = Launch),
        (status = 403, description = "The token's role may not edit launches", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_launch(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(body): ApiJson<LaunchBody>,
) -> ApiResult<(StatusCode, Json<Launch>)> {
    user.require(EDIT_LAUNCHES)?;
    let fields = body.fields.validate().map_err(AppError::Validation)?;
    let id = edit::create_launch(
        &state.pool,
        &Actor::User(&user),
        &fields,
        &body.theme_ids.unwrap_or_default(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(launch_or_404(&state, id).await?)))
}

/// One launch.
#[utoipa::path(get, path = "/api/v1/launches/{id}", tag = "launches", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Launch id")),
    responses(
        (status = 200, description = "The launch", body = Launch),
        (status = 404, description = "No such launch", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_launch(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Launch>> {
    user.require(Permission::Read)?;
    Ok(Json(launch_or_404(&state, id).await?))
}

/// Replace a launch's fields (and its themes when `theme_ids` is given).
#[utoipa::path(put, path = "/api/v1/launches/{id}", tag = "launches", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Launch id")),
    request_body = LaunchBody,
    responses(
        (status = 200, description = "Updated", body = Launch),
        (status = 403, description = "The token's role may not edit launches", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_launch(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<LaunchBody>,
) -> ApiResult<Json<Launch>> {
    user.require(EDIT_LAUNCHES)?;
    let before = launch_or_404(&state, id).await?;
    let fields = body.fields.validate().map_err(AppError::Validation)?;
    let themes = body.theme_ids.unwrap_or(before.theme_ids);
    edit::update_launch(&state.pool, &Actor::User(&user), id, &fields, &themes).await?;
    Ok(Json(launch_or_404(&state, id).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ThemeLinks {
    pub theme_ids: Vec<i64>,
}

/// Set the themes a launch answers.
#[utoipa::path(put, path = "/api/v1/launches/{id}/themes", tag = "launches", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Launch id")),
    request_body = ThemeLinks,
    responses(
        (status = 200, description = "Updated", body = Launch),
        (status = 403, description = "The token's role may not edit launches", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn link_themes(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ThemeLinks>,
) -> ApiResult<Json<Launch>> {
    user.require(EDIT_LAUNCHES)?;
    launch_or_404(&state, id).await?;
    edit::link_themes(&state.pool, &Actor::User(&user), id, &body.theme_ids).await?;
    Ok(Json(launch_or_404(&state, id).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GuideQuery {
    /// A revision number; readers may ask only for published ones.
    pub revision: Option<i32>,
}

/// The guide's published revision (or `?revision=N`).
#[utoipa::path(get, path = "/api/v1/launches/{id}/guide", tag = "launches", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Launch id"), GuideQuery),
    responses(
        (status = 200, description = "The revision", body = Revision),
        (status = 404, description = "No published guide, or no such revision", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_guide(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<GuideQuery>,
) -> ApiResult<Json<Revision>> {
    user.require(Permission::Read)?;
    launch_or_404(&state, id).await?;
    let guide = db::guide_state(&state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let number = q
        .revision
        .or(guide.published_number)
        .ok_or(AppError::NotFound)?;
    let rev = db::revision(&state.pool, id, number)
        .await?
        .ok_or(AppError::NotFound)?;
    if rev.published_at.is_none() && !user.can(WRITE_GUIDES) {
        return Err(AppError::NotFound.into());
    }
    Ok(Json(rev))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct GuideBody {
    /// The revision the text is based on; a save on a stale base is refused with 409.
    pub base_revision: Option<i32>,
    #[serde(flatten)]
    pub content: GuideContent,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub minor: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SavedRevision {
    pub revision: i32,
}

/// Save a new draft revision (pm, product_ops, admin).
#[utoipa::path(post, path = "/api/v1/launches/{id}/guide", tag = "launches", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Launch id")),
    request_body = GuideBody,
    responses(
        (status = 201, description = "Saved as a draft", body = SavedRevision),
        (status = 409, description = "Someone saved a newer revision than base_revision", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not write guides", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn save_guide(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<GuideBody>,
) -> ApiResult<(StatusCode, Json<SavedRevision>)> {
    user.require(WRITE_GUIDES)?;
    launch_or_404(&state, id).await?;
    let mut errors = crate::validation::FieldErrors::default();
    if errors.check_text("note", Some(&body.note), true) {
        return Err(AppError::Validation(errors).into());
    }
    match edit::save_guide(
        &state.pool,
        &Actor::User(&user),
        id,
        body.base_revision,
        &body.content,
        &body.note,
        body.minor,
    )
    .await?
    {
        Saved::Revision(revision) => Ok((StatusCode::CREATED, Json(SavedRevision { revision }))),
        Saved::Stale { head } => Err(AppError::Conflict(format!(
            "Revision {head} was saved after your base revision; fetch it and save again"
        ))
        .into()),
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RevisionSummary {
    pub number: i32,
    pub note: String,
    pub minor: bool,
    pub author_name: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: time::OffsetDateTime,
    pub published: bool,
}

/// The guide's revisions, newest first (readers see the published ones).
#[utoipa::path(get, path = "/api/v1/launches/{id}/guide/revisions", tag = "launches", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Launch id")),
    responses((status = 200, description = "Revisions", body = Vec<RevisionSummary>)))]
pub async fn list_revisions(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<RevisionSummary>>> {
    user.require(Permission::Read)?;
    launch_or_404(&state, id).await?;
    let writer = user.can(WRITE_GUIDES);
    Ok(Json(
        db::revisions(&state.pool, id)
            .await?
            .into_iter()
            .filter(|r| writer || r.published_at.is_some())
            .map(|r| RevisionSummary {
                number: r.number,
                note: r.note,
                minor: r.minor,
                author_name: r.author_name,
                created_at: r.created_at,
                published: r.published_at.is_some(),
            })
            .collect(),
    ))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct AckBody {
    /// The revision read; refused with 409 when it is no longer the published one.
    pub revision: Option<i32>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Acknowledged {
    pub revision: i32,
}

/// "I've read this and my team is ready" for the published revision.
#[utoipa::path(post, path = "/api/v1/launches/{id}/acknowledgements", tag = "launches", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Launch id")),
    request_body = AckBody,
    responses(
        (status = 201, description = "Acknowledged", body = Acknowledged),
        (status = 409, description = "Not published, or not the published revision", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn acknowledge(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    body: Option<ApiJson<AckBody>>,
) -> ApiResult<(StatusCode, Json<Acknowledged>)> {
    user.require(Permission::Acknowledge)?;
    launch_or_404(&state, id).await?;
    let wanted = body.and_then(|ApiJson(b)| b.revision);
    let revision = edit::acknowledge(&state.pool, &user, id, wanted).await?;
    Ok((StatusCode::CREATED, Json(Acknowledged { revision })))
}

/// The launch's follow-up tasks, one per account that asked.
#[utoipa::path(get, path = "/api/v1/launches/{id}/tasks", tag = "launches", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Launch id")),
    responses((status = 200, description = "Tasks", body = Vec<db::Task>)))]
pub async fn list_tasks(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<db::Task>>> {
    user.require(Permission::Read)?;
    launch_or_404(&state, id).await?;
    Ok(Json(db::tasks(&state.pool, id).await?))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Created {
    pub created: u64,
}

/// Create the missing follow-up tasks (never a second one per account).
#[utoipa::path(post, path = "/api/v1/launches/{id}/tasks", tag = "launches", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Launch id")),
    responses(
        (status = 200, description = "How many were created", body = Created),
        (status = 403, description = "The token's role may not create tasks", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_tasks(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Created>> {
    if !(user.can(REVIEW_GUIDES) || user.can(EDIT_LAUNCHES)) {
        return Err(AppError::Forbidden.into());
    }
    launch_or_404(&state, id).await?;
    let created = edit::create_tasks(&state.pool, &Actor::User(&user), id).await?;
    Ok(Json(Created { created }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct TaskBody {
    pub done: bool,
}

/// Mark a follow-up done or not done (its assignee, or whoever runs launches).
#[utoipa::path(put, path = "/api/v1/launches/{id}/tasks/{task}", tag = "launches", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Launch id"), ("task" = i64, Path, description = "Task id")),
    request_body = TaskBody,
    responses(
        (status = 200, description = "Updated", body = db::Task),
        (status = 403, description = "Not yours to close", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_task(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((id, task)): ApiPath<(i64, i64)>,
    ApiJson(body): ApiJson<TaskBody>,
) -> ApiResult<Json<db::Task>> {
    user.require(Permission::Acknowledge)?;
    let task = db::task(&state.pool, task)
        .await?
        .filter(|t| t.launch_id == id)
        .ok_or(AppError::NotFound)?;
    if !super::actions::may_close_task(&user, &task) {
        return Err(AppError::Forbidden.into());
    }
    edit::set_task_done(&state.pool, &Actor::User(&user), &task, body.done).await?;
    Ok(Json(
        db::task(&state.pool, task.id)
            .await?
            .ok_or(AppError::NotFound)?,
    ))
}
