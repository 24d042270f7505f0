//! The questions dashboard: readiness share per week (overall, per team, per launch before and
//! after its guide), PM time, open questions, with the period, team, launch and channel filters,
//! and the weekly numbers as CSV.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use time::{Date, Duration, OffsetDateTime};

use super::{CHANNELS, Kind, TEAMS, db, readiness_share};
use crate::app::AppState;
use crate::auth::{CurrentUser, Permission};
use crate::error::AppResult;
use crate::web::Layout;
use crate::web::charts::{self, ScoreLine, ScoreSlot};
use crate::web::format::When;

/// How many weeks the dashboard's trend covers by default (about six months).
pub const WEEKS: i64 = 26;
/// The longest period the trend draws.
const MAX_WEEKS: i64 = 104;

pub fn team_label(team: &str) -> &'static str {
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
    pub launch: Option<String>,
}

pub fn line(q: db::QuestionRow, now: OffsetDateTime) -> QuestionLine {
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
        launch: q.launch_name,
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

/// A team's readiness share over the period.
pub struct TeamLine {
    pub team: &'static str,
    pub awareness: i64,
    pub readiness: i64,
    pub share: String,
}

/// A launch's readiness share before and after its guide was published.
pub struct LaunchLine {
    pub id: i64,
    pub name: String,
    pub published: Option<String>,
    pub before: String,
    pub before_n: i64,
    pub after: String,
    pub after_n: i64,
    pub change: String,
    pub hours: String,
}

/// The dashboard's filters, as the query string carries them (the CSV and the API take the same).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DashboardQuery {
    pub team: String,
    pub launch: String,
    pub channel: String,
    pub from: String,
    pub to: String,
}

/// The filters, checked: unknown values are dropped (a page never fails on its filters).
#[derive(Debug, Clone)]
pub struct Filters {
    pub team: Option<&'static str>,
    pub launch_id: Option<i64>,
    pub channel: Option<&'static str>,
    pub from: Date,
    pub to: Date,
}

impl Filters {
    pub fn parse(q: &DashboardQuery, today: Date) -> Filters {
        let fmt = time::macros::format_description!("[year]-[month]-[day]");
        let date = |s: &str| Date::parse(s.trim(), &fmt).ok();
        let to = date(&q.to).filter(|d| *d <= today).unwrap_or(today);
        let default_from = crate::insights::week_start(to) - Duration::weeks(WEEKS - 1);
        let mut from = date(&q.from).unwrap_or(default_from).min(to);
        if (to - from).whole_weeks() >= MAX_WEEKS {
            from = to - Duration::weeks(MAX_WEEKS - 1);
        }
        Filters {
            team: TEAMS
                .iter()
                .find(|(k, _)| *k == q.team.trim())
                .map(|(k, _)| *k),
            launch_id: q.launch.trim().parse::<i64>().ok().filter(|id| *id > 0),
            channel: CHANNELS
                .iter()
                .find(|(k, _)| *k == q.channel.trim())
                .map(|(k, _)| *k),
            from,
            to,
        }
    }

    pub fn week_filter(&self) -> db::WeekFilter {
        db::WeekFilter {
            from: self.from.midnight().assume_utc(),
            to: (self.to + Duration::days(1)).midnight().assume_utc(),
            launch_id: self.launch_id,
            channel: self.channel.map(str::to_owned),
        }
    }

    /// The query string that keeps these filters (for the CSV link).
    pub fn query(&self) -> String {
        let mut pairs = vec![("from", self.from.to_string()), ("to", self.to.to_string())];
        if let Some(t) = self.team {
            pairs.push(("team", t.to_owned()));
        }
        if let Some(l) = self.launch_id {
            pairs.push(("launch", l.to_string()));
        }
        if let Some(c) = self.channel {
            pairs.push(("channel", c.to_owned()));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "questions/dashboard.html")]
pub struct DashboardPage {
    layout: Layout,
    filters: Filters,
    query: String,
    teams: &'static [(&'static str, &'static str)],
    channels: &'static [(&'static str, &'static str)],
    launch_options: Vec<(i64, String)>,
    share_now: String,
    share_before: String,
    hours_now: String,
    hours_before: String,
    open: i64,
    oldest: Option<String>,
    chart: Option<ScoreLine>,
    weeks: Vec<WeekLine>,
    by_team: Vec<TeamLine>,
    by_launch: Vec<LaunchLine>,
    by_pm: Vec<db::PmMinutes>,
    open_questions: Vec<QuestionLine>,
    recent: Vec<QuestionLine>,
    can_ask: bool,
    can_triage: bool,
}

pub fn share_text(a: i64, r: i64) -> String {
    readiness_share(a, r)
        .map(|s| format!("{s} %"))
        .unwrap_or_else(|| "–".into())
}

pub fn hours(minutes: i64) -> String {
    format!("{:.1} h", minutes as f64 / 60.0)
}

/// Sum the rows of one week that pass the team filter: (awareness, readiness, other, minutes).
fn sum(rows: &[db::WeekRow], keep: impl Fn(&db::WeekRow) -> bool) -> (i64, i64, i64, i64) {
    rows.iter()
        .filter(|r| keep(r))
        .fold((0, 0, 0, 0), |acc, w| {
            (
                acc.0 + w.awareness,
                acc.1 + w.readiness,
                acc.2 + w.other,
                acc.3 + w.minutes,
            )
        })
}

pub async fn dashboard(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(q): Query<DashboardQuery>,
) -> AppResult<DashboardPage> {
    current.user.require(Permission::Read)?;
    let now = OffsetDateTime::now_utc();
    let f = Filters::parse(&q, now.date());
    let team_ok = |r: &db::WeekRow| f.team.is_none_or(|t| r.team == t);
    let wf = f.week_filter();
    let rows = db::weekly(&state.pool, &wf).await?;
    let first = crate::insights::week_start(f.from);
    let n_weeks = (crate::insights::week_start(f.to) - first).whole_weeks() + 1;
    let mut weeks = Vec::new();
    let mut slots = Vec::new();
    for i in 0..n_weeks {
        let week = first + Duration::weeks(i);
        let (a, r, o, m) = sum(&rows, |w| w.week == week && team_ok(w));
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
    // This month against the month before (calendar months, UTC), with the same filters.
    let month_start = now.date().replace_day(1).unwrap_or(now.date());
    let last_month = (month_start - Duration::days(1))
        .replace_day(1)
        .unwrap_or(month_start);
    let month_rows = db::weekly(
        &state.pool,
        &db::WeekFilter {
            from: last_month.midnight().assume_utc(),
            to: now + Duration::days(1),
            ..wf.clone()
        },
    )
    .await?;
    let this_week = crate::insights::week_start(now.date());
    let sum_month = |from: Date, to: Date| {
        let (a, r, _, m) = sum(&month_rows, |w| {
            w.week >= crate::insights::week_start(from) && w.week < to && team_ok(w)
        });
        (a, r, m)
    };
    let (an, rn, mn) = sum_month(month_start, this_week + Duration::weeks(1));
    let (ab, rb, mb) = sum_month(last_month, crate::insights::week_start(month_start));
    let by_team = TEAMS
        .iter()
        .map(|(k, _)| {
            let (a, r, _, _) = sum(&rows, |w| w.team == *k);
            TeamLine {
                team: team_label(k),
                awareness: a,
                readiness: r,
                share: share_text(a, r),
            }
        })
        .collect();
    let by_launch = db::launch_shift(&state.pool, &wf, f.team)
        .await?
        .into_iter()
        .map(|l| {
            let before = readiness_share(l.awareness_before, l.readiness_before);
            let after = readiness_share(l.awareness_after, l.readiness_after);
            LaunchLine {
                id: l.launch_id,
                name: l.name,
                published: l.published_at.map(|p| p.date().to_string()),
                before: share_text(l.awareness_before, l.readiness_before),
                before_n: l.awareness_before + l.readiness_before,
                after: share_text(l.awareness_after, l.readiness_after),
                after_n: l.awareness_after + l.readiness_after,
                change: match (before, after) {
                    (Some(b), Some(a)) => format!("{} points", charts::signed(a - b)),
                    _ => "–".into(),
                },
                hours: hours(l.minutes),
            }
        })
        .collect();
    let by_pm = db::minutes_by_pm(&state.pool, &wf, f.team).await?;
    let open_rows = db::open_oldest(&state.pool, 10).await?;
    let oldest = open_rows.first().map(|q| line(q.clone(), now).waiting);
    let filter = db::ListFilter {
        team: f.team.map(str::to_owned),
        launch_id: f.launch_id,
        channel: f.channel.map(str::to_owned),
        from: Some(wf.from),
        to: Some(wf.to),
        ..db::ListFilter::default()
    };
    let recent = db::list(&state.pool, &filter, 20).await?;
    let launch_options = crate::launches::db::list(&state.pool)
        .await?
        .into_iter()
        .map(|l| (l.id, l.name))
        .collect();
    Ok(DashboardPage {
        layout: Layout::for_user(&current, "Questions", "questions").await?,
        chart: charts::percent_line(
            format!("Readiness share per week, {} weeks from {}", n_weeks, first),
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
        by_launch,
        by_pm,
        open_questions: open_rows.into_iter().map(|q| line(q, now)).collect(),
        recent: recent.into_iter().map(|q| line(q, now)).collect(),
        can_ask: current.user.can(Permission::LogFeedback),
        can_triage: current.user.can(Permission::TagFeedback),
        teams: &TEAMS,
        channels: &CHANNELS,
        launch_options,
        query: f.query(),
        filters: f,
    })
}

pub async fn weekly_csv(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(q): Query<DashboardQuery>,
) -> AppResult<Response> {
    current.user.require(Permission::Read)?;
    let f = Filters::parse(&q, OffsetDateTime::now_utc().date());
    let rows = db::weekly(&state.pool, &f.week_filter()).await?;
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
    for r in rows.iter().filter(|r| f.team.is_none_or(|t| r.team == t)) {
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
