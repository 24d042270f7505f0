//! A readiness guide's content, its revisions and the rules of its workflow.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::auth::Team;
use crate::validation::FieldErrors;
use crate::web::markdown::{self, SafeHtml};

/// One FAQ entry; the answer is Markdown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Faq {
    pub q: String,
    pub a: String,
}

/// Everything a guide says. Every field but `faq` is Markdown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GuideContent {
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub sales: String,
    #[serde(default)]
    pub success: String,
    #[serde(default)]
    pub support: String,
    #[serde(default)]
    pub marketing: String,
    #[serde(default)]
    pub prepare: String,
    #[serde(default)]
    pub faq: Vec<Faq>,
    #[serde(default)]
    pub links: String,
}

/// The Markdown sections of a guide: key, heading, purpose (the editor's hint).
pub const SECTIONS: &[(&str, &str, &str)] = &[
    (
        "value",
        "The new value",
        "What customers can now do, and why it matters to them.",
    ),
    (
        "sales",
        "How sales changes",
        "Talk tracks, objections and answers, what not to promise.",
    ),
    (
        "success",
        "How customer success changes",
        "Who to contact first, what to bring to the next review, adoption goals.",
    ),
    (
        "support",
        "How support changes",
        "New questions to expect, macros, escalation paths, known limits.",
    ),
    (
        "marketing",
        "How marketing changes",
        "Launch messages, channels, assets and their dates.",
    ),
    (
        "prepare",
        "How to prepare customers",
        "A numbered list of the steps a customer takes before and after the launch.",
    ),
    (
        "links",
        "Links",
        "A bullet list of the documents, recordings and tracker issues behind this guide.",
    ),
];

pub fn section_for_team(team: Team) -> Option<&'static str> {
    match team {
        Team::Sales => Some("sales"),
        Team::Success => Some("success"),
        Team::Support => Some("support"),
        Team::Marketing => Some("marketing"),
        _ => None,
    }
}

pub const MAX_SECTION: usize = 20_000;
pub const MAX_FAQ: usize = 60;

impl GuideContent {
    pub fn section(&self, key: &str) -> &str {
        match key {
            "value" => &self.value,
            "sales" => &self.sales,
            "success" => &self.success,
            "support" => &self.support,
            "marketing" => &self.marketing,
            "prepare" => &self.prepare,
            "links" => &self.links,
            _ => "",
        }
    }

    fn section_mut(&mut self, key: &str) -> Option<&mut String> {
        Some(match key {
            "value" => &mut self.value,
            "sales" => &mut self.sales,
            "success" => &mut self.success,
            "support" => &mut self.support,
            "marketing" => &mut self.marketing,
            "prepare" => &mut self.prepare,
            "links" => &mut self.links,
            _ => return None,
        })
    }

    /// Every section as plain text for diffing, the FAQ as one section of questions and answers.
    pub fn sections(&self) -> Vec<(&'static str, &'static str, String)> {
        let mut out: Vec<(&'static str, &'static str, String)> = SECTIONS
            .iter()
            .filter(|(k, _, _)| *k != "links")
            .map(|(k, l, _)| (*k, *l, self.section(k).to_owned()))
            .collect();
        let faq = self
            .faq
            .iter()
            .map(|f| format!("Q: {}\nA: {}", f.q, f.a))
            .collect::<Vec<_>>()
            .join("\n\n");
        out.push(("faq", "FAQ", faq));
        out.push(("links", "Links", self.links.clone()));
        out
    }

    pub fn is_empty(&self) -> bool {
        self.sections().iter().all(|(_, _, t)| t.trim().is_empty())
    }

    /// Read the editor form: `value`, `sales`, …, `faq_q_N`/`faq_a_N` pairs (empty pairs dropped).
    pub fn from_form(pairs: &[(String, String)]) -> GuideContent {
        let mut content = GuideContent::default();
        let mut faq: std::collections::BTreeMap<usize, Faq> = Default::default();
        for (k, v) in pairs {
            let v = v.replace("\r\n", "\n");
            if let Some(n) = k.strip_prefix("faq_q_").and_then(|n| n.parse().ok()) {
                faq.entry(n).or_default().q = v.trim().to_owned();
            } else if let Some(n) = k.strip_prefix("faq_a_").and_then(|n| n.parse().ok()) {
                faq.entry(n).or_default().a = v.trim_end().to_owned();
            } else if let Some(s) = content.section_mut(k) {
                *s = v.trim_end().to_owned();
            }
        }
        content.faq = faq
            .into_values()
            .filter(|f| !f.q.is_empty() || !f.a.trim().is_empty())
            .collect();
        content
    }

    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::default();
        for (k, l, _) in SECTIONS {
            if errors.check_text(k, Some(self.section(k)), true) {
                continue;
            }
            if self.section(k).chars().count() > MAX_SECTION {
                errors.add(k, format!("Keep \"{l}\" to 20,000 characters or fewer"));
            }
        }
        if self.faq.len() > MAX_FAQ {
            errors.add("faq_q_0", "Keep the FAQ to 60 questions or fewer");
        }
        for (i, f) in self.faq.iter().enumerate() {
            errors.check_text(&format!("faq_q_{i}"), Some(&f.q), true);
            errors.check_text(&format!("faq_a_{i}"), Some(&f.a), true);
            if f.q.trim().is_empty() {
                errors.add(&format!("faq_q_{i}"), "Enter the question for this answer");
            }
            if f.a.trim().is_empty() {
                errors.add(&format!("faq_a_{i}"), format!("Answer \"{}\"", f.q));
            }
        }
        errors.into_result(())
    }

    pub fn render(&self) -> RenderedGuide {
        RenderedGuide {
            sections: SECTIONS
                .iter()
                .map(|(k, l, _)| RenderedSection {
                    key: k,
                    label: l,
                    html: markdown::render(self.section(k)),
                })
                .collect(),
            faq: self
                .faq
                .iter()
                .map(|f| (f.q.clone(), markdown::render(&f.a)))
                .collect(),
        }
    }
}

pub struct RenderedSection {
    pub key: &'static str,
    pub label: &'static str,
    pub html: SafeHtml,
}

pub struct RenderedGuide {
    pub sections: Vec<RenderedSection>,
    pub faq: Vec<(String, SafeHtml)>,
}

impl RenderedGuide {
    pub fn get(&self, key: &str) -> Option<&RenderedSection> {
        self.sections.iter().find(|s| s.key == key)
    }
}

/// A saved revision.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Revision {
    pub number: i32,
    #[serde(flatten)]
    pub content: GuideContent,
    pub note: String,
    pub minor: bool,
    pub author_id: Option<i64>,
    pub author_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub published_at: Option<OffsetDateTime>,
}

/// Where a guide's workflow stands.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GuideState {
    pub launch_id: i64,
    /// draft, in_review or published.
    pub state: String,
    /// The revision readers see, if any has been published.
    pub published_number: Option<i32>,
    /// The newest revision.
    pub head_number: Option<i32>,
    pub reviewer_id: Option<i64>,
    pub reviewer_name: Option<String>,
    pub submitted_by: Option<i64>,
    pub review_comment: String,
}

impl GuideState {
    pub fn state_label(&self) -> &'static str {
        state_label(&self.state)
    }

    /// A draft sits on top of what readers see.
    pub fn has_unpublished(&self) -> bool {
        self.head_number.is_some() && self.head_number != self.published_number
    }
}

pub fn state_label(state: &str) -> &'static str {
    match state {
        "in_review" => "In review",
        "published" => "Published",
        _ => "Draft",
    }
}

/// What a revision's small facts say about asking readers again.
#[derive(Debug, Clone, Copy)]
pub struct RevisionFacts {
    pub number: i32,
    pub minor: bool,
}

/// Whether a reader who acknowledged `acknowledged` must be asked again now that `published`
/// is current: yes if they never acknowledged, or if any revision after theirs up to the
/// published one is not minor.
pub fn asks_again(revisions: &[RevisionFacts], acknowledged: Option<i32>, published: i32) -> bool {
    match acknowledged {
        None => true,
        Some(a) if a >= published => false,
        Some(a) => revisions
            .iter()
            .any(|r| r.number > a && r.number <= published && !r.minor),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minor_revisions_do_not_ask_again() {
        let revs = [
            RevisionFacts {
                number: 1,
                minor: false,
            },
            RevisionFacts {
                number: 2,
                minor: true,
            },
            RevisionFacts {
                number: 3,
                minor: false,
            },
        ];
        assert!(asks_again(&revs, None, 1));
        assert!(!asks_again(&revs, Some(1), 1));
        assert!(!asks_again(&revs, Some(1), 2));
        assert!(asks_again(&revs, Some(1), 3));
        assert!(asks_again(&revs, Some(2), 3));
        assert!(!asks_again(&revs, Some(3), 3));
    }

    #[test]
    fn form_pairs_make_content_and_drop_empty_faq_rows() {
        let pairs: Vec<(String, String)> = [
            ("value", "New value"),
            ("faq_q_0", "Does it cost more?"),
            ("faq_a_0", "No."),
            ("faq_q_1", ""),
            ("faq_a_1", ""),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let c = GuideContent::from_form(&pairs);
        assert_eq!(c.value, "New value");
        assert_eq!(c.faq.len(), 1);
    }
}
