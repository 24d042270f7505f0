//! Formatting for people: relative times with exact times on hover, counts.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

/// "3 days ago", "in 2 hours", "just now".
pub fn ago(at: OffsetDateTime) -> String {
    ago_from(at, OffsetDateTime::now_utc())
}

pub fn ago_from(at: OffsetDateTime, now: OffsetDateTime) -> String {
    let secs = (now - at).whole_seconds();
    let (future, secs) = if secs < 0 {
        (true, -secs)
    } else {
        (false, secs)
    };
    let phrase = match secs {
        0..=44 => return "just now".into(),
        45..=5399 => plural((secs + 30) / 60, "minute"),
        5400..=129_599 => plural((secs + 1800) / 3600, "hour"),
        129_600..=3_887_999 => plural((secs + 43_200) / 86_400, "day"),
        3_888_000..=31_535_999 => plural((secs + 1_296_000) / 2_592_000, "month"),
        _ => plural(secs / 31_536_000, "year"),
    };
    if future {
        format!("in {phrase}")
    } else {
        format!("{phrase} ago")
    }
}

fn plural(n: i64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// "2026-11-22 14:05 UTC", for the title of a `<time>`.
pub fn exact(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(format_description!(
            "[year]-[month]-[day] [hour]:[minute] UTC"
        ))
        .unwrap_or_default()
}

/// Machine-readable, for the `datetime` attribute: RFC 3339 in UTC with at most three
/// fractional digits (what HTML allows; PostgreSQL keeps microseconds).
pub fn iso(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    let millis = at.millisecond();
    at.replace_nanosecond(u32::from(millis) * 1_000_000)
        .unwrap_or(at)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// 1234567 → "1,234,567".
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// "1 answer", "2 answers", "1,204 answers".
pub fn count_noun(n: impl std::borrow::Borrow<i64>, singular: &str, plural: &str) -> String {
    let n = *n.borrow();
    format!(
        "{} {}",
        thousands(n),
        if n == 1 { singular } else { plural }
    )
}

/// The text on one line, cut at `max` characters with an ellipsis.
pub fn excerpt(body: &str, max: usize) -> String {
    let flat: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let cut: String = flat.chars().take(max).collect();
    format!("{}…", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn excerpts_flatten_and_cut() {
        assert_eq!(excerpt("a  b\n c", 10), "a b c");
        assert_eq!(excerpt("abcdefghij klm", 5), "abcde…");
    }

    #[test]
    fn relative_times_read_naturally() {
        let now = datetime!(2026-11-22 12:00 UTC);
        assert_eq!(ago_from(now, now), "just now");
        assert_eq!(
            ago_from(datetime!(2026-11-22 11:59 UTC), now),
            "1 minute ago"
        );
        assert_eq!(ago_from(datetime!(2026-11-19 12:00 UTC), now), "3 days ago");
        assert_eq!(ago_from(datetime!(2026-11-22 14:00 UTC), now), "in 2 hours");
        assert_eq!(ago_from(datetime!(2025-11-01 12:00 UTC), now), "1 year ago");
        assert_eq!(exact(now), "2026-11-22 12:00 UTC");
    }

    #[test]
    fn iso_has_at_most_three_fractional_digits() {
        assert_eq!(
            iso(datetime!(2026-12-01 18:06:09.438906 UTC)),
            "2026-12-01T18:06:09.438Z"
        );
        assert_eq!(iso(datetime!(2026-11-02 00:00 UTC)), "2026-11-02T00:00:00Z");
        assert_eq!(
            iso(datetime!(2026-11-02 01:00 +01:00)),
            "2026-11-02T00:00:00Z"
        );
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(-1234567), "-1,234,567");
        assert_eq!(count_noun(1, "answer", "answers"), "1 answer");
        assert_eq!(count_noun(1204, "answer", "answers"), "1,204 answers");
    }
}

/// A moment ready for a `<time>` element: relative text, exact title, machine value.
#[derive(Debug, Clone)]
pub struct When {
    pub ago: String,
    pub exact: String,
    pub iso: String,
}

impl From<OffsetDateTime> for When {
    fn from(at: OffsetDateTime) -> Self {
        When {
            ago: ago(at),
            exact: exact(at),
            iso: iso(at),
        }
    }
}

// Days in JSON as `YYYY-MM-DD` (time's own serde writes a day as a `[year, ordinal]` pair).
time::serde::format_description!(pub iso_date, Date, "[year]-[month]-[day]");
