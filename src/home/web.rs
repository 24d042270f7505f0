//! The role's home page: each role starts where it works (alignment health at a glance).
//! PM: rising themes, themes no launch answers, questions waiting on them, reviews pending.
//! Revenue: guides to acknowledge, their accounts that asked for what now ships, their
//! questions, a quick box. Product ops: readiness of upcoming launches, readiness share and NPS
//! trends, the triage backlog. Admin: all of that plus users, tokens, jobs and imports.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::routing::get;
use axum::{Extension, Router};
use time::{Duration, OffsetDateTime};

use super::db;
use crate::app::AppState;
use crate::auth::{CurrentUser, Permission, Role, Team, User};
use crate::error::AppResult;
use crate::insights::{Caches, Period, today};
use crate::web::Layout;
use crate::web::charts::{self, ScoreLine, ScoreSlot};

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(home))
}

/// A theme line: name, link, a number and what it means.
pub struct ThemeLine {
    pub id: i64,
    pub name: String,
    pub note: String,
}

/// A question line on a home page.
pub struct AskedLine {
    pub id: i64,
    pub text: String,
    pub note: String,
    pub open: bool,
}

fn asked_line(q: crate::questions::db::QuestionRow, now: OffsetDateTime) -> AskedLine {
    let open = q.status == "open";
    let days = (now - q.asked_at).whole_days();
    let waited = match days {
        0 => "today".to_owned(),
        1 => "1 day".to_owned(),
        n => format!("{n} days"),
    };
    let mut note = if open {
        format!("waiting {waited}")
    } else {
        match &q.answered_by {
            Some(by) => format!("answered by {by}"),
            None => "answered".to_owned(),
        }
    };
    if let Some(asker) = q.asked_by.as_deref().filter(|_| open) {
        note = format!("{asker} · {note}");
    }
    if let Some(l) = &q.launch_name {
        note = format!("{l} · {note}");
    }
    AskedLine {
        id: q.id,
        text: crate::web::format::excerpt(&q.text, 140),
        note,
        open,
    }
}

/// What a PM (and the admin) sees first.
pub struct PmHome {
    pub rising: Vec<ThemeLine>,
    pub unanswered: Vec<ThemeLine>,
    pub waiting: Vec<AskedLine>,
    pub open_total: i64,
    pub suggested: i64,
    pub to_review: Vec<db::LaunchName>,
}

/// What a revenue person sees first.
pub struct RevenueHome {
    pub to_acknowledge: Vec<db::LaunchName>,
    pub shipping: Vec<db::AskedShipping>,
    pub mine: Vec<AskedLine>,
    pub feedback_source: &'static str,
}

/// An upcoming launch's readiness in one line.
pub struct LaunchLine {
    pub id: i64,
    pub name: String,
    pub when: String,
    pub ready: usize,
    pub teams: usize,
    pub not_ready: String,
}

/// What product ops (and the admin, and viewers without the triage) see first.
pub struct OpsHome {
    pub launches: Vec<LaunchLine>,
    pub share_chart: Option<ScoreLine>,
    pub share_last: String,
    pub nps_chart: Option<ScoreLine>,
    pub nps_last: String,
    pub triage: Option<i64>,
    pub open_total: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "home/home.html")]
pub struct HomePage {
    layout: Layout,
    greeting: String,
    focus: &'static str,
    pm: Option<PmHome>,
    revenue: Option<RevenueHome>,
    ops: Option<OpsHome>,
    health: Option<db::Health>,
}

fn focus_of(role: Role) -> &'static str {
    match role {
        Role::Admin => "Alignment health, and the hub's people, tokens, jobs and imports.",
        Role::ProductOps => "Are teams ready for what ships, and are the questions getting better?",
        Role::Pm => {
            "What customers ask for, what no launch answers yet, and who is waiting on you."
        }
        Role::Revenue => "What is launching, what your accounts asked for, and your questions.",
        Role::Viewer => "What is launching and how ready the teams are.",
    }
}

async fn pm_home(state: &AppState, caches: &Caches, user: &User) -> AppResult<PmHome> {
    let pool = &state.pool;
    let period = Period::default_for(today());
    let figures = crate::insights::figures::all_themes(
        pool,
        &caches.figures,
        &crate::insights::db::Scope::default(),
        period,
    )
    .await?;
    let themes = crate::themes::db::list(pool, Some("active")).await?;
    let answered = crate::launches::web::answered_theme_ids(pool).await?;
    let mut rising: Vec<(f64, i64, ThemeLine)> = themes
        .iter()
        .filter_map(|t| {
            let f = figures.get(&t.id)?;
            let trend = f.trend();
            (trend.direction == "up" && f.last4 >= 3).then(|| {
                (
                    trend.percent,
                    f.last4,
                    ThemeLine {
                        id: t.id,
                        name: t.name.clone(),
                        note: format!(
                            "{} {} · {} items in the last 4 weeks",
                            trend.arrow, trend.text, f.last4
                        ),
                    },
                )
            })
        })
        .collect();
    rising.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)));
    let mut unanswered: Vec<(i64, ThemeLine)> = themes
        .iter()
        .filter(|t| !answered.contains(&t.id))
        .filter_map(|t| {
            let f = figures.get(&t.id)?;
            (f.items_90 > 0).then(|| {
                (
                    f.items_90,
                    ThemeLine {
                        id: t.id,
                        name: t.name.clone(),
                        note: format!(
                            "{} items in 90 days from {} accounts",
                            f.items_90, f.accounts
                        ),
                    },
                )
            })
        })
        .collect();
    unanswered.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.name.cmp(&b.1.name)));
    let now = OffsetDateTime::now_utc();
    let waiting = crate::questions::db::open_for_owner(pool, user.id, 8).await?;
    Ok(PmHome {
        rising: rising.into_iter().take(5).map(|r| r.2).collect(),
        unanswered: unanswered.into_iter().take(5).map(|r| r.1).collect(),
        waiting: waiting.into_iter().map(|q| asked_line(q, now)).collect(),
        open_total: crate::questions::db::open_count(pool).await?,
        suggested: crate::insights::figures::suggested(pool, &caches.suggested, None).await?,
        to_review: db::guides_to_review(pool, user.id).await?,
    })
}

async fn revenue_home(state: &AppState, user: &User) -> AppResult<RevenueHome> {
    let pool = &state.pool;
    let mut to_acknowledge = Vec::new();
    for launch in db::published_guides(pool).await? {
        let Some(guide) = crate::launches::db::guide_state(pool, launch.id).await? else {
            continue;
        };
        let ack = crate::launches::guide_web::ack_state(pool, user, &guide).await?;
        if ack.may_acknowledge && (ack.asked || ack.acknowledged.is_none()) {
            to_acknowledge.push(launch);
        }
    }
    let now = OffsetDateTime::now_utc();
    let mine = crate::questions::db::asked_by(pool, user.id, 8).await?;
    Ok(RevenueHome {
        to_acknowledge,
        shipping: db::asked_shipping(pool, user.id, 8).await?,
        mine: mine.into_iter().map(|q| asked_line(q, now)).collect(),
        feedback_source: match user.team {
            Team::Sales => "sales",
            Team::Success => "success",
            Team::Support => "support",
            Team::Product | Team::ProductOps => "research",
            Team::Marketing | Team::Other => "other",
        },
    })
}

async fn ops_home(state: &AppState, with_triage: bool) -> AppResult<OpsHome> {
    let pool = &state.pool;
    let today = today();
    let launches: Vec<crate::launches::Launch> = crate::launches::db::list(pool)
        .await?
        .into_iter()
        .filter(|l| crate::launches::readiness::is_upcoming(l, today))
        .collect();
    let ids: Vec<i64> = launches.iter().map(|l| l.id).collect();
    let coverage = crate::launches::readiness::coverage(pool, &ids).await?;
    let launches = launches
        .into_iter()
        .take(8)
        .map(|l| {
            let teams = coverage.get(&l.id).cloned().unwrap_or_default();
            let not_ready: Vec<&str> = teams
                .iter()
                .filter(|t| t.readiness() != crate::launches::Readiness::Ready)
                .map(|t| t.team.label())
                .collect();
            LaunchLine {
                id: l.id,
                when: format!("{}, {}", l.status_label(), l.date_text()),
                name: l.name,
                ready: teams.len() - not_ready.len(),
                teams: teams.len(),
                not_ready: not_ready.join(", "),
            }
        })
        .collect();
    // Readiness share per complete week, the last 12.
    let weeks = crate::questions::share_trend(pool, 12).await?;
    let slots: Vec<ScoreSlot> = weeks
        .iter()
        .map(|w| ScoreSlot {
            label: charts::short_date(w.week),
            score: crate::questions::readiness_share(w.awareness, w.readiness),
            detail: format!(
                "({} readiness of {} awareness + readiness)",
                w.readiness,
                w.awareness + w.readiness
            ),
        })
        .collect();
    let share_last = slots
        .iter()
        .rev()
        .find_map(|s| s.score)
        .map(|s| format!("{s} %"))
        .unwrap_or_else(|| "–".into());
    // NPS per month, the last 6.
    let trend_from = {
        let d = today - Duration::days(182);
        d.replace_day(1).unwrap_or(d)
    };
    let rows = crate::nps::db::daily(
        pool,
        crate::nps::db::start_of(trend_from),
        crate::nps::db::start_of(today + Duration::days(1)),
    )
    .await?;
    let breakdown = crate::nps::Breakdown::from_days(&rows, (trend_from, today), trend_from);
    let nps_slots: Vec<ScoreSlot> = breakdown
        .months
        .iter()
        .map(|(label, c)| ScoreSlot {
            label: label.clone(),
            score: c.rounded(),
            detail: format!("from {} answers", c.responses()),
        })
        .collect();
    let nps_last = nps_slots
        .iter()
        .rev()
        .find_map(|s| s.score)
        .map(charts::signed)
        .unwrap_or_else(|| "–".into());
    Ok(OpsHome {
        launches,
        share_chart: charts::percent_line("Readiness share per week, last 12 weeks", &slots),
        share_last,
        nps_chart: charts::score_line("NPS by month, last 6 months", &nps_slots),
        nps_last,
        triage: if with_triage {
            Some(crate::questions::triage_backlog(pool).await?)
        } else {
            None
        },
        open_total: crate::questions::db::open_count(pool).await?,
    })
}

async fn home(
    State(state): State<AppState>,
    Extension(caches): Extension<Caches>,
    current: CurrentUser,
) -> AppResult<HomePage> {
    let user = &current.user;
    user.require(Permission::Read)?;
    let role = user.role;
    let pm = if matches!(role, Role::Pm | Role::Admin) {
        Some(pm_home(&state, &caches, user).await?)
    } else {
        None
    };
    let revenue = if role == Role::Revenue {
        Some(revenue_home(&state, user).await?)
    } else {
        None
    };
    let ops = if matches!(role, Role::ProductOps | Role::Admin | Role::Viewer) {
        Some(ops_home(&state, role != Role::Viewer).await?)
    } else {
        None
    };
    let health = if user.can(Permission::Administer) {
        Some(db::health(&state.pool).await?)
    } else {
        None
    };
    let first_name = user
        .name
        .split_whitespace()
        .next()
        .unwrap_or(&user.name)
        .to_owned();
    Ok(HomePage {
        layout: Layout::for_user(&current, "Home", "home").await?,
        greeting: format!("Welcome, {first_name}"),
        focus: focus_of(role),
        pm,
        revenue,
        ops,
        health,
    })
}
