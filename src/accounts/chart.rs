//! The small NPS-by-month line chart on an account's page, laid out for inline SVG.

use crate::insights::db::NpsMonth;

pub const WIDTH: i64 = 640;
pub const HEIGHT: i64 = 200;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 604.0;
const TOP: f64 = 20.0;
const BOTTOM: f64 = 170.0;
/// Where gridlines start and end.
pub const GRID_LEFT: i64 = 44;
pub const GRID_RIGHT: i64 = 624;

/// One month on the chart, with its numbers for the table under it.
pub struct NpsPoint {
    pub x: String,
    pub y: String,
    pub month: String,
    /// Show the month under the axis (every month when few, fewer when many).
    pub labelled: bool,
    pub score: i64,
    /// "+18", "0", "-12".
    pub signed: String,
    /// Where the score's label sits (above the dot).
    pub label_at: String,
    pub responses: i64,
    pub promoters: i64,
    pub passives: i64,
    pub detractors: i64,
}

/// A horizontal gridline at a score.
pub struct Tick {
    pub y: String,
    pub label: String,
    pub zero: bool,
}

pub struct NpsChart {
    pub points: Vec<NpsPoint>,
    pub polyline: String,
    pub ticks: Vec<Tick>,
    pub label_y: String,
    pub summary: String,
}

fn y_of(score: f64) -> f64 {
    let mid = (TOP + BOTTOM) / 2.0;
    mid - score / 100.0 * (BOTTOM - TOP) / 2.0
}

fn signed(n: i64) -> String {
    if n > 0 {
        format!("+{n}")
    } else {
        n.to_string()
    }
}

fn month_label(d: time::Date) -> String {
    let m = d.month();
    let short = &format!("{m}")[..3];
    format!("{short} {:02}", d.year() % 100)
}

/// Lays out the months (oldest first); `None` when there is nothing to draw.
pub fn nps_chart(months: &[NpsMonth]) -> Option<NpsChart> {
    let rows: Vec<(&NpsMonth, i64)> = months
        .iter()
        .filter_map(|m| m.counts.rounded().map(|s| (m, s)))
        .collect();
    if rows.is_empty() {
        return None;
    }
    let n = rows.len();
    // Months without answers leave a gap: x is the month's place in the calendar.
    let month_no = |d: time::Date| i64::from(d.year()) * 12 + i64::from(u8::from(d.month()));
    let first_month = month_no(rows[0].0.month);
    let span = month_no(rows[n - 1].0.month) - first_month;
    let step = if span > 0 {
        (RIGHT - LEFT) / span as f64
    } else {
        0.0
    };
    // Label every month when few, every other (from the newest) when the year is full.
    let every = if span > 7 { 2 } else { 1 } * (span / 24 + 1);
    let points: Vec<NpsPoint> = rows
        .iter()
        .map(|(m, score)| {
            let x = if span > 0 {
                LEFT + step * (month_no(m.month) - first_month) as f64
            } else {
                (LEFT + RIGHT) / 2.0
            };
            NpsPoint {
                x: format!("{x:.1}"),
                y: format!("{:.1}", y_of(*score as f64)),
                month: month_label(m.month),
                labelled: (span - (month_no(m.month) - first_month)) % every == 0,
                score: *score,
                signed: signed(*score),
                label_at: format!("{:.1}", y_of(*score as f64) - 10.0),
                responses: m.counts.responses(),
                promoters: m.counts.promoters,
                passives: m.counts.passives,
                detractors: m.counts.detractors,
            }
        })
        .collect();
    let polyline = points
        .iter()
        .map(|p| format!("{},{}", p.x, p.y))
        .collect::<Vec<_>>()
        .join(" ");
    let ticks = [-100, -50, 0, 50, 100]
        .into_iter()
        .map(|s| Tick {
            y: format!("{:.1}", y_of(s as f64)),
            label: signed(s),
            zero: s == 0,
        })
        .collect();
    let (first, last) = (&points[0], &points[n - 1]);
    let summary = if n == 1 {
        format!("NPS {} in {}", last.score, last.month)
    } else {
        format!(
            "NPS by month from {} ({}) to {} ({})",
            first.month, first.score, last.month, last.score
        )
    };
    Some(NpsChart {
        points,
        polyline,
        ticks,
        label_y: format!("{:.0}", BOTTOM + 24.0),
        summary,
    })
}
