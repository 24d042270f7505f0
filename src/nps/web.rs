//! The NPS page: the score for a period, its monthly trend, by segment and plan, and the
//! themes detractors and promoters mention most.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use serde::Deserialize;
use time::Duration;

use super::{Breakdown, NpsCounts, db};
use crate::app::AppState;
use crate::auth::{CurrentUser, Permission};
use crate::error::AppResult;
use crate::insights::figures::{Period, week_start};
use crate::web::Layout;
use crate::web::charts::{ScoreSlot, score_line};
use crate::web::labels::segment_label;

pub fn router() -> Router<AppState> {
    Router::new().route("/nps", get(nps_page))
}

#[derive(Debug, Default, Deserialize)]
pub struct NpsQuery {
    from: Option<String>,
    to: Option<String>,
}

/// One row of a breakdown table.
pub struct Band {
    pub label: String,
    pub counts: NpsCounts,
    /// The rounded score, or "—" when nobody answered.
    pub score: String,
    pub promoters_pct: i64,
    pub passives_pct: i64,
    pub detractors_pct: i64,
}

impl Band {
    pub fn new(label: String, counts: NpsCounts) -> Self {
        let n = counts.responses().max(1);
        let pct = |x: i64| (100 * x + n / 2) / n;
        Band {
            label,
            score: score_text(&counts),
            promoters_pct: pct(counts.promoters),
            passives_pct: pct(counts.passives),
            detractors_pct: pct(counts.detractors),
            counts,
        }
    }
}

/// "+32", "0", "−15" or "—" (no answers is no score, not zero).
pub fn score_text(c: &NpsCounts) -> String {
    match c.rounded() {
        None => "—".into(),
        Some(s) if s > 0 => format!("+{s}"),
        Some(s) if s < 0 => format!("−{}", -s),
        Some(_) => "0".into(),
    }
}

/// A theme and how many answers of one band mention it.
pub struct Mention {
    pub theme_id: i64,
    pub name: String,
    pub count: i64,
    pub share: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "nps/nps.html")]
pub struct NpsPage {
    layout: Layout,
    from: String,
    to: String,
    /// What was done with dates that could not be used as typed (said, never silent).
    notices: Vec<String>,
    total: Band,
    months: Vec<Band>,
    chart: Option<crate::web::charts::ScoreLine>,
    segments: Vec<Band>,
    plans: Vec<Band>,
    detractor_themes: Vec<Mention>,
    promoter_themes: Vec<Mention>,
}

/// What the page must say about the dates it was given: a value that is not a date, or a
/// start after the end (the period shown is then put the right way round).
pub fn date_notices(from: Option<&str>, to: Option<&str>) -> Vec<String> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let mut notices = Vec::new();
    let mut read = |name: &str, value: Option<&str>| {
        let value = value.map(str::trim).filter(|v| !v.is_empty())?;
        match time::Date::parse(value, &fmt) {
            Ok(d) => Some(d),
            Err(_) => {
                notices.push(format!(
                    "The {name} date \"{value}\" is not a date (use YYYY-MM-DD), so the default is shown instead."
                ));
                None
            }
        }
    };
    let (f, t) = (read("start", from), read("end", to));
    if let (Some(f), Some(t)) = (f, t)
        && f > t
    {
        notices.push(format!(
            "The start date {f} was after the end date {t}, so they were swapped: showing {t} to {f}."
        ));
    }
    notices
}

/// "from 1 answer", "from 12 answers".
fn answers(n: i64) -> String {
    format!("from {n} {}", if n == 1 { "answer" } else { "answers" })
}

async fn nps_page(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(q): Query<NpsQuery>,
) -> AppResult<NpsPage> {
    current.user.require(Permission::Read)?;
    let period = Period::parse(q.from.as_deref(), q.to.as_deref());
    let to = db::start_of(period.to + Duration::days(1));
    // The monthly trend covers the 12 months up to the end of the period.
    let trend_from = {
        let d = period.to - Duration::days(365);
        d.replace_day(1).unwrap_or(d)
    };
    let rows = db::daily(&state.pool, db::start_of(trend_from.min(period.from)), to).await?;
    let breakdown = Breakdown::from_days(&rows, (period.from, period.to), trend_from);
    let total = breakdown.total;
    let months: Vec<Band> = breakdown
        .months
        .into_iter()
        .map(|(label, counts)| Band::new(label, counts))
        .collect();
    let slots: Vec<ScoreSlot> = months
        .iter()
        .map(|b| ScoreSlot {
            label: b.label.clone(),
            score: b.counts.rounded(),
            detail: answers(b.counts.responses()),
        })
        .collect();
    let chart = score_line("NPS by month, from −100 to +100", &slots);
    let segments = breakdown
        .segments
        .into_iter()
        .map(|(label, counts)| {
            Band::new(
                segment_label(label.as_deref())
                    .unwrap_or("No segment")
                    .to_owned(),
                counts,
            )
        })
        .collect();
    let plans = breakdown
        .plans
        .into_iter()
        .map(|(label, counts)| Band::new(label.unwrap_or_else(|| "No plan".into()), counts))
        .collect();
    let mentions = crate::insights::db::nps_mentions(
        &state.pool,
        week_start(period.from),
        week_start(period.to),
    )
    .await?;
    let top = |pick: fn(&crate::insights::db::NpsMentionRow) -> i64, all: i64| {
        let mut v: Vec<Mention> = mentions
            .iter()
            .filter(|m| pick(m) > 0)
            .map(|m| Mention {
                theme_id: m.theme_id,
                name: m.name.clone(),
                count: pick(m),
                share: if all > 0 {
                    (100 * pick(m) + all / 2) / all
                } else {
                    0
                },
            })
            .collect();
        v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
        v.truncate(8);
        v
    };
    let detractor_themes = top(|m| m.detractors, total.detractors);
    let promoter_themes = top(|m| m.promoters, total.promoters);
    Ok(NpsPage {
        layout: Layout::for_user(&current, "NPS", "nps").await?,
        notices: date_notices(q.from.as_deref(), q.to.as_deref()),
        from: period.from.to_string(),
        to: period.to.to_string(),
        total: Band::new("All answers".into(), total),
        months,
        chart,
        segments,
        plans,
        detractor_themes,
        promoter_themes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reversed_or_unreadable_dates_are_said() {
        let n = date_notices(Some("2026-11-30"), Some("2026-11-01"));
        assert_eq!(
            n,
            vec!["The start date 2026-11-30 was after the end date 2026-11-01, so they were swapped: showing 2026-11-01 to 2026-11-30.".to_string()]
        );
        assert!(date_notices(Some("soon"), None)[0].contains("\"soon\" is not a date"));
        assert!(date_notices(Some("2026-11-01"), Some("2026-11-30")).is_empty());
        assert!(date_notices(None, Some("")).is_empty());
    }

    #[test]
    fn score_text_separates_no_answers_from_zero() {
        assert_eq!(score_text(&NpsCounts::default()), "—");
        let passives = NpsCounts {
            passives: 4,
            ..NpsCounts::default()
        };
        assert_eq!(score_text(&passives), "0");
        let b = Band::new("x".into(), passives);
        assert_eq!(
            (b.promoters_pct, b.passives_pct, b.detractors_pct),
            (0, 100, 0)
        );
        let mixed = NpsCounts {
            promoters: 1,
            passives: 0,
            detractors: 3,
        };
        assert_eq!(score_text(&mixed), "−50");
    }
}
