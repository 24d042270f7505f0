//! Inline SVG charts as typed layouts: the numbers are placed here, and askama templates
//! (`templates/charts.html`) draw them, escaping every label, so no chart needs `|safe`.
//! Every chart a page shows also has its numbers in a table beside it (the page's job).

use std::fmt::Write;

use time::Date;

/// A horizontal gridline with its axis label.
pub struct Tick {
    pub y: String,
    pub label: String,
    /// The zero line of a score axis, drawn stronger.
    pub zero: bool,
}

/// A point of a score line.
pub struct ScorePoint {
    pub x: String,
    pub y: String,
    /// The slot's name under the axis ("Nov 26"), shown when `labelled`.
    pub label: String,
    pub labelled: bool,
    /// "+18", "0", "−12".
    pub signed: String,
    /// Where the value sits (above the dot).
    pub value_y: String,
    /// The tooltip: "Nov 26: NPS +18 from 12 answers".
    pub detail: String,
}

/// A line of scores from −100 to +100 across slots (months), with gaps where a slot has none.
pub struct ScoreLine {
    pub title: String,
    pub width: i64,
    pub height: i64,
    pub grid_left: i64,
    pub grid_right: i64,
    pub tick_x: i64,
    pub ticks: Vec<Tick>,
    pub points: Vec<ScorePoint>,
    pub polyline: String,
    pub label_y: i64,
}

/// One slot of a score line: its label, its score if any, and the tooltip's extra words.
pub struct ScoreSlot {
    pub label: String,
    pub score: Option<i64>,
    pub detail: String,
}

const SCORE_W: f64 = 640.0;
const SCORE_TOP: f64 = 20.0;
const SCORE_BOTTOM: f64 = 170.0;
const SCORE_LEFT: f64 = 64.0;
const SCORE_RIGHT: f64 = 604.0;

/// "+18", "0", "−12" (a true minus sign).
pub fn signed(n: i64) -> String {
    match n {
        n if n > 0 => format!("+{n}"),
        n if n < 0 => format!("−{}", -n),
        _ => "0".into(),
    }
}

/// Lays out `slots` (oldest first) on the −100…+100 score axis; `None` when no slot has a score.
pub fn score_line(title: impl Into<String>, slots: &[ScoreSlot]) -> Option<ScoreLine> {
    line(
        title.into(),
        slots,
        (-100, 100),
        &[-100, -50, 0, 50, 100],
        signed,
    )
}

/// Lays out `slots` (oldest first) on a 0…100 % axis (a share); `None` when no slot has one.
pub fn percent_line(title: impl Into<String>, slots: &[ScoreSlot]) -> Option<ScoreLine> {
    line(title.into(), slots, (0, 100), &[0, 25, 50, 75, 100], |v| {
        format!("{v} %")
    })
}

fn line(
    title: String,
    slots: &[ScoreSlot],
    (lo, hi): (i64, i64),
    tick_values: &[i64],
    text: fn(i64) -> String,
) -> Option<ScoreLine> {
    if slots.iter().all(|s| s.score.is_none()) {
        return None;
    }
    let y_of = |v: i64| {
        let share = (v.clamp(lo, hi) - lo) as f64 / (hi - lo).max(1) as f64;
        SCORE_BOTTOM - share * (SCORE_BOTTOM - SCORE_TOP)
    };
    let span = slots.len().saturating_sub(1);
    let x_of = |i: usize| {
        if span == 0 {
            (SCORE_LEFT + SCORE_RIGHT) / 2.0
        } else {
            SCORE_LEFT + (SCORE_RIGHT - SCORE_LEFT) * i as f64 / span as f64
        }
    };
    // Label every slot when few, fewer when many, always including the newest.
    let every = if span > 7 { 2 } else { 1 } * (span / 24 + 1);
    let mut points = Vec::new();
    for (i, slot) in slots.iter().enumerate() {
        let Some(score) = slot.score else { continue };
        points.push(ScorePoint {
            x: format!("{:.1}", x_of(i)),
            y: format!("{:.1}", y_of(score)),
            label: slot.label.clone(),
            labelled: (span - i).is_multiple_of(every),
            signed: text(score),
            value_y: format!("{:.1}", y_of(score) - 10.0),
            detail: format!("{}: {} {}", slot.label, text(score), slot.detail)
                .trim_end()
                .to_owned(),
        });
    }
    let polyline = points
        .iter()
        .map(|p| format!("{},{}", p.x, p.y))
        .collect::<Vec<_>>()
        .join(" ");
    let ticks = tick_values
        .iter()
        .map(|&s| Tick {
            y: format!("{:.1}", y_of(s)),
            label: text(s),
            zero: s == 0 && lo < 0,
        })
        .collect();
    Some(ScoreLine {
        title,
        width: SCORE_W as i64,
        height: 200,
        grid_left: 44,
        grid_right: 624,
        tick_x: 40,
        ticks,
        points,
        polyline,
        label_y: (SCORE_BOTTOM + 24.0) as i64,
    })
}

/// The `points` of a 100×24 sparkline polyline.
pub fn sparkline_points(values: &[i64]) -> String {
    let max = values.iter().copied().max().unwrap_or(0).max(1) as f64;
    let n = values.len().max(2) as f64 - 1.0;
    let mut out = String::new();
    for (i, v) in values.iter().enumerate() {
        let x = 100.0 * i as f64 / n;
        let y = 22.0 - 20.0 * (*v).max(0) as f64 / max;
        let _ = write!(out, "{}{x:.1},{y:.1}", if i == 0 { "" } else { " " });
    }
    out
}

/// One week of a stacked chart: (source, items) in legend order.
pub struct WeekStack {
    pub week: Date,
    pub parts: Vec<(&'static str, i64)>,
    /// The week is still under way: drawn paler and said so.
    pub partial: bool,
}

/// One rectangle of a stacked bar.
pub struct Rect {
    /// The series key, for its colour class (`src-sales`, …).
    pub series: &'static str,
    pub partial: bool,
    pub x: String,
    pub y: String,
    pub width: String,
    pub height: String,
    pub detail: String,
}

/// A label under the x axis.
pub struct AxisLabel {
    pub x: String,
    pub text: String,
}

/// Items per week by source as stacked bars, 640×240.
pub struct StackedBars {
    pub title: String,
    pub width: i64,
    pub height: i64,
    pub left: i64,
    pub right: i64,
    pub ticks: Vec<Tick>,
    pub rects: Vec<Rect>,
    pub labels: Vec<AxisLabel>,
    pub label_y: i64,
    pub axis_title_y: String,
    /// The newest bar is a week still under way.
    pub ends_partial: bool,
}

/// Lays out `weeks` (oldest first) as stacked bars, labelling every fourth week.
pub fn weekly_stacked(title: impl Into<String>, weeks: &[WeekStack]) -> StackedBars {
    let (w, h, left, bottom, top) = (640.0, 240.0, 48.0, 28.0, 12.0);
    let plot_h = h - bottom - top;
    let max = weeks
        .iter()
        .map(|s| s.parts.iter().map(|p| p.1).sum::<i64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let nice = nice_max(max);
    let ticks = (0..=4)
        .map(|i| {
            let v = nice * i / 4;
            Tick {
                y: format!("{:.1}", top + plot_h - plot_h * v as f64 / nice as f64),
                label: v.to_string(),
                zero: v == 0,
            }
        })
        .collect();
    let n = weeks.len().max(1) as f64;
    let slot = (w - left - 8.0) / n;
    let bar_w = (slot * 0.7).max(1.0);
    let mut rects = Vec::new();
    let mut labels = Vec::new();
    for (i, week) in weeks.iter().enumerate() {
        let x = left + slot * i as f64 + (slot - bar_w) / 2.0;
        let mut base = top + plot_h;
        for (series, items) in &week.parts {
            if *items <= 0 {
                continue;
            }
            let bh = plot_h * *items as f64 / nice as f64;
            base -= bh;
            rects.push(Rect {
                series,
                partial: week.partial,
                x: format!("{x:.1}"),
                y: format!("{base:.1}"),
                width: format!("{bar_w:.1}"),
                height: format!("{bh:.1}"),
                detail: format!(
                    "Week of {}{}: {items} {}",
                    week.week,
                    if week.partial { " (so far)" } else { "" },
                    super::labels::source_label(series)
                ),
            });
        }
        // Every fourth week, counted back from the newest so the latest week is named.
        if (weeks.len() - 1 - i).is_multiple_of(4) {
            labels.push(AxisLabel {
                x: format!("{:.1}", x + bar_w / 2.0),
                text: short_date(week.week),
            });
        }
    }
    StackedBars {
        title: title.into(),
        width: w as i64,
        height: h as i64,
        left: left as i64,
        right: (w - 8.0) as i64,
        ticks,
        rects,
        labels,
        label_y: (h - 8.0) as i64,
        axis_title_y: format!("{:.1}", top + plot_h / 2.0),
        ends_partial: weeks.last().is_some_and(|w| w.partial),
    }
}

/// "Nov 3".
pub fn short_date(d: Date) -> String {
    format!("{} {}", &d.month().to_string()[..3], d.day())
}

/// "Nov 26".
pub fn short_month(d: Date) -> String {
    format!("{} {:02}", &d.month().to_string()[..3], d.year() % 100)
}

/// A round axis maximum at or above `max`.
fn nice_max(max: i64) -> i64 {
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if m * step * 4 >= max {
                return m * step * 4;
            }
        }
        step *= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_scales_to_the_box() {
        assert_eq!(
            sparkline_points(&[0, 5, 10]),
            "0.0,22.0 50.0,12.0 100.0,2.0"
        );
        assert_eq!(sparkline_points(&[0, 0]), "0.0,22.0 100.0,22.0");
    }

    #[test]
    fn stacked_bars_round_the_axis_and_name_the_latest_week() {
        assert_eq!(nice_max(7), 8);
        assert_eq!(nice_max(33), 40);
        let d = time::macros::date!(2026 - 11 - 02);
        let weeks: Vec<WeekStack> = (0..6)
            .map(|i| WeekStack {
                week: d + time::Duration::weeks(i),
                parts: vec![("sales", 3), ("nps", 0), ("support", 4)],
                partial: i == 5,
            })
            .collect();
        let bars = weekly_stacked("Items", &weeks);
        assert_eq!(bars.rects.len(), 12, "zero parts draw nothing");
        assert_eq!(bars.ticks.last().map(|t| t.label.as_str()), Some("8"));
        let names: Vec<&str> = bars.labels.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(names, ["Nov 9", "Dec 7"]);
        assert!(bars.rects.last().unwrap().detail.contains("(so far)"));
        assert!(!bars.rects[0].partial);
    }

    #[test]
    fn score_line_leaves_gaps_and_signs_scores() {
        let slot = |label: &str, score| ScoreSlot {
            label: label.into(),
            score,
            detail: "from 3 answers".into(),
        };
        let line = score_line(
            "NPS",
            &[
                slot("Jan", Some(100)),
                slot("Feb", None),
                slot("Mar", Some(-20)),
            ],
        )
        .unwrap();
        assert_eq!(line.points.len(), 2);
        assert_eq!(line.points[1].signed, "−20");
        assert_eq!(line.points[0].detail, "Jan: +100 from 3 answers");
        assert!(score_line("NPS", &[slot("Jan", None)]).is_none());
        let share = percent_line("Share", &[slot("W1", Some(0)), slot("W2", Some(100))]).unwrap();
        assert_eq!(share.points[1].signed, "100 %");
        assert!(
            share.points[1].y.parse::<f64>().unwrap() < share.points[0].y.parse::<f64>().unwrap(),
            "higher share, higher on the chart"
        );
    }
}
