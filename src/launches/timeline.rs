//! The launches timeline: the last 30 days and the next 90 on a day scale, drawn as inline SVG.

use time::Date;

use super::Launch;

pub struct TimelineMark {
    pub x: i64,
    pub y: i64,
    pub label_x: i64,
    pub anchor: &'static str,
    pub href: String,
    pub name: String,
    pub status: String,
    pub status_label: &'static str,
    pub date: String,
    pub past: bool,
}

pub struct TimelineTick {
    pub x: i64,
    pub label: String,
}

pub struct Timeline {
    pub width: i64,
    pub height: i64,
    pub today_x: i64,
    pub ticks: Vec<TimelineTick>,
    pub marks: Vec<TimelineMark>,
}

const TL_WIDTH: i64 = 960;
const TL_LEFT: i64 = 16;
const TL_RIGHT: i64 = 16;
const TL_ROW: i64 = 30;
const TL_TOP: i64 = 36;

/// Launches dated within the last 30 days and the next 90, one row each, on a day scale.
pub fn timeline(launches: &[Launch], today: Date) -> Timeline {
    let start = today - time::Duration::days(30);
    let end = today + time::Duration::days(90);
    let span = (end - start).whole_days();
    let x_of =
        |d: Date| TL_LEFT + (d - start).whole_days() * (TL_WIDTH - TL_LEFT - TL_RIGHT) / span;
    let mut dated: Vec<(&Launch, Date)> = launches
        .iter()
        .filter_map(|l| l.timeline_date().map(|d| (l, d)))
        .filter(|(_, d)| *d >= start && *d <= end)
        .collect();
    dated.sort_by_key(|(l, d)| (*d, l.name.clone()));
    let marks = dated
        .iter()
        .enumerate()
        .map(|(i, (l, d))| {
            let x = x_of(*d);
            let right_half = x > TL_WIDTH / 2;
            TimelineMark {
                x,
                y: TL_TOP + 14 + i as i64 * TL_ROW,
                label_x: if right_half { x - 10 } else { x + 10 },
                anchor: if right_half { "end" } else { "start" },
                href: format!("/launches/{}", l.id),
                name: l.name.clone(),
                status: l.status.clone(),
                status_label: l.status_label(),
                date: l.date_text(),
                past: *d < today,
            }
        })
        .collect::<Vec<_>>();
    let mut ticks = Vec::new();
    let mut month = Date::from_calendar_date(start.year(), start.month(), 1).unwrap_or(start);
    while month <= end {
        if month >= start {
            ticks.push(TimelineTick {
                x: x_of(month),
                label: format!("{} {}", &month.month().to_string()[..3], month.year()),
            });
        }
        month = month.replace_day(28).unwrap_or(month) + time::Duration::days(5);
        month = month.replace_day(1).unwrap_or(month);
    }
    Timeline {
        width: TL_WIDTH,
        height: TL_TOP + 14 + (marks.len().max(1) as i64) * TL_ROW,
        today_x: x_of(today),
        ticks,
        marks,
    }
}
