//! Feedback items: sources, validation rules, and the CSV export format.
//!
//! [`FeedbackInput`] is what a person typed (form, JSON body, CSV row);
//! [`FeedbackInput::validate`] turns it into a [`NewFeedback`] or a list of
//! [`FieldErrors`] whose messages can be shown
//! as-is. The CSV importer (`crate::imports`) uses the same rules through a borrowed fast
//! path so a million-row file does not allocate an input struct per row.

pub mod api;
pub mod bulk;
pub mod db;
pub mod export;
pub mod form;
pub mod ingest;
pub mod query;
pub mod web;
pub mod webhook;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, Duration, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use crate::validation::{FieldErrors, clean};

/// Longest accepted body, in characters (not bytes).
pub const MAX_BODY_CHARS: usize = 20_000;
/// Longest accepted title, in characters.
pub const MAX_TITLE_CHARS: usize = 300;
/// Longest accepted external id, in characters.
pub const MAX_EXTERNAL_ID_CHARS: usize = 200;
/// Longest accepted account external id, in characters.
pub const MAX_ACCOUNT_ID_CHARS: usize = 200;
/// Longest accepted email address, in characters.
pub const MAX_EMAIL_CHARS: usize = 254;

/// Where a piece of feedback came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Sales,
    Success,
    Support,
    Nps,
    Research,
    Other,
}

impl Source {
    /// Every source, in display order.
    pub const ALL: [Source; 6] = [
        Source::Sales,
        Source::Success,
        Source::Support,
        Source::Nps,
        Source::Research,
        Source::Other,
    ];

    /// Stable lowercase key stored in the database and used in CSV/JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Sales => "sales",
            Source::Success => "success",
            Source::Support => "support",
            Source::Nps => "nps",
            Source::Research => "research",
            Source::Other => "other",
        }
    }

    /// Human label for the UI.
    pub fn label(self) -> &'static str {
        crate::web::labels::source_label(self.as_str())
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error returned when a string is not one of the six sources.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "\"{0}\" is not a feedback source; use one of sales, success, support, nps, research or other"
)]
pub struct UnknownSource(pub String);

impl FromStr for Source {
    type Err = UnknownSource;

    /// Case-insensitive, surrounding spaces ignored. Accepts the key
    /// (`"success"`) or the label (`"Customer success"`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        Source::ALL
            .into_iter()
            .find(|src| t.eq_ignore_ascii_case(src.as_str()) || t.eq_ignore_ascii_case(src.label()))
            .ok_or_else(|| UnknownSource(t.to_string()))
    }
}

pub use crate::insights::NpsBand;

/// Raw feedback as typed in a form, sent as JSON, or read from a CSV row.
/// Everything is text so a form can redisplay exactly what was typed.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct FeedbackInput {
    pub source: Option<String>,
    pub body: Option<String>,
    pub external_id: Option<String>,
    pub title: Option<String>,
    pub account_external_id: Option<String>,
    pub contact_email: Option<String>,
    pub received_at: Option<String>,
    /// Kept as text so a form can show back "abc" next to its error.
    pub nps_score: Option<String>,
    pub metadata: Option<serde_json::Value>,
}

/// A validated feedback item, ready to insert.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewFeedback {
    pub source: Source,
    pub body: String,
    pub external_id: Option<String>,
    pub title: Option<String>,
    pub account_external_id: Option<String>,
    pub contact_email: Option<String>,
    /// Always in UTC.
    #[serde(with = "time::serde::rfc3339::option")]
    pub received_at: Option<OffsetDateTime>,
    pub nps_score: Option<i16>,
    /// Always a JSON object (`{}` when nothing was given).
    pub metadata: serde_json::Value,
}

impl NewFeedback {
    /// NPS band of the score, when there is one.
    pub fn nps_band(&self) -> Option<NpsBand> {
        self.nps_score.map(NpsBand::from_score)
    }
}

impl FeedbackInput {
    /// Checks every rule and returns the clean item, or all problems found.
    pub fn validate(&self) -> Result<NewFeedback, FieldErrors> {
        self.validate_at(OffsetDateTime::now_utc())
    }

    /// Like [`validate`](Self::validate) with an explicit "now" (for the
    /// future-date rule), so tests and batch jobs are deterministic.
    pub fn validate_at(&self, now: OffsetDateTime) -> Result<NewFeedback, FieldErrors> {
        let mut errors = FieldErrors::default();
        let metadata = match &self.metadata {
            None | Some(serde_json::Value::Null) => serde_json::Map::new(),
            Some(serde_json::Value::Object(map))
                if map.values().all(|v| !(v.is_object() || v.is_array())) =>
            {
                map.clone()
            }
            Some(serde_json::Value::Object(_)) => {
                errors.add(
                    "metadata",
                    "Metadata values are text, numbers, true/false or null: give nested values keys of their own, for example {\"plan.tier\": \"pro\"}",
                );
                serde_json::Map::new()
            }
            Some(_) => {
                errors.add(
                    "metadata",
                    "Metadata must be a JSON object, for example {\"plan\": \"pro\"}",
                );
                serde_json::Map::new()
            }
        };
        let raw = RawFeedback {
            source: self.source.as_deref(),
            body: self.body.as_deref(),
            external_id: self.external_id.as_deref(),
            title: self.title.as_deref(),
            account_external_id: self.account_external_id.as_deref(),
            contact_email: self.contact_email.as_deref(),
            received_at: self.received_at.as_deref(),
            nps_score: self.nps_score.as_deref(),
        };
        let out = validate_raw(&raw, None, metadata, now, &mut errors);
        match out {
            Some(v) if errors.is_empty() => Ok(v),
            _ => Err(errors),
        }
    }
}

/// Borrowed raw fields: the allocation-free path shared by forms and CSV.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RawFeedback<'a> {
    pub source: Option<&'a str>,
    pub body: Option<&'a str>,
    pub external_id: Option<&'a str>,
    pub title: Option<&'a str>,
    pub account_external_id: Option<&'a str>,
    pub contact_email: Option<&'a str>,
    pub received_at: Option<&'a str>,
    pub nps_score: Option<&'a str>,
}

/// Character count with a fast path for short ASCII-sized strings.
fn longer_than(s: &str, max_chars: usize) -> bool {
    s.len() > max_chars && s.chars().count() > max_chars
}

/// Validates borrowed fields. Returns `None` when any error was recorded
/// (errors go into `errors`). `default_source` fills a missing source.
pub(crate) fn validate_raw(
    raw: &RawFeedback<'_>,
    default_source: Option<Source>,
    metadata: serde_json::Map<String, serde_json::Value>,
    now: OffsetDateTime,
    errors: &mut FieldErrors,
) -> Option<NewFeedback> {
    let start = errors.len();
    for (field, value, long_text) in [
        ("source", raw.source, false),
        ("body", raw.body, true),
        ("external_id", raw.external_id, false),
        ("title", raw.title, true),
        ("account_external_id", raw.account_external_id, false),
        ("contact_email", raw.contact_email, false),
        ("received_at", raw.received_at, false),
        ("nps_score", raw.nps_score, false),
    ] {
        errors.check_text(field, value, long_text);
    }
    if let Some(message) = crate::validation::map_control_character(&metadata) {
        errors.add("metadata", message);
    }

    let source = match clean(raw.source) {
        Some(s) => match s.parse::<Source>() {
            Ok(src) => Some(src),
            Err(_) => {
                errors.add(
                    "source",
                    format!(
                        "\"{s}\" is not a feedback source; use one of sales, success, support, nps, research or other"
                    ),
                );
                None
            }
        },
        None => match default_source {
            Some(d) => Some(d),
            None => {
                errors.add(
                    "source",
                    "Source is required: choose sales, success, support, nps, research or other",
                );
                None
            }
        },
    };

    let body = match clean(raw.body) {
        None => {
            errors.add("body", "Feedback text is required; it can't be empty");
            None
        }
        Some(b) if longer_than(b, MAX_BODY_CHARS) => {
            errors.add(
                "body",
                format!(
                    "Feedback text is too long ({} characters); shorten it to at most 20,000 characters",
                    b.chars().count()
                ),
            );
            None
        }
        Some(b) => Some(b),
    };

    let title = clean(raw.title);
    if let Some(t) = title
        && longer_than(t, MAX_TITLE_CHARS)
    {
        errors.add(
            "title",
            "Title is too long; shorten it to at most 300 characters",
        );
    }

    let external_id = clean(raw.external_id);
    if let Some(x) = external_id
        && longer_than(x, MAX_EXTERNAL_ID_CHARS)
    {
        errors.add(
            "external_id",
            "External ID is too long; use at most 200 characters",
        );
    }

    let account_external_id = clean(raw.account_external_id);
    if let Some(x) = account_external_id
        && longer_than(x, MAX_ACCOUNT_ID_CHARS)
    {
        errors.add(
            "account_external_id",
            "Account ID is too long; use at most 200 characters",
        );
    }

    let contact_email = clean(raw.contact_email);
    if let Some(e) = contact_email
        && let Err(msg) = check_email(e)
    {
        errors.add("contact_email", msg);
    }

    let received_at = match clean(raw.received_at) {
        None => None,
        Some(s) => match parse_datetime(s) {
            Some(dt) if dt > now + Duration::days(1) => {
                errors.add(
                    "received_at",
                    "The received date is in the future; use today's date or an earlier one",
                );
                None
            }
            Some(dt) => Some(dt),
            None => {
                errors.add(
                    "received_at",
                    format!(
                        "\"{s}\" is not a date we understand; use YYYY-MM-DD, YYYY-MM-DD HH:MM (UTC) or an ISO 8601 / RFC 3339 timestamp"
                    ),
                );
                None
            }
        },
    };

    let nps_raw = clean(raw.nps_score);
    let nps_score = match nps_raw {
        None => {
            if source == Some(Source::Nps) {
                errors.add("nps_score", "An NPS response needs a score from 0 to 10");
            }
            None
        }
        Some(s) => {
            if source.is_some_and(|src| src != Source::Nps) {
                errors.add("nps_score", "Only NPS responses carry a score");
                None
            } else {
                match parse_score(s) {
                    Some(n) => Some(n),
                    None => {
                        errors.add(
                            "nps_score",
                            format!("\"{s}\" is not a valid NPS score; enter a whole number from 0 to 10"),
                        );
                        None
                    }
                }
            }
        }
    };

    if errors.len() > start {
        return None;
    }
    Some(NewFeedback {
        source: source?,
        body: body?.to_string(),
        external_id: external_id.map(str::to_string),
        title: title.map(str::to_string),
        account_external_id: account_external_id.map(str::to_string),
        contact_email: contact_email.map(str::to_string),
        received_at,
        nps_score,
        metadata: serde_json::Value::Object(metadata),
    })
}

/// Whole number 0–10 (a trailing ".0" from spreadsheets is tolerated).
pub(crate) fn parse_score(s: &str) -> Option<i16> {
    let s = s.trim();
    let s = s.strip_suffix(".0").unwrap_or(s);
    let n: i16 = s.parse().ok()?;
    (0..=10).contains(&n).then_some(n)
}

/// Plain email sanity check (not RFC 5322): one `@`, non-empty local part,
/// a domain with a dot, no whitespace, at most 254 characters.
pub fn check_email(e: &str) -> Result<(), &'static str> {
    const HINT: &str = "Enter an email address like name@example.com";
    if e.chars().count() > MAX_EMAIL_CHARS {
        return Err("Email address is too long; it can have at most 254 characters");
    }
    if e.chars().any(char::is_whitespace) {
        return Err("Email address can't contain spaces; enter it like name@example.com");
    }
    let mut parts = e.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(HINT);
    };
    if local.is_empty()
        || domain.is_empty()
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || domain.contains("..")
    {
        return Err(HINT);
    }
    Ok(())
}

/// Parses the accepted date formats, returning UTC:
/// RFC 3339 (`2024-03-05T14:22:10Z`, `…+02:00`, also with a space instead of
/// `T`), `YYYY-MM-DD` (midnight UTC), and `YYYY-MM-DD HH:MM[:SS[.fff]]` or
/// `YYYY-MM-DDTHH:MM[:SS[.fff]]` without offset (UTC).
pub fn parse_datetime(s: &str) -> Option<OffsetDateTime> {
    let s = s.trim();
    if matches!(s.as_bytes().get(10), Some(b'T' | b't'))
        && let Ok(dt) = OffsetDateTime::parse(s, &Rfc3339)
    {
        // `checked_`: a moment late on 9999-12-31 west of UTC is past the year 9999 in UTC.
        return dt.checked_to_offset(UtcOffset::UTC);
    }
    let date_fmt = format_description!("[year]-[month]-[day]");
    if s.len() == 10 {
        let d = Date::parse(s, &date_fmt).ok()?;
        return Some(d.midnight().assume_utc());
    }
    if !s.is_char_boundary(10) || s.len() < 16 {
        return None;
    }
    let (date_part, rest) = s.split_at(10);
    let sep = rest.chars().next()?;
    if sep != ' ' && sep != 'T' && sep != 't' {
        return None;
    }
    let time_part = &rest[1..];
    // RFC 3339 written with a space separator.
    if sep == ' ' && (time_part.ends_with('Z') || time_part.ends_with('z') || has_offset(time_part))
    {
        let joined = format!("{date_part}T{time_part}");
        return OffsetDateTime::parse(&joined, &Rfc3339)
            .ok()
            .and_then(|dt| dt.checked_to_offset(UtcOffset::UTC));
    }
    let d = Date::parse(date_part, &date_fmt).ok()?;
    let t = Time::parse(time_part, &format_description!("[hour]:[minute]:[second]"))
        .or_else(|_| {
            Time::parse(
                time_part,
                &format_description!("[hour]:[minute]:[second].[subsecond]"),
            )
        })
        .or_else(|_| Time::parse(time_part, &format_description!("[hour]:[minute]")))
        .ok()?;
    Some(PrimitiveDateTime::new(d, t).assume_utc())
}

fn has_offset(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() >= 6 && matches!(b[b.len() - 6], b'+' | b'-') && b[b.len() - 3] == b':'
}

/// Feedback arrived (by any way in); whatever follows arrival (tagging, today) is the worker's
/// business, so arrival is never held up and feedback names no feature that reacts to it.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Arrived {
    #[serde(default)]
    pub feedback_ids: Vec<i64>,
    /// Too many items to list: treat every item as new.
    #[serde(default)]
    pub many: bool,
}

impl crate::jobs::JobKind for Arrived {
    const NAME: &'static str = "tag_feedback";
}

/// Above this many items, one job over every item is cheaper than a job listing every id.
const LIST_IDS_UP_TO: usize = 20_000;

/// Queue what follows the arrival of `ids`.
pub async fn announce_arrival(pool: &sqlx::PgPool, ids: Vec<i64>) -> sqlx::Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let arrived = if ids.len() > LIST_IDS_UP_TO {
        Arrived {
            feedback_ids: Vec::new(),
            many: true,
        }
    } else {
        Arrived {
            feedback_ids: ids,
            many: false,
        }
    };
    crate::jobs::enqueue(pool, &arrived, None).await.map(|_| ())
}

/// After feedback is saved by any route (form, API, webhook, import). The feedback is already
/// saved, so a failure to queue is logged, not returned.
pub async fn after_ingest(pool: &sqlx::PgPool, ids: Vec<i64>) {
    let n = ids.len();
    if let Err(err) = announce_arrival(pool, ids).await {
        tracing::error!(error = %err, items = n, "could not queue new feedback for tagging");
    }
}

#[cfg(test)]
#[path = "mod_tests.rs"]
mod tests;
