//! Digests: the readiness news of a period for an audience (everyone, or one team), composed by
//! product ops from the launches' published guides, what customers are telling us (rising themes
//! with a quote each) and the questions still open. Read on the web, by email, in an Atom feed.
//! A published digest is frozen: it quotes the guide revisions it was published with.

pub mod api;
pub mod compose;
pub mod db;
pub mod demo;
pub mod edit;
pub mod email;
pub mod feeds;
pub mod profile;
pub mod send;
pub mod web;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::auth::{Permission, Team};
use crate::validation::{FieldErrors, control_character};

pub use send::SendDigest;

/// Compose, edit, publish and send digests: product ops and admins.
pub const EDIT_DIGESTS: Permission = Permission::EditGuides;

/// Who a digest is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    Everyone,
    Sales,
    Success,
    Support,
    Marketing,
}

impl Audience {
    pub const ALL: [Audience; 5] = [
        Audience::Everyone,
        Audience::Sales,
        Audience::Success,
        Audience::Support,
        Audience::Marketing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Everyone => "everyone",
            Audience::Sales => "sales",
            Audience::Success => "success",
            Audience::Support => "support",
            Audience::Marketing => "marketing",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Audience::Everyone => "Everyone",
            Audience::Sales => "Sales",
            Audience::Success => "Customer success",
            Audience::Support => "Support",
            Audience::Marketing => "Marketing",
        }
    }

    /// The team a one-team digest speaks to.
    pub fn team(self) -> Option<Team> {
        match self {
            Audience::Everyone => None,
            Audience::Sales => Some(Team::Sales),
            Audience::Success => Some(Team::Success),
            Audience::Support => Some(Team::Support),
            Audience::Marketing => Some(Team::Marketing),
        }
    }

    /// The one-team audience of a team, if the team has one.
    pub fn of_team(team: Team) -> Option<Audience> {
        Audience::ALL.into_iter().find(|a| a.team() == Some(team))
    }

    /// Whether a person of `team` is among this digest's readers.
    pub fn includes(self, team: Team) -> bool {
        self == Audience::Everyone || self.team() == Some(team)
    }

    pub fn parse(s: &str) -> Option<Audience> {
        Audience::ALL.into_iter().find(|a| a.as_str() == s.trim())
    }
}

/// A digest as stored (its launches are in `digest_launches`).
#[derive(Debug, Clone)]
pub struct Digest {
    pub id: i64,
    pub title: String,
    pub period_start: Date,
    pub period_end: Date,
    pub audience: Audience,
    pub intro: String,
    pub state: String,
    pub snapshot: Option<serde_json::Value>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub published_at: Option<OffsetDateTime>,
    pub published_by_name: Option<String>,
}

impl Digest {
    pub fn is_published(&self) -> bool {
        self.state == "published"
    }

    pub fn period_text(&self) -> String {
        period_text(self.period_start, self.period_end)
    }
}

pub fn period_text(from: Date, to: Date) -> String {
    let fmt = time::macros::format_description!("[day padding:none] [month repr:short] [year]");
    let f = |d: Date| d.format(&fmt).unwrap_or_else(|_| d.to_string());
    format!("{} – {}", f(from), f(to))
}

/// What the compose form sends, as typed (kept to re-render the form on an error).
#[derive(Debug, Clone, Default)]
pub struct DigestInput {
    pub title: String,
    pub period_start: String,
    pub period_end: String,
    pub audience: String,
    pub intro: String,
    /// The chosen launches with the order typed for each (empty: in the order listed).
    pub launches: Vec<(i64, String)>,
}

/// A checked digest, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct DigestFields {
    pub title: String,
    pub period_start: Date,
    pub period_end: Date,
    pub audience: Audience,
    pub intro: String,
    /// Launch ids in display order.
    pub launch_ids: Vec<i64>,
}

pub const MAX_INTRO: usize = 20_000;
pub const MAX_LAUNCHES: usize = 30;

fn parse_date(errors: &mut FieldErrors, field: &str, label: &str, value: &str) -> Option<Date> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let value = value.trim();
    if value.is_empty() {
        errors.add(field, format!("Give the {label} (YYYY-MM-DD)"));
        return None;
    }
    match Date::parse(value, &fmt) {
        Ok(d) => Some(d),
        Err(_) => {
            errors.add(
                field,
                format!("\"{value}\" is not a date: write it as YYYY-MM-DD"),
            );
            None
        }
    }
}

impl DigestInput {
    pub fn validate(&self) -> Result<DigestFields, FieldErrors> {
        let mut errors = FieldErrors::default();
        let title = self.title.trim();
        if !errors.check_text("title", Some(title), false) {
            if title.is_empty() {
                errors.add("title", "Give the digest a title");
            } else if title.chars().count() > 200 {
                errors.add("title", "Keep the title to 200 characters or fewer");
            }
        }
        let start = if errors.check_text("period_start", Some(&self.period_start), false) {
            None
        } else {
            parse_date(
                &mut errors,
                "period_start",
                "period's first day",
                &self.period_start,
            )
        };
        let end = if errors.check_text("period_end", Some(&self.period_end), false) {
            None
        } else {
            parse_date(
                &mut errors,
                "period_end",
                "period's last day",
                &self.period_end,
            )
        };
        if let (Some(s), Some(e)) = (start, end)
            && e < s
        {
            errors.add(
                "period_end",
                "The period ends before it starts: swap the two dates",
            );
        }
        let audience = Audience::parse(&self.audience);
        if audience.is_none() {
            errors.add(
                "audience",
                "Choose who it is for: everyone, sales, success, support or marketing",
            );
        }
        if let Some(m) = control_character(&self.intro, true) {
            errors.add("intro", m);
        } else if self.intro.chars().count() > MAX_INTRO {
            errors.add(
                "intro",
                format!("Keep the introduction to {MAX_INTRO} characters or fewer"),
            );
        }
        let mut ordered: Vec<(i64, i64, usize)> = Vec::new();
        for (i, (id, order)) in self.launches.iter().enumerate() {
            let order = order.trim();
            let pos = if order.is_empty() {
                (i as i64 + 1) * 1000
            } else {
                match order.parse::<i64>() {
                    Ok(n) if (1..=999).contains(&n) => n * 1000 - 1,
                    _ => {
                        errors.add(
                            &format!("order_{id}"),
                            "Give the position as a whole number from 1 to 999",
                        );
                        0
                    }
                }
            };
            if !ordered.iter().any(|(l, _, _)| l == id) {
                ordered.push((*id, pos, i));
            }
        }
        if ordered.len() > MAX_LAUNCHES {
            errors.add(
                "launches",
                format!("A digest holds at most {MAX_LAUNCHES} launches"),
            );
        }
        ordered.sort_by_key(|(_, pos, i)| (*pos, *i));
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(DigestFields {
            title: title.to_owned(),
            period_start: start.unwrap_or(Date::MIN),
            period_end: end.unwrap_or(Date::MIN),
            audience: audience.unwrap_or(Audience::Everyone),
            intro: self.intro.trim().to_owned(),
            launch_ids: ordered.into_iter().map(|(id, _, _)| id).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> DigestInput {
        DigestInput {
            title: "March readiness".into(),
            period_start: "2026-03-01".into(),
            period_end: "2026-03-31".into(),
            audience: "sales".into(),
            intro: "Hello **team**".into(),
            launches: vec![(7, String::new()), (3, "1".into()), (9, String::new())],
        }
    }

    #[test]
    fn a_typed_position_moves_a_launch_ahead_of_the_listed_order() {
        let f = input().validate().expect("valid");
        assert_eq!(f.launch_ids, vec![3, 7, 9]);
        assert_eq!(f.audience, Audience::Sales);
    }

    #[test]
    fn every_bad_field_gets_its_own_message() {
        let bad = DigestInput {
            title: " ".into(),
            period_start: "2026-03-31".into(),
            period_end: "2026-03-01".into(),
            audience: "finance".into(),
            intro: "a\0b".into(),
            launches: vec![(4, "first".into())],
        };
        let e = bad.validate().unwrap_err();
        for field in ["title", "period_end", "audience", "intro", "order_4"] {
            assert!(e.has(field), "{field}: {e}");
        }
        assert!(!e.has("period_start"));
    }

    #[test]
    fn audiences_include_their_team_and_everyone_includes_all() {
        assert!(Audience::Everyone.includes(Team::Product));
        assert!(Audience::Sales.includes(Team::Sales));
        assert!(!Audience::Sales.includes(Team::Support));
        assert_eq!(Audience::of_team(Team::Success), Some(Audience::Success));
        assert_eq!(Audience::of_team(Team::Product), None);
    }
}
