//! Net Promoter Score arithmetic: % promoters (9–10) minus % detractors (0–6) over those who answered.

pub mod db;
pub mod web;

pub use crate::insights::NpsCounts;

use time::Date;

/// What the NPS page shows, summed from per-day counts.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Breakdown {
    /// Answers in the period.
    pub total: NpsCounts,
    /// Per calendar month (`YYYY-MM`) from the trend's start, oldest first.
    pub months: Vec<(String, NpsCounts)>,
    /// Per segment in the period, by name, `None` last.
    pub segments: Vec<(Option<String>, NpsCounts)>,
    /// Per plan in the period, by name, `None` last.
    pub plans: Vec<(Option<String>, NpsCounts)>,
}

impl Breakdown {
    /// `period` is inclusive of both days; months count every day from `trend_from` on up to
    /// the period's end.
    pub fn from_days(days: &[db::DayRow], period: (Date, Date), trend_from: Date) -> Breakdown {
        use std::collections::BTreeMap;
        let (from, to) = period;
        let mut total = NpsCounts::default();
        let mut months: BTreeMap<(i32, u8), NpsCounts> = BTreeMap::new();
        // (is none, name): names in order, then the missing one.
        let mut segments: BTreeMap<(bool, &str), NpsCounts> = BTreeMap::new();
        let mut plans: BTreeMap<(bool, &str), NpsCounts> = BTreeMap::new();
        for d in days {
            let counts = d.counts();
            if d.day >= trend_from && d.day <= to {
                *months
                    .entry((d.day.year(), d.day.month() as u8))
                    .or_default() += counts;
            }
            if d.day >= from && d.day <= to {
                total += counts;
                let (segment, plan) = (d.segment.as_deref(), d.plan.as_deref());
                *segments
                    .entry((segment.is_none(), segment.unwrap_or("")))
                    .or_default() += counts;
                *plans
                    .entry((plan.is_none(), plan.unwrap_or("")))
                    .or_default() += counts;
            }
        }
        let named = |m: BTreeMap<(bool, &str), NpsCounts>| {
            m.into_iter()
                .map(|((none, name), c)| ((!none).then(|| name.to_string()), c))
                .collect()
        };
        Breakdown {
            total,
            months: months
                .into_iter()
                .map(|((y, m), c)| (format!("{y:04}-{m:02}"), c))
                .collect(),
            segments: named(segments),
            plans: named(plans),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nps_edge_cases() {
        assert_eq!(NpsCounts::default().score(), None, "no answers is no score");
        let passives = NpsCounts {
            promoters: 0,
            passives: 7,
            detractors: 0,
        };
        assert_eq!(passives.score(), Some(0.0), "all passives is exactly zero");
        let all_promoters = NpsCounts {
            promoters: 3,
            passives: 0,
            detractors: 0,
        };
        assert_eq!(all_promoters.score(), Some(100.0));
        let all_detractors = NpsCounts {
            promoters: 0,
            passives: 0,
            detractors: 2,
        };
        assert_eq!(all_detractors.score(), Some(-100.0));
        let mut mixed = NpsCounts::default();
        for s in [10, 9, 8, 7, 6, 0] {
            mixed.add_score(s);
        }
        assert_eq!(
            mixed,
            NpsCounts {
                promoters: 2,
                passives: 2,
                detractors: 2
            }
        );
        assert_eq!(mixed.score(), Some(0.0));
        let third = NpsCounts {
            promoters: 2,
            passives: 0,
            detractors: 1,
        };
        assert_eq!(third.rounded(), Some(33));
    }

    #[test]
    fn breakdown_sums_the_period_its_months_and_groups() {
        use time::macros::date;
        let c = |promoters, passives, detractors| NpsCounts {
            promoters,
            passives,
            detractors,
        };
        let day = |day, segment: Option<&str>, plan: Option<&str>, counts: NpsCounts| db::DayRow {
            day,
            segment: segment.map(str::to_owned),
            plan: plan.map(str::to_owned),
            promoters: counts.promoters,
            passives: counts.passives,
            detractors: counts.detractors,
        };
        let rows = vec![
            // Before the period but inside the trend: a month only.
            day(date!(2026 - 01 - 31), Some("smb"), Some("pro"), c(1, 0, 0)),
            day(date!(2026 - 02 - 01), None, None, c(0, 1, 2)),
            day(date!(2026 - 02 - 28), Some("smb"), None, c(3, 0, 0)),
            day(
                date!(2026 - 03 - 01),
                Some("enterprise"),
                Some("pro"),
                c(0, 0, 1),
            ),
            // After the period: nowhere.
            day(date!(2026 - 03 - 02), Some("smb"), Some("pro"), c(9, 9, 9)),
            // Before the trend: nowhere.
            day(date!(2025 - 12 - 31), Some("smb"), Some("pro"), c(9, 9, 9)),
        ];
        let b = Breakdown::from_days(
            &rows,
            (date!(2026 - 02 - 01), date!(2026 - 03 - 01)),
            date!(2026 - 01 - 01),
        );
        assert_eq!(b.total, c(3, 1, 3));
        assert_eq!(
            b.months,
            vec![
                ("2026-01".to_string(), c(1, 0, 0)),
                ("2026-02".to_string(), c(3, 1, 2)),
                ("2026-03".to_string(), c(0, 0, 1)),
            ]
        );
        assert_eq!(
            b.segments,
            vec![
                (Some("enterprise".to_string()), c(0, 0, 1)),
                (Some("smb".to_string()), c(3, 0, 0)),
                (None, c(0, 1, 2)),
            ]
        );
        assert_eq!(
            b.plans,
            vec![(Some("pro".to_string()), c(0, 0, 1)), (None, c(3, 1, 2))]
        );
        assert_eq!(
            Breakdown::from_days(
                &[],
                (date!(2026 - 02 - 01), date!(2026 - 03 - 01)),
                date!(2026 - 01 - 01)
            ),
            Breakdown::default()
        );
    }
}
