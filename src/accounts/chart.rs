//! An account's NPS by month: the rows of its table and the slots of its line chart.

use crate::insights::db::NpsMonth;
use crate::web::charts::{self, ScoreLine, ScoreSlot};

/// One month of the account's NPS table.
pub struct NpsRow {
    pub month: String,
    /// "+18", "0", "−12".
    pub signed: String,
    pub responses: i64,
    pub promoters: i64,
    pub passives: i64,
    pub detractors: i64,
}

/// The table rows (months with answers, oldest first) and the chart, which leaves a gap for
/// calendar months without answers.
pub fn nps_history(months: &[NpsMonth]) -> (Vec<NpsRow>, Option<ScoreLine>) {
    let answered: Vec<(&NpsMonth, i64)> = months
        .iter()
        .filter_map(|m| m.counts.rounded().map(|s| (m, s)))
        .collect();
    let rows: Vec<NpsRow> = answered
        .iter()
        .map(|(m, score)| NpsRow {
            month: charts::short_month(m.month),
            signed: charts::signed(*score),
            responses: m.counts.responses(),
            promoters: m.counts.promoters,
            passives: m.counts.passives,
            detractors: m.counts.detractors,
        })
        .collect();
    let (Some(first), Some(last)) = (answered.first(), answered.last()) else {
        return (rows, None);
    };
    let mut slots = Vec::new();
    let mut month = first.0.month;
    while month <= last.0.month {
        let found = answered.iter().find(|(m, _)| m.month == month);
        slots.push(ScoreSlot {
            label: charts::short_month(month),
            score: found.map(|(_, s)| *s),
            detail: found
                .map(|(m, _)| format!("from {} responses", m.counts.responses()))
                .unwrap_or_default(),
        });
        month = next_month(month);
    }
    let title = if rows.len() == 1 {
        format!("NPS {} in {}", rows[0].signed, rows[0].month)
    } else {
        format!(
            "NPS by month from {} ({}) to {} ({})",
            rows[0].month,
            rows[0].signed,
            rows[rows.len() - 1].month,
            rows[rows.len() - 1].signed
        )
    };
    (rows, charts::score_line(title, &slots))
}

fn next_month(d: time::Date) -> time::Date {
    let (y, m) = match d.month() {
        time::Month::December => (d.year() + 1, time::Month::January),
        m => (d.year(), m.next()),
    };
    time::Date::from_calendar_date(y, m, 1).unwrap_or(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insights::NpsCounts;
    use time::macros::date;

    #[test]
    fn months_without_answers_are_gaps_in_the_chart_not_rows() {
        let counts = |p, d| NpsCounts {
            promoters: p,
            passives: 0,
            detractors: d,
        };
        let months = [
            NpsMonth {
                month: date!(2026 - 01 - 01),
                counts: counts(3, 1),
            },
            NpsMonth {
                month: date!(2026 - 03 - 01),
                counts: counts(0, 2),
            },
        ];
        let (rows, chart) = nps_history(&months);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].signed, "+50");
        assert_eq!(rows[1].signed, "−100");
        let chart = chart.unwrap();
        assert_eq!(chart.points.len(), 2, "February has no point");
        assert_eq!(chart.points[1].label, "Mar 26");
    }
}
