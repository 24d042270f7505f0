//! JSON routes for questions: ask, list with the dashboard's filters, answer.

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::web::AnswerForm;
use super::{ClassifierCache, QuestionInput, db};
use crate::app::AppState;
use crate::auth::{ApiUser, Permission};
use crate::error::extract::{ApiJson, ApiPath, ApiQuery};
use crate::error::{ApiResult, AppError};
use crate::validation::FieldErrors;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_questions, create_question))
        .routes(routes!(answer_question))
        .routes(routes!(super::chat::chat_command))
}

/// A question as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Question {
    pub id: i64,
    pub text: String,
    pub asked_by: Option<String>,
    pub team: String,
    pub channel: String,
    /// RFC 3339.
    pub asked_at: String,
    pub status: String,
    /// `awareness`, `readiness` or `other`.
    pub kind: String,
    pub kind_confidence: Option<f32>,
    pub kind_overridden: bool,
    pub answer: Option<String>,
    pub answered_by: Option<String>,
    pub minutes: Option<i32>,
    pub launch_id: Option<i64>,
    pub launch_name: Option<String>,
    pub theme_id: Option<i64>,
}

impl From<db::QuestionRow> for Question {
    fn from(q: db::QuestionRow) -> Self {
        Question {
            id: q.id,
            text: q.text,
            asked_by: q.asked_by,
            team: q.team,
            channel: q.channel,
            asked_at: crate::web::format::iso(q.asked_at),
            status: q.status,
            kind: q.kind,
            kind_confidence: q.kind_confidence,
            kind_overridden: q.kind_overridden,
            answer: q.answer,
            answered_by: q.answered_by,
            minutes: q.minutes,
            launch_id: q.launch_id,
            launch_name: q.launch_name,
            theme_id: q.theme_id,
        }
    }
}

/// Query of `GET /api/v1/questions`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `sales`, `success`, `support`, `marketing` or `other`.
    pub team: Option<String>,
    /// `awareness`, `readiness` or `other`.
    pub kind: Option<String>,
    /// `open` or `answered`.
    pub status: Option<String>,
    /// `chat`, `email`, `meeting`, `form` or `other`.
    pub channel: Option<String>,
    /// A launch id: only questions about it.
    pub launch: Option<i64>,
    /// Asked on or after this day (YYYY-MM-DD, UTC).
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<String>,
    /// Asked on or before this day (YYYY-MM-DD, UTC).
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<String>,
    /// 1–500 (default 100).
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QuestionList {
    pub items: Vec<Question>,
}

/// Questions, newest first, with the dashboard's filters (period, team, launch, channel) and
/// kind and status.
#[utoipa::path(
    get, path = "/api/v1/questions", operation_id = "list_questions", tag = "questions",
    security(("bearer" = [])), params(ListQuery),
    responses(
        (status = 200, description = "Questions", body = QuestionList),
        (status = 401, description = "Missing or wrong token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A filter is not valid", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_questions(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<QuestionList>> {
    user.require(Permission::Read)?;
    let mut errors = FieldErrors::default();
    let pick = |v: &Option<String>, allowed: &[&str], field: &str, errors: &mut FieldErrors| {
        let v = v.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
        if allowed.contains(&v) {
            Some(v.to_owned())
        } else {
            errors.add(field, format!("Use one of {}", allowed.join(", ")));
            None
        }
    };
    let team = pick(
        &q.team,
        &["sales", "success", "support", "marketing", "other"],
        "team",
        &mut errors,
    );
    let kind = pick(
        &q.kind,
        &["awareness", "readiness", "other"],
        "kind",
        &mut errors,
    );
    let status = pick(&q.status, &["open", "answered"], "status", &mut errors);
    let channel = pick(
        &q.channel,
        &["chat", "email", "meeting", "form", "other"],
        "channel",
        &mut errors,
    );
    if q.launch.is_some_and(|l| l < 1) {
        errors.add("launch", "Use a launch id (a positive number)");
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let mut day = |v: &Option<String>, field: &str, plus: i64| {
        let v = v.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
        match time::Date::parse(v, &fmt) {
            Ok(d) => Some((d + time::Duration::days(plus)).midnight().assume_utc()),
            Err(_) => {
                errors.add(field, "Use a date as YYYY-MM-DD");
                None
            }
        }
    };
    let from = day(&q.from, "from", 0);
    let to = day(&q.to, "to", 1);
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        errors.add("limit", "Use a limit from 1 to 500");
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors).into());
    }
    let filter = db::ListFilter {
        team,
        kind,
        status,
        channel,
        launch_id: q.launch,
        from,
        to,
        ..db::ListFilter::default()
    };
    let rows = db::list(&state.pool, &filter, limit).await?;
    Ok(Json(QuestionList {
        items: rows.into_iter().map(Question::from).collect(),
    }))
}

/// Log a question; it is classified awareness, readiness or other at once.
#[utoipa::path(
    post, path = "/api/v1/questions", operation_id = "create_question", tag = "questions",
    security(("bearer" = [])), request_body = QuestionInput,
    responses(
        (status = 201, description = "Logged and classified", body = Question),
        (status = 401, description = "Missing or wrong token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not log questions", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is not valid", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_question(
    State(state): State<AppState>,
    Extension(classifier): Extension<ClassifierCache>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<QuestionInput>,
) -> ApiResult<(StatusCode, Json<Question>)> {
    user.require(Permission::LogFeedback)?;
    let team = super::TEAMS
        .iter()
        .find(|(k, _)| *k == user.team.as_str())
        .map(|(k, _)| *k);
    let (id, _) = super::ask(&state.pool, &classifier, &user, &input, team).await?;
    let row = db::get(&state.pool, id).await?.ok_or(AppError::NotFound)?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// An answer: Markdown text and the minutes it took.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct AnswerInput {
    pub answer: String,
    pub minutes: Option<i32>,
}

/// Answer a question.
#[utoipa::path(
    post, path = "/api/v1/questions/{id}/answer", operation_id = "answer_question", tag = "questions",
    security(("bearer" = [])), params(("id" = i64, Path, description = "Question id")), request_body = AnswerInput,
    responses(
        (status = 200, description = "Answered", body = Question),
        (status = 403, description = "The token's role may not answer", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such question", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is not valid", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn answer_question(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<AnswerInput>,
) -> ApiResult<Json<Question>> {
    user.require(Permission::AnswerQuestions)?;
    let form = AnswerForm {
        answer: input.answer,
        minutes: input.minutes.map(|m| m.to_string()).unwrap_or_default(),
    };
    super::answer(&state.pool, &user, id, &form).await?;
    let row = db::get(&state.pool, id).await?.ok_or(AppError::NotFound)?;
    Ok(Json(row.into()))
}
