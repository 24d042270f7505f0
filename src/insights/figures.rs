//! The numbers behind the overview and theme pages, computed from the weekly rollups.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use sqlx::PgPool;
use time::{Date, Duration, OffsetDateTime};

use super::NpsCounts;
use super::cache::VersionedCache;
use super::db::{self as figures, Scope};
use super::{Trend, trend};

/// Monday of the week holding `d` (rollup weeks start on Monday, UTC).
pub fn week_start(d: Date) -> Date {
    d - Duration::days(i64::from(d.weekday().number_days_from_monday()))
}

pub fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

/// The period a page looks at; volumes and trends are relative to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Period {
    pub from: Date,
    pub to: Date,
}

impl Period {
    /// The last 90 days up to today.
    pub fn default_for(to: Date) -> Self {
        Period {
            from: to - Duration::days(89),
            to,
        }
    }

    /// From `from`/`to` query values (YYYY-MM-DD); bad or missing values fall back to the
    /// last 90 days, and a reversed range is put right.
    pub fn parse(from: Option<&str>, to: Option<&str>) -> Self {
        let fmt = time::macros::format_description!("[year]-[month]-[day]");
        let parse = |s: Option<&str>| {
            s.map(str::trim)
                .filter(|s| !s.is_empty())
                .and_then(|s| Date::parse(s, &fmt).ok())
        };
        let to = parse(to).unwrap_or_else(today);
        let from = parse(from).unwrap_or(to - Duration::days(89));
        if from > to {
            Period { from: to, to: from }
        } else {
            Period { from, to }
        }
    }

    /// Monday of the week holding the period's end (which may still be under way).
    pub fn last_week(&self) -> Date {
        week_start(self.to)
    }

    /// Monday of the last week that is complete by the period's end: the end's own week when the
    /// end is a Sunday, else the week before. Trends and sparklines count only complete weeks,
    /// so a Tuesday does not read as a collapse.
    pub fn last_full_week(&self) -> Date {
        if self.to.weekday() == time::Weekday::Sunday {
            week_start(self.to)
        } else {
            week_start(self.to) - Duration::weeks(1)
        }
    }
}

/// A theme's figures for the overview and its page.
#[derive(Debug, Clone, Default)]
pub struct ThemeFigures {
    pub items_30: i64,
    pub items_90: i64,
    pub period_items: i64,
    pub confirmed: i64,
    /// Items in the 4 complete weeks up to the period's end, and in the 4 before.
    pub last4: i64,
    pub prev4: i64,
    /// Items per complete week, oldest first, the 12 weeks up to the last complete one.
    pub spark: Vec<i64>,
    /// NPS answers (tagged with the theme) that mention it.
    pub nps: NpsCounts,
    /// All NPS answers given in the period by the accounts that mention the theme.
    pub account_nps: NpsCounts,
    pub accounts: i64,
    /// ARR at stake in `arr_currency`, converted at the rates valid at the period's end.
    pub arr_cents: i64,
    /// The reporting currency.
    pub arr_currency: String,
    /// Accounts whose ARR no rate converts, left out of `arr_cents`: (currency, accounts).
    pub arr_missing: Vec<(String, i64)>,
    /// (source, items) in the period, in [`crate::web::labels::SOURCES`] order, zeros left out.
    pub sources: Vec<(&'static str, i64)>,
}

impl ThemeFigures {
    pub fn trend(&self) -> Trend {
        trend(self.last4, self.prev4)
    }
}

pub const SPARK_WEEKS: i64 = 12;

/// The figures of every theme, as the overview and `GET /api/v1/themes` show them, kept in
/// memory per filter. Without a cache, the per-account figures over a million items read one
/// source-free rollup row per theme, account and week of the period (44,000 rows for 22 themes
/// and 150 accounts over 90 days, about 25 ms); the cache makes a repeated view as cheap as at
/// 10,000 items.
pub type FiguresCache = VersionedCache<(Scope, Period), HashMap<i64, ThemeFigures>>;

/// A figures cache: entries live a minute at most, for up to 64 filter combinations.
pub fn figures_cache() -> FiguresCache {
    VersionedCache::new(StdDuration::from_secs(60), 64)
}

/// [`compute`] for every theme in `scope`, through `cache`.
pub async fn all_themes(
    pool: &PgPool,
    cache: &FiguresCache,
    scope: &Scope,
    period: Period,
) -> sqlx::Result<Arc<HashMap<i64, ThemeFigures>>> {
    cache
        .get_or_compute(pool, (scope.clone(), period), || {
            compute(pool, scope, period)
        })
        .await
}

/// Suggested tags still to review, in all active themes (`None`) or one, kept like the figures.
pub type SuggestedCache = VersionedCache<Option<i64>, i64>;

pub fn suggested_cache() -> SuggestedCache {
    VersionedCache::new(StdDuration::from_secs(60), 256)
}

/// [`figures::suggested_count`] through `cache`.
pub async fn suggested(
    pool: &PgPool,
    cache: &SuggestedCache,
    theme_id: Option<i64>,
) -> sqlx::Result<i64> {
    let n = cache
        .get_or_compute(pool, theme_id, || figures::suggested_count(pool, theme_id))
        .await?;
    Ok(*n)
}

/// Figures for every theme in `scope` (or the one theme it names), keyed by theme id.
pub async fn compute(
    pool: &PgPool,
    scope: &Scope,
    period: Period,
) -> sqlx::Result<HashMap<i64, ThemeFigures>> {
    let last = period.last_week();
    let full = period.last_full_week();
    let w30 = week_start(period.to - Duration::days(29));
    let w90 = week_start(period.to - Duration::days(89));
    let spark_from = full - Duration::weeks(SPARK_WEEKS - 1);
    let p_from = week_start(period.from);
    let lo = [w90, spark_from, p_from, full - Duration::weeks(7)]
        .into_iter()
        .min()
        .unwrap_or(p_from);
    // Three independent reads of the rollups, on separate connections at once.
    let (weeks, by_source, accounts, currency) = tokio::try_join!(
        figures::weekly(pool, scope, lo, last),
        figures::sources(pool, scope, p_from, last),
        figures::account_totals(pool, scope, p_from, last, period.to),
        figures::reporting_currency(pool),
    )?;
    let mut out: HashMap<i64, ThemeFigures> = HashMap::new();
    for w in weeks {
        let f = out.entry(w.theme_id).or_default();
        if f.spark.is_empty() {
            f.spark = vec![0; SPARK_WEEKS as usize];
        }
        if w.week >= w30 {
            f.items_30 += w.items;
        }
        if w.week >= w90 {
            f.items_90 += w.items;
        }
        if w.week >= p_from {
            f.period_items += w.items;
            f.confirmed += w.confirmed;
            f.nps.promoters += w.promoters;
            f.nps.passives += w.passives;
            f.nps.detractors += w.detractors;
        }
        // Age in complete weeks; the week under way is -1 and counts in no trend.
        let age = (full - w.week).whole_weeks();
        if (0..4).contains(&age) {
            f.last4 += w.items;
        } else if (4..8).contains(&age) {
            f.prev4 += w.items;
        }
        if (0..SPARK_WEEKS).contains(&age) {
            let i = (SPARK_WEEKS - 1 - age) as usize;
            if let Some(slot) = f.spark.get_mut(i) {
                *slot += w.items;
            }
        }
    }
    let mut mix: HashMap<i64, HashMap<String, i64>> = HashMap::new();
    for s in by_source {
        *mix.entry(s.theme_id)
            .or_default()
            .entry(s.source)
            .or_default() += s.items;
    }
    for (theme_id, by_source) in mix {
        let f = out.entry(theme_id).or_default();
        f.sources = crate::web::labels::SOURCES
            .iter()
            .filter_map(|s| by_source.get(*s).filter(|n| **n > 0).map(|n| (*s, *n)))
            .collect();
    }
    for a in accounts {
        let f = out.entry(a.theme_id).or_default();
        f.accounts = a.accounts;
        f.arr_cents = a.arr_cents;
        f.arr_missing = crate::web::money::count_currencies(&a.no_rate);
        f.account_nps = NpsCounts {
            promoters: a.promoters,
            passives: a.passives,
            detractors: a.detractors,
        };
    }
    for f in out.values_mut() {
        f.arr_currency.clone_from(&currency);
        if f.spark.is_empty() {
            f.spark = vec![0; SPARK_WEEKS as usize];
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn weeks_start_on_monday() {
        assert_eq!(week_start(date!(2026 - 11 - 22)), date!(2026 - 11 - 16));
        assert_eq!(week_start(date!(2026 - 11 - 16)), date!(2026 - 11 - 16));
    }

    #[test]
    fn trends_count_complete_weeks_only() {
        let tuesday = Period::default_for(date!(2026 - 12 - 01));
        assert_eq!(tuesday.last_week(), date!(2026 - 11 - 30));
        assert_eq!(tuesday.last_full_week(), date!(2026 - 11 - 23));
        let sunday = Period::default_for(date!(2026 - 11 - 29));
        assert_eq!(sunday.last_full_week(), date!(2026 - 11 - 23));
    }

    #[test]
    fn periods_parse_and_fall_back() {
        let p = Period::parse(Some("2026-01-31"), Some("2026-01-01"));
        assert_eq!(p.from, date!(2026 - 01 - 01), "reversed range is put right");
        assert_eq!(p.to, date!(2026 - 01 - 31));
        let d = Period::parse(Some("nonsense"), Some("2026-03-31"));
        assert_eq!(d.from, date!(2026 - 01 - 01));
    }
}
