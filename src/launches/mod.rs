//! Launches: what product builds, the themes each answers, its readiness guide (revisions,
//! review, acknowledgements), per-team checklists, and who to tell.

pub mod actions;
pub mod api;
pub mod db;
pub mod demo;
pub mod diff;
pub mod edit;
pub mod guide;
pub mod guide_web;
pub mod readiness;
pub mod tell;
pub mod timeline;
pub mod web;
pub mod workflow;

use serde::{Deserialize, Serialize};
use time::Date;

use crate::auth::{Permission, Team, User};
use crate::validation::FieldErrors;

/// Create and edit launches and their theme links: pm, product_ops, admin.
pub const EDIT_LAUNCHES: Permission = Permission::EditThemes;
/// Write guide drafts and submit them for review: pm ("propose guide drafts"), product_ops, admin.
pub const WRITE_GUIDES: Permission = Permission::AnswerQuestions;
/// Approve (publish) or send back a guide, and edit checklists: product_ops, admin.
pub const REVIEW_GUIDES: Permission = Permission::EditGuides;

pub const STATUSES: &[(&str, &str)] = &[
    ("planned", "Planned"),
    ("building", "Building"),
    ("beta", "Beta"),
    ("generally_available", "Generally available"),
    ("retired", "Retired"),
];

pub fn status_label(status: &str) -> &'static str {
    STATUSES
        .iter()
        .find(|(k, _)| *k == status)
        .map(|(_, l)| *l)
        .unwrap_or("Unknown")
}

/// The teams a guide speaks to, each with its own section, in reading order.
pub const GUIDE_TEAMS: [Team; 4] = [Team::Sales, Team::Success, Team::Support, Team::Marketing];

/// A launch as stored.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Launch {
    pub id: i64,
    pub name: String,
    pub summary: String,
    /// planned, building, beta, generally_available or retired.
    pub status: String,
    #[schema(value_type = Option<String>, format = Date)]
    #[serde(with = "crate::web::format::iso_date::option")]
    pub target_date: Option<Date>,
    #[schema(value_type = Option<String>, format = Date)]
    #[serde(with = "crate::web::format::iso_date::option")]
    pub shipped_date: Option<Date>,
    pub owner_id: Option<i64>,
    pub owner_name: Option<String>,
    pub area: String,
    pub tracker_links: Vec<String>,
    pub theme_ids: Vec<i64>,
}

impl Launch {
    pub fn status_label(&self) -> &'static str {
        status_label(&self.status)
    }

    /// The date that places it on the timeline: shipped if it shipped, else the target.
    pub fn timeline_date(&self) -> Option<Date> {
        self.shipped_date.or(self.target_date)
    }

    pub fn date_text(&self) -> String {
        match (self.shipped_date, self.target_date) {
            (Some(s), _) => format!("shipped {s}"),
            (None, Some(t)) => format!("target {t}"),
            _ => "no date yet".into(),
        }
    }
}

/// What a person types to create or edit a launch (the form and the API share it).
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct LaunchInput {
    #[serde(default)]
    #[schema(required = true)]
    pub name: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub status: String,
    /// YYYY-MM-DD or empty.
    #[serde(default)]
    pub target_date: String,
    /// YYYY-MM-DD or empty.
    #[serde(default)]
    pub shipped_date: String,
    /// A user id or empty.
    #[serde(default)]
    pub owner_id: String,
    #[serde(default)]
    pub area: String,
    /// One http(s) URL per line.
    #[serde(default)]
    pub tracker_links: String,
}

/// A validated [`LaunchInput`].
#[derive(Debug, Clone, PartialEq)]
pub struct LaunchFields {
    pub name: String,
    pub summary: String,
    pub status: String,
    pub target_date: Option<Date>,
    pub shipped_date: Option<Date>,
    pub owner_id: Option<i64>,
    pub area: String,
    pub tracker_links: Vec<String>,
}

fn parse_date(errors: &mut FieldErrors, field: &str, value: &str) -> Option<Date> {
    if value.trim().is_empty() {
        return None;
    }
    match Date::parse(
        value,
        time::macros::format_description!("[year]-[month]-[day]"),
    ) {
        Ok(d) => Some(d),
        Err(_) => {
            errors.add(field, "Enter a date as YYYY-MM-DD, for example 2026-03-31");
            None
        }
    }
}

/// Whether `url` is an absolute http(s) URL with a host and no spaces.
pub fn is_web_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(rest) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-.:[]@".contains(c))
                && !url
                    .chars()
                    .any(|c| c.is_whitespace() || c == '"' || c == '<' || c == '>')
        }
        None => false,
    }
}

impl LaunchInput {
    pub fn validate(&self) -> Result<LaunchFields, FieldErrors> {
        let mut errors = FieldErrors::default();
        for (field, value, long) in [
            ("name", &self.name, false),
            ("summary", &self.summary, true),
            ("status", &self.status, false),
            ("target_date", &self.target_date, false),
            ("shipped_date", &self.shipped_date, false),
            ("owner_id", &self.owner_id, false),
            ("area", &self.area, false),
            ("tracker_links", &self.tracker_links, true),
        ] {
            if errors.check_text(field, Some(value), long) {
                return Err(errors);
            }
        }
        let name = self.name.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.is_empty() {
            errors.add("name", "Enter a name for the launch");
        } else if name.chars().count() > 200 {
            errors.add("name", "Keep the name to 200 characters or fewer");
        }
        let summary = self.summary.trim().to_owned();
        if summary.chars().count() > 500 {
            errors.add("summary", "Keep the summary to 500 characters or fewer");
        }
        let status = if self.status.trim().is_empty() {
            "planned".to_owned()
        } else {
            self.status.trim().to_owned()
        };
        if !STATUSES.iter().any(|(k, _)| *k == status) {
            errors.add(
                "status",
                "Choose a status: planned, building, beta, generally available or retired",
            );
        }
        let target_date = parse_date(&mut errors, "target_date", &self.target_date);
        let shipped_date = parse_date(&mut errors, "shipped_date", &self.shipped_date);
        let owner_id = match self.owner_id.trim() {
            "" => None,
            v => match v.parse::<i64>() {
                Ok(id) if id > 0 => Some(id),
                _ => {
                    errors.add("owner_id", "Choose the owner PM from the list");
                    None
                }
            },
        };
        let area = self.area.trim().to_owned();
        if area.chars().count() > 100 {
            errors.add("area", "Keep the product area to 100 characters or fewer");
        }
        let mut tracker_links = Vec::new();
        for line in self.tracker_links.split(['\n', ',']) {
            let url = line.trim();
            if url.is_empty() {
                continue;
            }
            if !is_web_url(url) {
                errors.add(
                    "tracker_links",
                    format!(
                        "\"{url}\" is not a web address; enter one http:// or https:// link per line"
                    ),
                );
            } else if !tracker_links.iter().any(|u| u == url) {
                tracker_links.push(url.to_owned());
            }
        }
        if tracker_links.len() > 10 {
            errors.add("tracker_links", "Link at most 10 tracker issues");
        }
        errors.into_result(LaunchFields {
            name,
            summary,
            status,
            target_date,
            shipped_date,
            owner_id,
            area,
            tracker_links,
        })
    }
}

impl From<&Launch> for LaunchInput {
    fn from(l: &Launch) -> Self {
        LaunchInput {
            name: l.name.clone(),
            summary: l.summary.clone(),
            status: l.status.clone(),
            target_date: l.target_date.map(|d| d.to_string()).unwrap_or_default(),
            shipped_date: l.shipped_date.map(|d| d.to_string()).unwrap_or_default(),
            owner_id: l.owner_id.map(|d| d.to_string()).unwrap_or_default(),
            area: l.area.clone(),
            tracker_links: l.tracker_links.join("\n"),
        }
    }
}

/// How ready one team is for one launch, in a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Readiness {
    Ready,
    AtRisk,
    NotStarted,
}

impl Readiness {
    pub fn as_str(self) -> &'static str {
        match self {
            Readiness::Ready => "ready",
            Readiness::AtRisk => "at_risk",
            Readiness::NotStarted => "not_started",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Readiness::Ready => "Ready",
            Readiness::AtRisk => "At risk",
            Readiness::NotStarted => "Not started",
        }
    }
}

/// A team's coverage for one launch: who acknowledged the current revision, checklist progress.
#[derive(Debug, Clone, Serialize)]
pub struct TeamCoverage {
    pub team: Team,
    pub members: i64,
    pub acknowledged: i64,
    pub items: i64,
    pub items_done: i64,
}

/// At least this share of a team must have acknowledged for it to count as ready.
pub const READY_SHARE: f64 = 0.75;

impl TeamCoverage {
    pub fn ack_percent(&self) -> i64 {
        if self.members == 0 {
            0
        } else {
            (100 * self.acknowledged + self.members / 2) / self.members
        }
    }

    pub fn checklist_text(&self) -> String {
        if self.items == 0 {
            "no checklist items".into()
        } else {
            format!("{} of {} done", self.items_done, self.items)
        }
    }

    /// Ready: most of the team acknowledged and its checklist is done. Not started: nobody
    /// acknowledged and nothing is ticked. Anything in between is at risk.
    pub fn readiness(&self) -> Readiness {
        let share = if self.members == 0 {
            0.0
        } else {
            self.acknowledged as f64 / self.members as f64
        };
        let checklist_done = self.items_done == self.items;
        if self.acknowledged == 0 && self.items_done == 0 {
            Readiness::NotStarted
        } else if share >= READY_SHARE && checklist_done {
            Readiness::Ready
        } else {
            Readiness::AtRisk
        }
    }
}

/// Whether `user` may tick a checklist item owned by `team`: its own team, or a checklist editor.
pub fn may_tick(user: &User, team: Team) -> bool {
    user.can(REVIEW_GUIDES) || (user.team == team && user.can(Permission::Acknowledge))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracker_links_must_be_web_urls() {
        let input = LaunchInput {
            name: "X".into(),
            tracker_links: "https://linear.app/acme/issue/PAY-1\njavascript:alert(1)".into(),
            ..Default::default()
        };
        let err = input.validate().unwrap_err();
        assert!(err.get("tracker_links").unwrap().contains("javascript"));
        assert!(is_web_url("http://example.com/a?b=c"));
        assert!(!is_web_url("ftp://example.com"));
        assert!(!is_web_url("https://"));
    }

    #[test]
    fn readiness_words() {
        let c = |members, acknowledged, items, items_done| TeamCoverage {
            team: Team::Sales,
            members,
            acknowledged,
            items,
            items_done,
        };
        assert_eq!(c(4, 0, 2, 0).readiness(), Readiness::NotStarted);
        assert_eq!(c(4, 3, 2, 2).readiness(), Readiness::Ready);
        assert_eq!(c(4, 2, 2, 2).readiness(), Readiness::AtRisk);
        assert_eq!(c(4, 4, 2, 1).readiness(), Readiness::AtRisk);
    }
}
