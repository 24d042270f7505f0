//! Question pages: the dashboard (readiness share, PM time, open questions), the quick form,
//! one question with its answer and kind, and the weekly numbers as CSV.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use super::{ClassifierCache, Kind, QuestionInput, TEAMS, db, readiness_share};
use crate::app::AppState;
use crate::auth::session::{FlashKind, set_flash};
use crate::auth::{CurrentUser, Permission};
use crate::error::{AppError, AppResult};
use crate::validation::FieldErrors;
use crate::web::Layout;
use crate::web::charts::{self, ScoreLine, ScoreSlot};
use crate::web::format::When;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/questions", get(dashboard).post(create))
        .route("/questions/new", get(new_form))
        .route("/questions/weekly.csv", get(weekly_csv))
        .route("/questions/{id}", get(detail))
        .route("/questions/{id}/answer", post(answer))
        .route("/questions/{id}/kind", post(set_kind))
}

/// How many weeks the dashboard's trend covers (about six months).
const WEEKS: i64 = 26;

fn team_label(team: &str) -> &'static str {
    TEAMS
        .iter()
        .find(|(k, _)| *k == team)
        .map(|(_, l)| *l)
        .unwrap_or("Other")
}

/// A question as lists show it.
pub struct QuestionLine {
    pub id: i64,
    pub text: String,
    pub asked_by: Option<String>,
    pub team: &'static str,
    pub asked: When,
    pub kind: &'static str,
    pub kind_label: &'static str,
    pub waiting: String,
}

fn line(q: db::QuestionRow, now: OffsetDateTime) -> QuestionLine {
    let kind = Kind::parse(&q.kind).unwrap_or(Kind::Other);
    let days = (now - q.asked_at).whole_days();
    QuestionLine {
        id: q.id,
        text: crate::web::format::excerpt(&q.text, 160),
        asked_by: q.asked_by,
        team: team_label(&q.team),
        asked: When::from(q.asked_at),
        kind: kind.as_str(),
        kind_label: kind.label(),
        waiting: match days {
            0 => "today".into(),
            1 => "1 day".into(),
            n => format!("{n} days"),
        },
    }
}

/// One week of the trend, as its table shows it.
pub struct WeekLine {
    pub week: String,
    pub awareness: i64,
    pub readiness: i64,
    pub other: i64,
    pub share: String,
    pub minutes: i64,
}

/// A team's readiness share over the whole trend.
pub struct TeamLine {
    pub team: &'static str,
    pub awareness: i64,
    pub readiness: i64,
    pub share: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct DashboardQuery {
    #[serde(default)]
    team: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "questions/dashboard.html")]
pub struct DashboardPage {
    layout: Layout,
    team: String,
    teams: &'static [(&'static str, &'static str)],
    share_now: String,
    share_before: String,
    hours_now: String,
    hours_before: String,
    open: i64,
    oldest: Option<String>,
    chart: Option<ScoreLine>,
    weeks: Vec<WeekLine>,
    by_team: Vec<TeamLine>,
    open_questions: Vec<QuestionLine>,
    recent: Vec<QuestionLine>,
    can_ask: bool,
}

fn share_text(a: i64, r: i64) -> String {
    readiness_share(a, r)
        .map(|s| format!("{s} %"))
        .unwrap_or_else(|| "–".into())
}

fn hours(minutes: i64) -> String {
    format!("{:.1} h", minutes as f64 / 60.0)
}

async fn dashboard(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(q): Query<DashboardQuery>,
) -> AppResult<DashboardPage> {
    current.user.require(Permission::Read)?;
    let team = TEAMS
        .iter()
        .find(|(k, _)| *k == q.team.trim())
        .map(|(k, _)| (*k).to_owned())
        .unwrap_or_default();
    let now = OffsetDateTime::now_utc();
    let this_week = crate::insights::week_start(now.date());
    let first = this_week - Duration::weeks(WEEKS - 1);
    let from = first.midnight().assume_utc();
    let rows = db::weekly(&state.pool, from, now + Duration::days(1)).await?;
    let mut weeks = Vec::new();
    let mut slots = Vec::new();
    for i in 0..WEEKS {
        let week = first + Duration::weeks(i);
        let of = |r: &&db::WeekRow| r.week == week && (team.is_empty() || r.team == team);
        let (a, r, o, m) = rows.iter().filter(of).fold((0, 0, 0, 0), |acc, w| {
            (
                acc.0 + w.awareness,
                acc.1 + w.readiness,
                acc.2 + w.other,
                acc.3 + w.minutes,
            )
        });
        slots.push(ScoreSlot {
            label: charts::short_date(week),
            score: readiness_share(a, r),
            detail: format!("({r} readiness of {} awareness + readiness)", a + r),
        });
        weeks.push(WeekLine {
            week: week.to_string(),
            awareness: a,
            readiness: r,
            other: o,
            share: share_text(a, r),
            minutes: m,
        });
    }
    // This month against the month before (calendar months, UTC).
    let month_start = now.date().replace_day(1).unwrap_or(now.date());
    let last_month = (month_start - Duration::days(1))
        .replace_day(1)
        .unwrap_or(month_start);
    let month_rows = db::weekly(
        &state.pool,
        last_month.midnight().assume_utc(),
        now + Duration::days(1),
    )
    .await?;
    let sum_month = |from: time::Date, to: time::Date| {
        month_rows
            .iter()
            .filter(|r| r.week >= crate::insights::week_start(from) && r.week < to)
            .filter(|r| team.is_empty() || r.team == team)
            .fold((0, 0, 0), |acc, w| {
                (acc.0 + w.awareness, acc.1 + w.readiness, acc.2 + w.minutes)
            })
    };
    let (an, rn, mn) = sum_month(month_start, this_week + Duration::weeks(1));
    let (ab, rb, mb) = sum_month(last_month, crate::insights::week_start(month_start));
    let by_team = TEAMS
        .iter()
        .map(|(k, _)| {
            let (a, r) = rows
                .iter()
                .filter(|w| w.team == *k)
                .fold((0, 0), |acc, w| (acc.0 + w.awareness, acc.1 + w.readiness));
            TeamLine {
                team: team_label(k),
                awareness: a,
                readiness: r,
                share: share_text(a, r),
            }
        })
        .collect();
    let open_rows = db::open_oldest(&state.pool, 10).await?;
    let oldest = open_rows.first().map(|q| line(q.clone(), now).waiting);
    let filter = db::ListFilter {
        team: (!team.is_empty()).then(|| team.clone()),
        ..db::ListFilter::default()
    };
    let recent = db::list(&state.pool, &filter, 20).await?;
    Ok(DashboardPage {
        layout: Layout::for_user(&current, "Questions", "questions").await?,
        chart: charts::percent_line(
            format!("Readiness share per week, last {WEEKS} weeks"),
            &slots,
        ),
        share_now: share_text(an, rn),
        share_before: share_text(ab, rb),
        hours_now: hours(mn),
        hours_before: hours(mb),
        open: db::open_count(&state.pool).await?,
        oldest,
        weeks,
        by_team,
        open_questions: open_rows.into_iter().map(|q| line(q, now)).collect(),
        recent: recent.into_iter().map(|q| line(q, now)).collect(),
        can_ask: current.user.can(Permission::LogFeedback),
        teams: &TEAMS,
        team,
    })
}

async fn weekly_csv(State(state): State<AppState>, current: CurrentUser) -> AppResult<Response> {
    current.user.require(Permission::Read)?;
    let now = OffsetDateTime::now_utc();
    let first = crate::insights::week_start(now.date()) - Duration::weeks(WEEKS - 1);
    let rows = db::weekly(
        &state.pool,
        first.midnight().assume_utc(),
        now + Duration::days(1),
    )
    .await?;
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "week",
        "team",
        "awareness",
        "readiness",
        "other",
        "readiness_share_percent",
        "pm_minutes",
    ])
    .map_err(anyhow::Error::from)?;
    for r in &rows {
        let share = readiness_share(r.awareness, r.readiness)
            .map(|s| s.to_string())
            .unwrap_or_default();
        out.write_record([
            r.week.to_string(),
            r.team.clone(),
            r.awareness.to_string(),
            r.readiness.to_string(),
            r.other.to_string(),
            share,
            r.minutes.to_string(),
        ])
        .map_err(anyhow::Error::from)?;
    }
    let body = out.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"questions-weekly.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "questions/new.html")]
pub struct NewPage {
    layout: Layout,
    form: QuestionInput,
    errors: FieldErrors,
    teams: &'static [(&'static str, &'static str)],
    channels: &'static [(&'static str, &'static str)],
}

async fn new_form(current: CurrentUser) -> AppResult<NewPage> {
    current.user.require(Permission::LogFeedback)?;
    Ok(NewPage {
        layout: Layout::for_user(&current, "Ask product a question", "questions").await?,
        form: QuestionInput::default(),
        errors: FieldErrors::default(),
        teams: &TEAMS,
        channels: &super::CHANNELS,
    })
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
            let page = NewPage {
                layout: Layout::for_user(&current, "Ask product a question", "questions").await?,
                form,
                errors,
                teams: &TEAMS,
                channels: &super::CHANNELS,
            };
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
