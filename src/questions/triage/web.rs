//! The triage page (`/questions/triage`), its decisions and the week's summary as text.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use super::{DecisionForm, db, describe, summary, window_start};
use crate::app::AppState;
use crate::auth::session::{FlashKind, set_flash};
use crate::auth::{CurrentUser, Permission};
use crate::error::{AppError, AppResult};
use crate::validation::FieldErrors;
use crate::web::Layout;
use crate::web::format::When;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/questions/triage", get(page).post(decide))
        .route("/questions/triage/summary.txt", get(summary_text))
}

/// How many waiting items the page lists at once.
const PAGE: i64 = 50;

/// A waiting item as the page shows it.
pub struct Item {
    pub item_type: &'static str,
    pub item_id: i64,
    pub href: String,
    pub label: &'static str,
    pub text: String,
    pub at: When,
    pub who: Option<String>,
    pub theme: Option<String>,
    pub theme_state: Option<String>,
    pub kind: Option<String>,
}

/// A decision of the week, as the page lists it.
pub struct Decided {
    pub href: String,
    pub label: &'static str,
    pub text: String,
    pub what: String,
    pub by: String,
    pub at: When,
}

#[derive(Template, WebTemplate)]
#[template(path = "questions/triage.html")]
pub struct TriagePage {
    layout: Layout,
    script: &'static str,
    items: Vec<Item>,
    waiting: i64,
    week: String,
    decided: Vec<Decided>,
    summary: String,
    themes: Vec<(i64, String)>,
    launches: Vec<(i64, String)>,
    pms: Vec<(i64, String)>,
    errors: FieldErrors,
}

fn href(item_type: &str, id: i64) -> String {
    if item_type == "feedback" {
        format!("/feedback/{id}")
    } else {
        format!("/questions/{id}")
    }
}

fn label(item_type: &str) -> &'static str {
    if item_type == "feedback" {
        "Feedback"
    } else {
        "Question"
    }
}

async fn render(
    state: &AppState,
    current: &CurrentUser,
    errors: FieldErrors,
) -> AppResult<TriagePage> {
    let pool = &state.pool;
    let today = crate::insights::today();
    let from = window_start(today);
    let week = crate::insights::week_start(today);
    let rows = db::pending(pool, from, PAGE).await?;
    let decisions = db::decisions(pool, week).await?;
    let items = rows
        .into_iter()
        .map(|r| Item {
            item_type: if r.item_type == "feedback" {
                "feedback"
            } else {
                "question"
            },
            label: label(&r.item_type),
            href: href(&r.item_type, r.item_id),
            item_id: r.item_id,
            text: crate::web::format::excerpt(&r.text, 220),
            at: When::from(r.at),
            who: r.account,
            theme: r.theme_name,
            theme_state: r.tag_state,
            kind: r.kind,
        })
        .collect();
    let decided = decisions
        .iter()
        .map(|d| Decided {
            href: href(&d.item_type, d.item_id),
            label: label(&d.item_type),
            text: crate::web::format::excerpt(&d.text, 120),
            what: describe(
                &d.action,
                d.theme_name.as_deref(),
                d.launch_name.as_deref(),
                d.escalated_to.as_deref(),
            ),
            by: d.decided_by.clone().unwrap_or_else(|| "someone".into()),
            at: When::from(d.decided_at),
        })
        .collect();
    Ok(TriagePage {
        layout: Layout::for_user(current, "Support triage", "questions").await?,
        script: crate::web::assets::triage_js_path(),
        items,
        waiting: db::backlog_count(pool, from).await?,
        week: week.to_string(),
        summary: summary(week, &decisions),
        decided,
        themes: crate::themes::db::list(pool, Some("active"))
            .await?
            .into_iter()
            .map(|t| (t.id, t.name))
            .collect(),
        launches: crate::launches::db::list(pool)
            .await?
            .into_iter()
            .filter(|l| l.status != "retired")
            .map(|l| (l.id, l.name))
            .collect(),
        pms: db::pms(pool).await?,
        errors,
    })
}

async fn page(State(state): State<AppState>, current: CurrentUser) -> AppResult<TriagePage> {
    current.user.require(Permission::TagFeedback)?;
    render(&state, &current, FieldErrors::default()).await
}

async fn decide(
    State(state): State<AppState>,
    current: CurrentUser,
    Form(form): Form<DecisionForm>,
) -> AppResult<Response> {
    current.user.require(Permission::TagFeedback)?;
    match super::decide(&state.pool, &current.user, &form).await {
        Ok(()) => {
            set_flash(
                &current.session,
                FlashKind::Success,
                format!(
                    "{} #{} decided.",
                    label(&form.item_type),
                    form.item_id.trim()
                ),
                None,
            )
            .await?;
            Ok(Redirect::to("/questions/triage").into_response())
        }
        Err(AppError::Validation(errors)) => {
            let page = render(&state, &current, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

async fn summary_text(State(state): State<AppState>, current: CurrentUser) -> AppResult<Response> {
    current.user.require(Permission::TagFeedback)?;
    let week = crate::insights::week_start(crate::insights::today());
    let rows = db::decisions(&state.pool, week).await?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        summary(week, &rows),
    )
        .into_response())
}
