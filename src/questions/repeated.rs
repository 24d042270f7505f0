//! Repeated questions: groups of similar questions from the last 90 days (the tagging engine's
//! clustering), each with one click to add it to the FAQ of its launch's guide as a new DRAFT
//! revision (the published revision readers see is never touched), and "log as feedback" for a
//! feature request.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use super::db;
use crate::app::AppState;
use crate::audit::Actor;
use crate::auth::session::{FlashKind, set_flash};
use crate::auth::{CurrentUser, Permission, User};
use crate::error::{AppError, AppResult};
use crate::launches::edit::Saved;
use crate::launches::guide::{Faq, GuideContent};
use crate::validation::FieldErrors;
use crate::web::Layout;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/questions/repeated", get(page))
        .route("/questions/repeated/faq", post(add_to_faq))
        .route("/questions/{id}/feedback", post(log_as_feedback))
}

/// The most questions the grouping reads (the newest of the last 90 days).
const MAX_QUESTIONS: i64 = 2_000;
/// The engine's clustering is seeded, so the same questions give the same groups.
const SEED: u64 = 11;

/// A member of a group.
pub struct Member {
    pub id: i64,
    pub text: String,
    pub answered: bool,
}

/// A group of similar questions.
pub struct Group {
    pub label: String,
    pub size: usize,
    pub members: Vec<Member>,
    /// The launch most of its questions are about.
    pub launch: Option<(i64, String)>,
    /// The most typical answered question: its question and answer go into the FAQ.
    pub best: Option<i64>,
    pub best_answer: Option<String>,
}

/// Group `rows` with the engine's clustering; groups of at least two, largest first.
pub fn groups(rows: &[db::RepeatRow]) -> Vec<Group> {
    let texts: Vec<&str> = rows.iter().map(|r| r.text.as_str()).collect();
    if texts.len() < 2 {
        return Vec::new();
    }
    // About one group per four questions: a repeated question is asked a few times.
    let k = (texts.len() / 4).clamp(1, 200);
    let clusters = crate::tagging::cluster(&texts, Some(k), SEED);
    let mut out: Vec<Group> = clusters
        .into_iter()
        .filter(|c| c.members.len() >= 2)
        .map(|c| {
            let mut counts: Vec<(i64, String, usize)> = Vec::new();
            for &m in &c.members {
                if let (Some(id), Some(name)) = (rows[m].launch_id, &rows[m].launch_name) {
                    match counts.iter_mut().find(|(l, _, _)| *l == id) {
                        Some(e) => e.2 += 1,
                        None => counts.push((id, name.clone(), 1)),
                    }
                }
            }
            counts.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
            let order: Vec<usize> = c
                .typical
                .iter()
                .copied()
                .chain(c.members.iter().copied().filter(|m| !c.typical.contains(m)))
                .collect();
            let best = order.iter().copied().find(|&m| rows[m].answer.is_some());
            Group {
                label: c.label,
                size: c.members.len(),
                members: order
                    .iter()
                    .take(6)
                    .map(|&m| Member {
                        id: rows[m].id,
                        text: crate::web::format::excerpt(&rows[m].text, 160),
                        answered: rows[m].answer.is_some(),
                    })
                    .collect(),
                launch: counts.first().map(|(id, name, _)| (*id, name.clone())),
                best: best.map(|m| rows[m].id),
                best_answer: best
                    .and_then(|m| rows[m].answer.as_deref())
                    .map(|a| crate::web::format::excerpt(a, 240)),
            }
        })
        .collect();
    out.sort_by(|a, b| b.size.cmp(&a.size).then(a.label.cmp(&b.label)));
    out
}

#[derive(Template, WebTemplate)]
#[template(path = "questions/repeated.html")]
pub struct RepeatedPage {
    layout: Layout,
    groups: Vec<Group>,
    read: usize,
    can_faq: bool,
}

async fn page(State(state): State<AppState>, current: CurrentUser) -> AppResult<RepeatedPage> {
    current.user.require(Permission::Read)?;
    let since = OffsetDateTime::now_utc() - Duration::days(90);
    let rows = db::recent_for_grouping(&state.pool, since, MAX_QUESTIONS).await?;
    let read = rows.len();
    let groups = tokio::task::spawn_blocking(move || groups(&rows))
        .await
        .map_err(anyhow::Error::from)?;
    Ok(RepeatedPage {
        layout: Layout::for_user(&current, "Repeated questions", "questions").await?,
        groups,
        read,
        can_faq: current.user.can(Permission::AnswerQuestions),
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FaqForm {
    pub question_id: String,
    pub launch_id: String,
}

/// Add a question and its answer to the FAQ of a launch's guide as a new draft revision on top
/// of the latest one. Returns the revision's number.
pub async fn add_faq(
    pool: &sqlx::PgPool,
    by: &User,
    question_id: i64,
    launch_id: i64,
) -> AppResult<i32> {
    let q = db::get(pool, question_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let Some(answer) = q.answer.clone().filter(|a| !a.trim().is_empty()) else {
        return Err(AppError::Validation(FieldErrors::single(
            "question_id",
            "Answer the question first: the FAQ takes its answer",
        )));
    };
    crate::launches::db::get(pool, launch_id)
        .await?
        .ok_or(AppError::NotFound)?;
    // Someone may save between reading the head and writing on top of it: read again then.
    for _ in 0..3 {
        crate::launches::db::ensure_guide(pool, launch_id).await?;
        let head = crate::launches::db::guide_state(pool, launch_id)
            .await?
            .and_then(|g| g.head_number);
        let mut content = match head {
            Some(n) => crate::launches::db::revision(pool, launch_id, n)
                .await?
                .map(|r| r.content)
                .unwrap_or_default(),
            None => GuideContent::default(),
        };
        if content.faq.iter().any(|f| f.q.trim() == q.text.trim()) {
            return Err(AppError::Validation(FieldErrors::single(
                "question_id",
                "The guide's FAQ already has this question",
            )));
        }
        content.faq.push(Faq {
            q: q.text.trim().to_owned(),
            a: answer.trim().to_owned(),
        });
        match crate::launches::edit::save_guide(
            pool,
            &Actor::User(by),
            launch_id,
            head,
            &content,
            &format!("FAQ: added question #{question_id} and its answer"),
            false,
        )
        .await?
        {
            Saved::Revision(n) => return Ok(n),
            Saved::Stale { .. } => continue,
        }
    }
    Err(AppError::Conflict(
        "The guide kept changing while the FAQ entry was added; try again".into(),
    ))
}

async fn add_to_faq(
    State(state): State<AppState>,
    current: CurrentUser,
    Form(form): Form<FaqForm>,
) -> AppResult<Response> {
    current.user.require(Permission::AnswerQuestions)?;
    let parse = |v: &str, field: &str| {
        v.trim()
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .ok_or_else(|| {
                AppError::Validation(FieldErrors::single(field, "Choose it from the page"))
            })
    };
    let question_id = parse(&form.question_id, "question_id")?;
    let launch_id = parse(&form.launch_id, "launch_id")?;
    let number = add_faq(&state.pool, &current.user, question_id, launch_id).await?;
    set_flash(
        &current.session,
        FlashKind::Success,
        format!("Added to the FAQ as draft revision {number}; the published guide is unchanged until it is reviewed."),
        Some((format!("/launches/{launch_id}/guide/history"), "See the revisions".into())),
    )
    .await?;
    Ok(Redirect::to("/questions/repeated").into_response())
}

/// The feedback source a question's team logs as.
fn source_for(team: &str) -> &'static str {
    match team {
        "sales" => "sales",
        "success" => "success",
        "support" => "support",
        _ => "other",
    }
}

/// Log an `other`-kind question (a feature request) as a feedback item, linked both ways: the
/// item's metadata names the question, the question keeps the item's id. Logging it again
/// updates the same item (its external id is `question-{id}`).
pub async fn feedback_from(pool: &sqlx::PgPool, by: &User, id: i64) -> AppResult<i64> {
    let q = db::get(pool, id).await?.ok_or(AppError::NotFound)?;
    if q.kind != "other" {
        return Err(AppError::Validation(FieldErrors::single(
            "kind",
            "Only feature requests (questions of kind other) are logged as feedback",
        )));
    }
    let input = crate::feedback::FeedbackInput {
        source: Some(source_for(&q.team).to_owned()),
        body: Some(q.text.clone()),
        external_id: Some(format!("question-{id}")),
        received_at: Some(crate::web::format::iso(q.asked_at)),
        metadata: Some(serde_json::json!({
            "question_id": id,
            "question_url": format!("/questions/{id}"),
            "asked_by": q.asked_by,
        })),
        ..crate::feedback::FeedbackInput::default()
    };
    let written = crate::feedback::ingest::ingest_via(
        pool,
        std::slice::from_ref(&input),
        Some(by.id),
        crate::feedback::ingest::Via::Form,
    )
    .await
    .map_err(|e| match e {
        crate::feedback::ingest::IngestError::Invalid(batch) => {
            AppError::Validation(batch.into_field_errors(true))
        }
        other => AppError::Anyhow(anyhow::anyhow!("{other}")),
    })?;
    let feedback_id = written
        .first()
        .map(|w| w.id)
        .ok_or_else(|| anyhow::anyhow!("nothing written"))?;
    db::set_feedback(pool, id, feedback_id).await?;
    crate::feedback::after_ingest(pool, vec![feedback_id]).await;
    Ok(feedback_id)
}

async fn log_as_feedback(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    current.user.require(Permission::LogFeedback)?;
    let feedback_id = feedback_from(&state.pool, &current.user, id).await?;
    set_flash(
        &current.session,
        FlashKind::Success,
        format!("Logged as feedback #{feedback_id}."),
        Some((format!("/feedback/{feedback_id}"), "View it".into())),
    )
    .await?;
    Ok(Redirect::to(&format!("/questions/{id}")).into_response())
}
