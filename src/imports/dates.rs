//! Dates written with slashes (`11/25/2026`, `25/11/2026 14:30`, `3.4.2026 9:05 PM`), whose
//! day/month order is decided once per file: by a date only one order can read, or, when
//! every date reads both ways, by the person importing (month first until they choose).

use serde::{Deserialize, Serialize};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

/// Which number comes first in a slashed date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateOrder {
    /// `11/25/2026` (United States).
    MonthFirst,
    /// `25/11/2026` (most of the world).
    DayFirst,
}

impl DateOrder {
    pub fn as_str(self) -> &'static str {
        match self {
            DateOrder::MonthFirst => "month_first",
            DateOrder::DayFirst => "day_first",
        }
    }

    pub fn other(self) -> DateOrder {
        match self {
            DateOrder::MonthFirst => DateOrder::DayFirst,
            DateOrder::DayFirst => DateOrder::MonthFirst,
        }
    }

    /// How the order reads to a person.
    pub fn label(self) -> &'static str {
        match self {
            DateOrder::MonthFirst => "month/day/year",
            DateOrder::DayFirst => "day/month/year",
        }
    }
}

impl std::str::FromStr for DateOrder {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "month_first" => Ok(DateOrder::MonthFirst),
            "day_first" => Ok(DateOrder::DayFirst),
            _ => Err(()),
        }
    }
}

/// A date like `11/25/2026`, its two leading numbers not yet given a meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlashDate {
    first: u8,
    second: u8,
    year: i32,
    time: Time,
}

fn number(s: &str, min_len: usize, max_len: usize) -> Option<u32> {
    (s.len() >= min_len && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn parse_time(s: &str) -> Option<Time> {
    let s = s.trim();
    let lower = s.to_ascii_lowercase();
    let (clock, pm) = if let Some(c) = lower.strip_suffix("pm") {
        (c.trim_end().to_owned(), Some(true))
    } else if let Some(c) = lower.strip_suffix("am") {
        (c.trim_end().to_owned(), Some(false))
    } else {
        (lower, None)
    };
    let mut parts = clock.split(':');
    let mut hour = number(parts.next()?, 1, 2)?;
    let minute = number(parts.next()?, 2, 2)?;
    let second = match parts.next() {
        Some(sec) => number(sec.split('.').next()?, 2, 2)?,
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    if let Some(pm) = pm {
        if !(1..=12).contains(&hour) {
            return None;
        }
        hour = match (hour, pm) {
            (12, false) => 0,
            (12, true) => 12,
            (h, true) => h + 12,
            (h, false) => h,
        };
    }
    Time::from_hms(hour as u8, minute as u8, second as u8).ok()
}

impl SlashDate {
    /// `D/D/YYYY` (also with `.` or `-`), optionally followed by a time (`14:30`,
    /// `14:30:05`, `2:30 PM`), read as UTC. `None` for anything else.
    pub fn parse(s: &str) -> Option<SlashDate> {
        let s = s.trim();
        let (date, time) = match s.split_once([' ', 'T']) {
            Some((d, t)) => (d, parse_time(t)?),
            None => (s, Time::MIDNIGHT),
        };
        let sep = date.chars().find(|c| matches!(c, '/' | '.' | '-'))?;
        let mut parts = date.split(sep);
        let first = number(parts.next()?, 1, 2)?;
        let second = number(parts.next()?, 1, 2)?;
        let year = number(parts.next()?, 4, 4)?;
        if parts.next().is_some() {
            return None;
        }
        Some(SlashDate {
            first: first as u8,
            second: second as u8,
            year: year as i32,
            time,
        })
    }

    /// The moment this date means when read in `order`, if it is a real date that way.
    pub fn read(&self, order: DateOrder) -> Option<OffsetDateTime> {
        let (month, day) = match order {
            DateOrder::MonthFirst => (self.first, self.second),
            DateOrder::DayFirst => (self.second, self.first),
        };
        let date = Date::from_calendar_date(self.year, Month::try_from(month).ok()?, day).ok()?;
        Some(PrimitiveDateTime::new(date, self.time).assume_utc())
    }

    /// Whether the date means something else when read the other way.
    pub fn is_ambiguous(&self) -> bool {
        self.first != self.second
            && self.read(DateOrder::MonthFirst).is_some()
            && self.read(DateOrder::DayFirst).is_some()
    }
}

/// What the slashed dates of one file say about their order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OrderEvidence {
    /// Dates only month-first can read (e.g. `11/25/2026`).
    pub month_first: usize,
    /// Dates only day-first can read (e.g. `25/11/2026`).
    pub day_first: usize,
    /// Dates both orders read, as different days.
    pub ambiguous: usize,
}

impl OrderEvidence {
    pub fn add(&mut self, d: &SlashDate) {
        match (
            d.read(DateOrder::MonthFirst).is_some(),
            d.read(DateOrder::DayFirst).is_some(),
        ) {
            (true, false) => self.month_first += 1,
            (false, true) => self.day_first += 1,
            (true, true) if d.is_ambiguous() => self.ambiguous += 1,
            _ => {}
        }
    }

    /// The order to read the file in (most dates win; month first when nothing decides), and
    /// whether the person importing should choose because nothing decided.
    pub fn decide(&self) -> (DateOrder, bool) {
        if self.day_first > self.month_first {
            (DateOrder::DayFirst, false)
        } else if self.month_first > 0 {
            (DateOrder::MonthFirst, false)
        } else {
            (DateOrder::MonthFirst, self.ambiguous > 0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn slashed_dates_read_both_ways() {
        let us = SlashDate::parse("11/25/2026").expect("parses");
        assert_eq!(
            us.read(DateOrder::MonthFirst),
            Some(datetime!(2026-11-25 0:00 UTC))
        );
        assert_eq!(us.read(DateOrder::DayFirst), None);
        let eu = SlashDate::parse("25/11/2026 14:30").expect("parses");
        assert_eq!(
            eu.read(DateOrder::DayFirst),
            Some(datetime!(2026-11-25 14:30 UTC))
        );
        let pm = SlashDate::parse("3.4.2026 9:05 PM").expect("parses");
        assert!(pm.is_ambiguous());
        assert_eq!(
            pm.read(DateOrder::DayFirst),
            Some(datetime!(2026-04-03 21:05 UTC))
        );
        assert_eq!(SlashDate::parse("2026-11-25"), None);
        assert_eq!(SlashDate::parse("11/25/26"), None);
        assert_eq!(
            SlashDate::parse("13/13/2026").and_then(|d| d.read(DateOrder::DayFirst)),
            None
        );
        let mut e = OrderEvidence::default();
        e.add(&pm);
        assert_eq!(e.decide(), (DateOrder::MonthFirst, true));
        e.add(&eu);
        assert_eq!(e.decide(), (DateOrder::DayFirst, false));
    }
}
