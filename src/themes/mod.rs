//! Themes: what customers talk about, the tags linking feedback to them, and the figures PMs browse.

pub mod api;
pub mod cache;
pub mod charts;
pub mod cli;
pub mod db;
pub mod demo;
pub mod edit;
pub mod figures;
pub mod forms;
pub mod review;
pub mod tagger;
pub mod web;

use serde::{Deserialize, Serialize};

use crate::validation::FieldErrors;

pub use tagger::{retag_all, tag_new_feedback};

/// A theme as stored.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Theme {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub keywords: Vec<String>,
    pub parent_id: Option<i64>,
    pub owner_id: Option<i64>,
    /// `active`, `archived` or `merged`.
    pub status: String,
    pub merged_into_id: Option<i64>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: time::OffsetDateTime,
}

impl Theme {
    pub fn is_active(&self) -> bool {
        self.status == "active"
    }

    pub fn keywords_text(&self) -> String {
        self.keywords.join(", ")
    }
}

/// What a person types to create or edit a theme (the form and the API share it).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ThemeInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Comma- or newline-separated keyword phrases.
    #[serde(default)]
    pub keywords: String,
    /// A parent theme id, or empty for a top-level theme.
    #[serde(default)]
    pub parent_id: String,
    /// The owning user id, or empty.
    #[serde(default)]
    pub owner_id: String,
}

/// A validated [`ThemeInput`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThemeFields {
    pub name: String,
    pub description: String,
    pub keywords: Vec<String>,
    pub parent_id: Option<i64>,
    pub owner_id: Option<i64>,
}

/// Split keyword phrases on commas and new lines, trimmed, without duplicates or empties.
pub fn parse_keywords(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for k in text.split([',', '\n', ';']) {
        let k = k.split_whitespace().collect::<Vec<_>>().join(" ");
        if !k.is_empty() && !out.iter().any(|o| o.eq_ignore_ascii_case(&k)) {
            out.push(k);
        }
    }
    out
}

fn optional_id(errors: &mut FieldErrors, field: &str, value: &str, what: &str) -> Option<i64> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    match v.parse::<i64>() {
        Ok(id) if id > 0 => Some(id),
        _ => {
            errors.add(field, format!("Choose {what} from the list"));
            None
        }
    }
}

impl ThemeInput {
    pub fn validate(&self) -> Result<ThemeFields, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = self.name.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.is_empty() {
            errors.add("name", "Enter a name for the theme");
        } else if name.chars().count() > 120 {
            errors.add("name", "Keep the name to 120 characters or fewer");
        }
        let description = self.description.trim().to_owned();
        if description.chars().count() > 2000 {
            errors.add(
                "description",
                "Keep the description to 2,000 characters or fewer",
            );
        }
        let keywords = parse_keywords(&self.keywords);
        if keywords.len() > 50 {
            errors.add("keywords", "Use at most 50 keyword phrases");
        } else if keywords.iter().any(|k| k.chars().count() > 80) {
            errors.add(
                "keywords",
                "Keep each keyword phrase to 80 characters or fewer",
            );
        }
        let parent_id = optional_id(&mut errors, "parent_id", &self.parent_id, "a parent theme");
        let owner_id = optional_id(&mut errors, "owner_id", &self.owner_id, "an owner");
        errors.into_result(ThemeFields {
            name,
            description,
            keywords,
            parent_id,
            owner_id,
        })
    }

    pub fn from_theme(t: &Theme) -> Self {
        ThemeInput {
            name: t.name.clone(),
            description: t.description.clone(),
            keywords: t.keywords_text(),
            parent_id: t.parent_id.map(|p| p.to_string()).unwrap_or_default(),
            owner_id: t.owner_id.map(|p| p.to_string()).unwrap_or_default(),
        }
    }
}

/// A person's decision on a suggested tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Confirm,
    Reject,
}

impl Decision {
    pub fn state(self) -> &'static str {
        match self {
            Decision::Confirm => "confirmed",
            Decision::Reject => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Decision> {
        match s.trim() {
            "confirm" | "confirmed" => Some(Decision::Confirm),
            "reject" | "rejected" => Some(Decision::Reject),
            _ => None,
        }
    }
}

/// The six feedback sources, in the order charts and legends show them.
pub const SOURCES: [&str; 6] = ["sales", "success", "support", "nps", "research", "other"];

pub fn source_label(source: &str) -> &'static str {
    match source {
        "sales" => "Sales",
        "success" => "Success",
        "support" => "Support",
        "nps" => "NPS",
        "research" => "Research",
        _ => "Other",
    }
}

/// Account segments, for filters.
pub const SEGMENTS: [(&str, &str); 3] = [
    ("smb", "SMB"),
    ("mid_market", "Mid-market"),
    ("enterprise", "Enterprise"),
];

/// "$1.2M", "$340K", "$980" — with the exact amount kept for a title.
pub fn money_short(cents: i64) -> String {
    let dollars = cents as f64 / 100.0;
    let abs = dollars.abs();
    if abs >= 1_000_000.0 {
        format!("${:.1}M", dollars / 1_000_000.0)
    } else if abs >= 10_000.0 {
        format!("${:.0}K", dollars / 1_000.0)
    } else if abs >= 1_000.0 {
        format!("${:.1}K", dollars / 1_000.0)
    } else {
        format!("${dollars:.0}")
    }
}

/// "$1,234,567.00".
pub fn money_exact(cents: i64) -> String {
    format!(
        "${}.{:02}",
        crate::web::format::thousands(cents / 100),
        (cents % 100).abs()
    )
}

/// Trend of the last 4 weeks against the 4 before.
#[derive(Debug, Clone, PartialEq)]
pub struct Trend {
    /// `up`, `down` or `flat` (for the CSS class).
    pub direction: &'static str,
    pub arrow: &'static str,
    /// "+18 %", "−40 %", "new", "0 %".
    pub text: String,
    /// For sorting: percent change (new = +∞ rendered as a large number).
    pub percent: f64,
}

pub fn trend(last: i64, previous: i64) -> Trend {
    if previous == 0 {
        return if last == 0 {
            Trend {
                direction: "flat",
                arrow: "→",
                text: "0 %".into(),
                percent: 0.0,
            }
        } else {
            Trend {
                direction: "up",
                arrow: "↑",
                text: "new".into(),
                percent: 1e9,
            }
        };
    }
    let pct = 100.0 * (last - previous) as f64 / previous as f64;
    let rounded = pct.round() as i64;
    let (direction, arrow) = match rounded {
        r if r > 0 => ("up", "↑"),
        r if r < 0 => ("down", "↓"),
        _ => ("flat", "→"),
    };
    let text = if rounded > 0 {
        format!("+{rounded} %")
    } else if rounded < 0 {
        format!("−{} %", -rounded)
    } else {
        "0 %".into()
    };
    Trend {
        direction,
        arrow,
        text,
        percent: pct,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_split_trimmed_and_deduplicated() {
        assert_eq!(
            parse_keywords(" card declined,  Card Declined\nfrozen   card;;"),
            vec!["card declined".to_string(), "frozen card".to_string()]
        );
        assert!(parse_keywords(" , \n").is_empty());
    }

    #[test]
    fn theme_input_reports_every_problem() {
        let input = ThemeInput {
            name: "  ".into(),
            parent_id: "abc".into(),
            ..ThemeInput::default()
        };
        let errors = input.validate().unwrap_err();
        assert!(errors.has("name"));
        assert!(errors.has("parent_id"));
        let ok = ThemeInput {
            name: " Card  payments ".into(),
            keywords: "declined".into(),
            ..ThemeInput::default()
        }
        .validate()
        .unwrap();
        assert_eq!(ok.name, "Card payments");
        assert_eq!(ok.parent_id, None);
    }

    #[test]
    fn trend_reads_as_people_expect() {
        assert_eq!(trend(12, 10).text, "+20 %");
        assert_eq!(trend(5, 10).text, "−50 %");
        assert_eq!(trend(5, 10).direction, "down");
        assert_eq!(trend(0, 0).text, "0 %");
        assert_eq!(trend(3, 0).text, "new");
    }

    #[test]
    fn money_is_abbreviated_and_exact() {
        assert_eq!(money_short(123_456_789), "$1.2M");
        assert_eq!(money_short(34_000_000), "$340K");
        assert_eq!(money_short(98_000), "$980");
        assert_eq!(money_exact(123_456_789), "$1,234,567.89");
    }
}
