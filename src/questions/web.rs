//! Question pages: the quick form, one question with its answer, kind and launch (the dashboard
//! is `dashboard.rs`).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde::Deserialize;

use super::dashboard::team_label;
use super::{ClassifierCache, Kind, QuestionInput, TEAMS, db};
use crate::app::AppState;
use crate::auth::session::{FlashKind, set_flash};
use crate::auth::{CurrentUser, Permission};
use crate::error::{AppError, AppResult};
use crate::validation::FieldErrors;
use crate::web::Layout;
use crate::web::format::When;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/questions", get(super::dashboard::dashboard).post(create))
        .route("/questions/new", get(new_form))
        .route("/questions/weekly.csv", get(super::dashboard::weekly_csv))
        .route("/questions/{id}", get(detail))
        .route("/questions/{id}/answer", post(answer))
        .route("/questions/{id}/kind", post(set_kind))
        .route("/questions/{id}/launch", post(set_launch))
        .merge(super::triage::web::router())
        .merge(super::repeated::router())
}

#[derive(Template, WebTemplate)]
#[template(path = "questions/new.html")]
pub struct NewPage {
    layout: Layout,
    form: QuestionInput,
    errors: FieldErrors,
    teams: &'static [(&'static str, &'static str)],
    channels: &'static [(&'static str, &'static str)],
    launches: Vec<(i64, String)>,
}

/// Launches a question may be about (not retired), for the form's list.
async fn launch_options(state: &AppState) -> AppResult<Vec<(i64, String)>> {
    Ok(crate::launches::db::list(&state.pool)
        .await?
        .into_iter()
        .filter(|l| l.status != "retired")
        .map(|l| (l.id, l.name))
        .collect())
}

async fn new_page(
    state: &AppState,
    current: &CurrentUser,
    form: QuestionInput,
    errors: FieldErrors,
) -> AppResult<NewPage> {
    Ok(NewPage {
        layout: Layout::for_user(current, "Ask product a question", "questions").await?,
        form,
        errors,
        teams: &TEAMS,
        channels: &super::CHANNELS,
        launches: launch_options(state).await?,
    })
}

async fn new_form(State(state): State<AppState>, current: CurrentUser) -> AppResult<NewPage> {
    current.user.require(Permission::LogFeedback)?;
    new_page(
        &state,
        &current,
        QuestionInput::default(),
        FieldErrors::default(),
    )
    .await
}

/// The asker's own team, when it is one of the teams that ask.
pub fn asker_team(current: &CurrentUser) -> Option<&'static str> {
    let team = current.user.team.as_str();
    TEAMS.iter().find(|(k, _)| *k == team).map(|(k, _)| *k)
}

async fn create(
    State(state): State<AppState>,
    Extension(classifier): Extension<ClassifierCache>,
    current: CurrentUser,
    Form(form): Form<QuestionInput>,
) -> AppResult<Response> {
    current.user.require(Permission::LogFeedback)?;
    match super::ask(
        &state.pool,
        &classifier,
        &current.user,
        &form,
        asker_team(&current),
    )
    .await
    {
        Ok((id, kind)) => {
            set_flash(
                &current.session,
                FlashKind::Success,
                format!(
                    "Question logged as {}. A PM will answer it here.",
                    kind.label().to_lowercase()
                ),
                Some((format!("/questions/{id}"), "View it".into())),
            )
            .await?;
            Ok(Redirect::to(&format!("/questions/{id}")).into_response())
        }
        Err(AppError::Validation(errors)) => {
            let page = new_page(&state, &current, form, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "questions/detail.html")]
pub struct DetailPage {
    layout: Layout,
    q: db::QuestionRow,
    team: &'static str,
    kind: Kind,
    kinds: [Kind; 3],
    asked: When,
    answered: Option<When>,
    confidence: Option<String>,
    can_answer: bool,
    /// The answer rendered from Markdown.
    answer_html: Option<crate::web::markdown::SafeHtml>,
    /// The launch guessed from the text, offered until someone confirms or declines it.
    guess: Option<(i64, String)>,
    can_settle: bool,
    errors: FieldErrors,
    answer_text: String,
    minutes_text: String,
}

async fn render_detail(
    state: &AppState,
    current: &CurrentUser,
    id: i64,
    errors: FieldErrors,
    answer_text: String,
    minutes_text: String,
) -> AppResult<DetailPage> {
    let q = db::get(&state.pool, id).await?.ok_or(AppError::NotFound)?;
    Ok(DetailPage {
        layout: Layout::for_user(current, format!("Question #{id}"), "questions").await?,
        team: team_label(&q.team),
        kind: Kind::parse(&q.kind).unwrap_or(Kind::Other),
        kinds: Kind::ALL,
        asked: When::from(q.asked_at),
        answered: q.answered_at.map(When::from),
        confidence: q
            .kind_confidence
            .filter(|_| !q.kind_overridden)
            .map(|c| format!("{:.0} %", c * 100.0)),
        can_answer: current.user.can(Permission::AnswerQuestions),
        answer_html: q.answer.as_deref().map(crate::web::markdown::render),
        guess: db::launch_guess(&state.pool, id).await?,
        can_settle: current.user.can(Permission::LogFeedback),
        errors,
        answer_text: if answer_text.is_empty() {
            q.answer.clone().unwrap_or_default()
        } else {
            answer_text
        },
        minutes_text: if minutes_text.is_empty() {
            q.minutes.map(|m| m.to_string()).unwrap_or_default()
        } else {
            minutes_text
        },
        q,
    })
}

async fn detail(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<DetailPage> {
    current.user.require(Permission::Read)?;
    render_detail(
        &state,
        &current,
        id,
        FieldErrors::default(),
        String::new(),
        String::new(),
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    pub answer: String,
    #[serde(default)]
    pub minutes: String,
}

async fn answer(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<AnswerForm>,
) -> AppResult<Response> {
    current.user.require(Permission::AnswerQuestions)?;
    match super::answer(&state.pool, &current.user, id, &form).await {
        Ok(()) => {
            set_flash(&current.session, FlashKind::Success, "Answer saved.", None).await?;
            Ok(Redirect::to(&format!("/questions/{id}")).into_response())
        }
        Err(AppError::Validation(errors)) => {
            let page =
                render_detail(&state, &current, id, errors, form.answer, form.minutes).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Debug, Default, Deserialize)]
struct KindForm {
    #[serde(default)]
    kind: String,
}

async fn set_kind(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<KindForm>,
) -> AppResult<Response> {
    current.user.require(Permission::AnswerQuestions)?;
    let kind = Kind::parse(&form.kind).ok_or_else(|| {
        AppError::Validation(FieldErrors::single(
            "kind",
            "Choose awareness, readiness or other",
        ))
    })?;
    super::override_kind(&state.pool, &current.user, id, kind).await?;
    set_flash(
        &current.session,
        FlashKind::Success,
        format!(
            "Marked as {}; questions like it will be classified the same way.",
            kind.label().to_lowercase()
        ),
        None,
    )
    .await?;
    Ok(Redirect::to(&format!("/questions/{id}")).into_response())
}

#[derive(Debug, Default, Deserialize)]
struct LaunchChoice {
    #[serde(default)]
    choice: String,
}

/// Confirm or decline the launch guessed from the question's text.
async fn set_launch(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<LaunchChoice>,
) -> AppResult<Response> {
    current.user.require(Permission::LogFeedback)?;
    let confirm = match form.choice.as_str() {
        "confirm" => true,
        "decline" => false,
        _ => {
            return Err(AppError::Validation(FieldErrors::single(
                "choice",
                "Choose whether the question is about this launch",
            )));
        }
    };
    super::settle_guess(&state.pool, &current.user, id, confirm).await?;
    set_flash(
        &current.session,
        FlashKind::Success,
        if confirm {
            "Linked to the launch."
        } else {
            "Noted: not about that launch."
        },
        None,
    )
    .await?;
    Ok(Redirect::to(&format!("/questions/{id}")).into_response())
}
