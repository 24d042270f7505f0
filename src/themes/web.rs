//! Theme pages: the overview and one theme's page (the retag job's pages are in
//! `tagging/retag.rs`).

use super::tagging::db as tags;
use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use serde::Deserialize;

use super::{Theme, db};
use crate::app::AppState;
use crate::auth::{CurrentUser, Permission};
use crate::error::{AppError, AppResult};
use crate::insights::Trend;
use crate::insights::db::Scope;
use crate::insights::figures::{self, Period, ThemeFigures};
use crate::web::Layout;
use crate::web::charts;
use crate::web::format::{When, thousands};
use crate::web::labels::{SEGMENTS, SOURCES, source_label};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/themes", get(overview).post(super::forms::create))
        .route("/themes/{id}", get(theme_page))
        .merge(super::forms::router())
}

#[derive(Debug, Default, Deserialize)]
pub struct OverviewQuery {
    pub segment: Option<String>,
    pub source: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub sort: Option<String>,
    pub dir: Option<String>,
    /// `none`: only themes no launch answers yet.
    pub launch: Option<String>,
}

/// The filters as the page understood them (invalid values dropped).
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub segment: String,
    pub source: String,
    pub from: String,
    pub to: String,
    pub sort: String,
    pub desc: bool,
    pub unanswered: bool,
}

impl Filters {
    fn from_query(q: &OverviewQuery, period: Period) -> Self {
        let segment = q
            .segment
            .clone()
            .filter(|s| SEGMENTS.iter().any(|(k, _)| k == s))
            .unwrap_or_default();
        let source = q
            .source
            .clone()
            .filter(|s| SOURCES.contains(&s.as_str()))
            .unwrap_or_default();
        let sort = q
            .sort
            .clone()
            .filter(|s| SORTS.iter().any(|(k, _, _)| k == s))
            .unwrap_or_else(|| "volume90".into());
        let desc = match q.dir.as_deref() {
            Some("asc") => false,
            Some("desc") => true,
            _ => sort != "name",
        };
        Filters {
            segment,
            source,
            from: period.from.to_string(),
            to: period.to.to_string(),
            sort,
            desc,
            unanswered: q.launch.as_deref() == Some("none"),
        }
    }

    fn scope(&self) -> Scope {
        Scope {
            theme_id: None,
            source: Some(self.source.clone()).filter(|s| !s.is_empty()),
            segment: Some(self.segment.clone()).filter(|s| !s.is_empty()),
        }
    }

    /// The overview URL with these filters and the given sort.
    fn href(&self, sort: &str, desc: bool) -> String {
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        if !self.segment.is_empty() {
            pairs.push(("segment", &self.segment));
        }
        if !self.source.is_empty() {
            pairs.push(("source", &self.source));
        }
        if self.unanswered {
            pairs.push(("launch", "none"));
        }
        pairs.push(("from", &self.from));
        pairs.push(("to", &self.to));
        pairs.push(("sort", sort));
        pairs.push(("dir", if desc { "desc" } else { "asc" }));
        format!(
            "/themes?{}",
            serde_urlencoded::to_string(&pairs).unwrap_or_default()
        )
    }

    pub fn is_filtered(&self) -> bool {
        !self.segment.is_empty() || !self.source.is_empty() || self.unanswered
    }
}

/// Sortable columns: (key, label, numeric).
const SORTS: &[(&str, &str, bool)] = &[
    ("name", "Theme", false),
    ("volume30", "30 days", true),
    ("volume90", "90 days", true),
    ("trend", "Trend", true),
    ("accounts", "Accounts", true),
    ("arr", "ARR at stake", true),
    ("nps", "NPS", true),
];

pub struct SortHeader {
    pub label: &'static str,
    pub href: String,
    pub aria: &'static str,
    pub class: &'static str,
    pub num: bool,
}

/// One source's share of a theme's items.
pub struct SourceShare {
    pub source: &'static str,
    pub label: &'static str,
    pub items: i64,
    /// "42 %", or "<1 %" for a source with items but a share that rounds to nothing.
    pub percent: String,
}

pub struct OverviewRow {
    pub id: i64,
    pub name: String,
    pub parent: Option<String>,
    pub figures: ThemeFigures,
    pub trend: Trend,
    pub items_30: String,
    pub items_90: String,
    pub arr_short: String,
    pub arr_exact: String,
    /// Accounts whose ARR no exchange rate converts, left out of `arr_short`.
    pub arr_note: Option<String>,
    /// NPS of the accounts that mention the theme.
    pub nps: Option<i64>,
    pub nps_answers: i64,
    /// NPS of the NPS comments that mention it.
    pub mention_nps: Option<i64>,
    pub mention_answers: i64,
    pub sources: Vec<SourceShare>,
    /// Every source's share, for the cell's title.
    pub sources_title: String,
    pub spark: String,
    pub spark_title: String,
    pub trend_title: String,
}

fn shares(f: &ThemeFigures) -> Vec<SourceShare> {
    let total: i64 = f.sources.iter().map(|s| s.1).sum::<i64>().max(1);
    f.sources
        .iter()
        .map(|(s, n)| SourceShare {
            source: s,
            label: source_label(s),
            items: *n,
            percent: match (100 * n + total / 2) / total {
                0 => "<1 %".to_owned(),
                p => format!("{p} %"),
            },
        })
        .collect()
}

fn row(theme: &Theme, parent: Option<String>, f: ThemeFigures, period: Period) -> OverviewRow {
    let full_to = period.last_full_week() + time::Duration::days(6);
    OverviewRow {
        id: theme.id,
        name: theme.name.clone(),
        parent,
        trend: f.trend(),
        items_30: thousands(f.items_30),
        items_90: thousands(f.items_90),
        arr_short: crate::web::money::format_arr_short(f.arr_cents, &f.arr_currency),
        arr_exact: crate::web::money::format_arr_exact(f.arr_cents, &f.arr_currency),
        arr_note: crate::web::money::missing_rates_note(
            &f.arr_missing,
            &f.arr_currency,
            "their ARR is left out",
        ),
        nps: f.account_nps.rounded(),
        nps_answers: f.account_nps.responses(),
        mention_nps: f.nps.rounded(),
        mention_answers: f.nps.responses(),
        sources_title: shares(&f)
            .iter()
            .map(|s| format!("{}: {} items ({})", s.label, s.items, s.percent))
            .collect::<Vec<_>>()
            .join(", "),
        sources: shares(&f),
        spark: charts::sparkline_points(&f.spark),
        trend_title: format!(
            "4 complete weeks to {full_to}: {}; the 4 weeks before: {}",
            f.last4, f.prev4
        ),
        spark_title: format!(
            "Items per complete week, {} weeks to {full_to}: {}",
            figures::SPARK_WEEKS,
            f.spark
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        figures: f,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "themes/overview.html")]
pub struct OverviewPage {
    layout: Layout,
    rows: Vec<OverviewRow>,
    headers: Vec<SortHeader>,
    filters: Filters,
    segments: &'static [(&'static str, &'static str)],
    sources: Vec<(&'static str, &'static str)>,
    can_edit: bool,
    can_tag: bool,
    to_review: i64,
    total_themes: usize,
    /// Archived and merged themes: (id, name, status), so they can be found and restored.
    retired: Vec<(i64, String, &'static str)>,
    /// No sentence-encoder model: the tagger reads words only (said once in the log too).
    lexical_only: bool,
}

fn sort_rows(rows: &mut [OverviewRow], sort: &str, desc: bool) {
    rows.sort_by(|a, b| {
        let ord = match sort {
            "name" => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
            "volume30" => a.figures.items_30.cmp(&b.figures.items_30),
            "trend" => a.trend.percent.total_cmp(&b.trend.percent),
            "accounts" => a.figures.accounts.cmp(&b.figures.accounts),
            "arr" => a.figures.arr_cents.cmp(&b.figures.arr_cents),
            "nps" => a.nps.unwrap_or(i64::MIN).cmp(&b.nps.unwrap_or(i64::MIN)),
            _ => a.figures.items_90.cmp(&b.figures.items_90),
        };
        let ord = if desc { ord.reverse() } else { ord };
        ord.then_with(|| a.name.cmp(&b.name))
    });
}

async fn overview(
    State(state): State<AppState>,
    Extension(caches): Extension<crate::insights::Caches>,
    current: CurrentUser,
    Query(q): Query<OverviewQuery>,
) -> AppResult<OverviewPage> {
    current.user.require(Permission::Read)?;
    let period = Period::parse(q.from.as_deref(), q.to.as_deref());
    let filters = Filters::from_query(&q, period);
    let themes = db::list(&state.pool, None).await?;
    let figs = figures::all_themes(&state.pool, &caches.figures, &filters.scope(), period).await?;
    let reporting = crate::insights::db::reporting_currency(&state.pool).await?;
    let name_of = |id: i64| themes.iter().find(|t| t.id == id).map(|t| t.name.clone());
    let answered = if filters.unanswered {
        crate::launches::web::answered_theme_ids(&state.pool).await?
    } else {
        Default::default()
    };
    let mut rows: Vec<OverviewRow> = themes
        .iter()
        .filter(|t| t.is_active() && !answered.contains(&t.id))
        .map(|t| {
            let f = figs.get(&t.id).cloned().unwrap_or_else(|| ThemeFigures {
                spark: vec![0; figures::SPARK_WEEKS as usize],
                arr_currency: reporting.clone(),
                ..ThemeFigures::default()
            });
            row(t, t.parent_id.and_then(name_of), f, period)
        })
        .collect();
    sort_rows(&mut rows, &filters.sort, filters.desc);
    let headers = SORTS
        .iter()
        .map(|(key, label, num)| {
            let current_sort = filters.sort == *key;
            let next_desc = if current_sort { !filters.desc } else { *num };
            SortHeader {
                label,
                href: filters.href(key, next_desc),
                aria: match (current_sort, filters.desc) {
                    (true, true) => "descending",
                    (true, false) => "ascending",
                    _ => "none",
                },
                class: match (current_sort, filters.desc) {
                    (true, true) => "sort desc",
                    (true, false) => "sort asc",
                    _ => "sort",
                },
                num: *num,
            }
        })
        .collect();
    let to_review = figures::suggested(&state.pool, &caches.suggested, None).await?;
    let retired = themes
        .iter()
        .filter(|t| !t.is_active())
        .map(|t| {
            let status = if t.status == "merged" {
                "Merged"
            } else {
                "Archived"
            };
            (t.id, t.name.clone(), status)
        })
        .collect();
    Ok(OverviewPage {
        retired,
        layout: Layout::for_user(&current, "Themes", "themes").await?,
        total_themes: rows.len(),
        rows,
        headers,
        filters,
        segments: &SEGMENTS,
        sources: SOURCES.iter().map(|s| (*s, source_label(s))).collect(),
        can_edit: current.user.can(Permission::EditThemes),
        can_tag: current.user.can(Permission::TagFeedback),
        to_review,
        lexical_only: crate::embeddings::status() == crate::embeddings::Status::LexicalOnly,
    })
}

/// A feedback item quoted on a theme page.
pub struct Quote {
    pub feedback_id: i64,
    pub source: String,
    pub source_label: &'static str,
    pub title: Option<String>,
    pub body: String,
    pub account: Option<String>,
    pub received: When,
    pub confirmed: bool,
}

pub struct AccountLine {
    pub account_id: i64,
    pub name: String,
    pub segment: String,
    pub items: i64,
    pub arr: Option<crate::web::money::Arr>,
}

pub struct WeekLine {
    pub week: String,
    pub counts: Vec<i64>,
    pub total: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "themes/theme.html")]
pub struct ThemePage {
    layout: Layout,
    theme: Theme,
    parent: Option<Theme>,
    children: Vec<Theme>,
    aliases: Vec<Theme>,
    merged_into: Option<Theme>,
    open_merge: Option<i64>,
    row: OverviewRow,
    chart: charts::StackedBars,
    legend: Vec<(&'static str, &'static str)>,
    weeks: Vec<WeekLine>,
    quotes: Vec<Quote>,
    accounts: Vec<AccountLine>,
    review: Vec<super::tagging::review::ReviewItem>,
    to_review: i64,
    period: Period,
    can_edit: bool,
    can_tag: bool,
    launches: Vec<crate::launches::web::AnsweringLaunch>,
}

const CHART_WEEKS: i64 = 26;

/// Typical and varied: cluster the theme's items and take the most typical item of each group.
fn representative(tags: &[tags::TagRow], n: usize) -> Vec<usize> {
    if tags.len() <= n {
        return (0..tags.len()).collect();
    }
    let texts: Vec<&str> = tags.iter().map(|t| t.body.as_str()).collect();
    let clusters = crate::tagging::cluster(&texts, Some(n), 0);
    let mut picks: Vec<usize> = clusters
        .iter()
        .filter_map(|c| c.typical.first().copied())
        .collect();
    picks.truncate(n);
    picks
}

async fn theme_page(
    State(state): State<AppState>,
    Extension(caches): Extension<crate::insights::Caches>,
    current: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<OverviewQuery>,
) -> AppResult<ThemePage> {
    current.user.require(Permission::Read)?;
    let theme = db::get(&state.pool, id).await?.ok_or(AppError::NotFound)?;
    let period = Period::parse(q.from.as_deref(), q.to.as_deref());
    let all = db::list(&state.pool, None).await?;
    let find = |id: Option<i64>| id.and_then(|id| all.iter().find(|t| t.id == id).cloned());
    let scope = Scope {
        theme_id: Some(id),
        ..Scope::default()
    };
    let reporting = crate::insights::db::reporting_currency(&state.pool).await?;
    let f = figures::compute(&state.pool, &scope, period)
        .await?
        .remove(&id)
        .unwrap_or_else(|| ThemeFigures {
            spark: vec![0; figures::SPARK_WEEKS as usize],
            arr_currency: reporting,
            ..ThemeFigures::default()
        });
    let row = row(&theme, None, f, period);

    let last = period.last_week();
    let first = last - time::Duration::weeks(CHART_WEEKS - 1);
    let by_source =
        crate::insights::db::theme_weeks_by_source(&state.pool, id, first, last).await?;
    let mut stacks = Vec::new();
    let mut weeks = Vec::new();
    for i in 0..CHART_WEEKS {
        let week = first + time::Duration::weeks(i);
        let counts: Vec<i64> = SOURCES
            .iter()
            .map(|s| {
                by_source
                    .iter()
                    .filter(|r| r.week == week && r.source == *s)
                    .map(|r| r.items)
                    .sum()
            })
            .collect();
        stacks.push(charts::WeekStack {
            week,
            partial: week > period.last_full_week(),
            parts: SOURCES
                .iter()
                .copied()
                .zip(counts.iter().copied())
                .collect(),
        });
        weeks.push(WeekLine {
            week: week.to_string(),
            total: counts.iter().sum(),
            counts,
        });
    }
    let chart = charts::weekly_stacked(
        format!(
            "Items per week by source for {}, last {CHART_WEEKS} weeks",
            theme.name
        ),
        &stacks,
    );

    let tags = tags::theme_tags(&state.pool, id, 300).await?;
    let picks = representative(&tags, 4);
    let quotes = picks
        .into_iter()
        .filter_map(|i| tags.get(i))
        .map(|t| Quote {
            feedback_id: t.feedback_id,
            source_label: source_label(&t.source),
            source: t.source.clone(),
            title: t.title.clone(),
            body: t.body.clone(),
            account: t.account_name.clone(),
            received: When::from(t.received_at),
            confirmed: t.state == "confirmed",
        })
        .collect();
    let accounts = crate::insights::db::theme_accounts(
        &state.pool,
        id,
        figures::week_start(period.from),
        last,
        period.to,
        10,
    )
    .await?
    .into_iter()
    .map(|a| AccountLine {
        account_id: a.account_id,
        name: a.name,
        segment: crate::web::labels::segment_label(a.segment.as_deref())
            .unwrap_or("—")
            .to_owned(),
        items: a.items,
        arr: crate::web::money::Arr::new(
            a.arr_cents,
            &a.currency,
            a.arr_reporting_cents,
            &row.figures.arr_currency,
        ),
    })
    .collect();
    let review = super::tagging::review::items(tags::suggestions(&state.pool, Some(id), 10).await?);
    let open_merge = if theme.status == "merged" {
        db::open_merge_of(&state.pool, id).await?
    } else {
        None
    };
    Ok(ThemePage {
        layout: Layout::for_user(&current, theme.name.clone(), "themes").await?,
        parent: find(theme.parent_id),
        merged_into: find(theme.merged_into_id),
        children: all
            .iter()
            .filter(|t| t.parent_id == Some(id) && t.is_active())
            .cloned()
            .collect(),
        aliases: all
            .iter()
            .filter(|t| t.merged_into_id == Some(id))
            .cloned()
            .collect(),
        open_merge,
        row,
        chart,
        legend: SOURCES.iter().map(|s| (*s, source_label(s))).collect(),
        weeks,
        quotes,
        accounts,
        to_review: figures::suggested(&state.pool, &caches.suggested, Some(id)).await?,
        launches: crate::launches::web::launches_answering(&state.pool, id).await?,
        review,
        period,
        can_edit: current.user.can(Permission::EditThemes),
        can_tag: current.user.can(Permission::TagFeedback),
        theme,
    })
}
