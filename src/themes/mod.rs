//! Themes: what customers talk about, the tags linking feedback to them, and the figures PMs browse.

pub mod api;
pub mod db;
pub mod demo;
pub mod edit;
pub mod forms;
pub mod tagging;
pub mod web;

use serde::{Deserialize, Serialize};

use crate::validation::FieldErrors;

pub use tagging::retag_all;

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
    /// Required; unique among active themes.
    #[serde(default)]
    #[schema(required = true, min_length = 1, max_length = 120)]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
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
        errors.check_text("name", Some(&self.name), false);
        errors.check_text("description", Some(&self.description), true);
        errors.check_text("keywords", Some(&self.keywords), true);
        errors.check_text("parent_id", Some(&self.parent_id), false);
        errors.check_text("owner_id", Some(&self.owner_id), false);
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
}
