//! Inbound questions: what revenue teams ask product, and whether they move from "tell us what
//! this does" (awareness) to "how do we get our customers ready" (readiness).

pub mod classify;

use serde::{Deserialize, Serialize};

/// What a question is about, the product's health signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// "What does this do", "when does it ship": the information should have reached them.
    Awareness,
    /// "How do we get our customers ready": the good signal.
    Readiness,
    /// Escalations, deal desk, pricing exceptions, bugs, feature requests.
    Other,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Awareness, Kind::Readiness, Kind::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Awareness => "awareness",
            Kind::Readiness => "readiness",
            Kind::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Awareness => "Awareness",
            Kind::Readiness => "Readiness",
            Kind::Other => "Other",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "awareness" => Some(Kind::Awareness),
            "readiness" => Some(Kind::Readiness),
            "other" => Some(Kind::Other),
            _ => None,
        }
    }

    fn id(self) -> i64 {
        match self {
            Kind::Awareness => 0,
            Kind::Readiness => 1,
            Kind::Other => 2,
        }
    }

    fn from_id(id: i64) -> Kind {
        match id {
            0 => Kind::Awareness,
            1 => Kind::Readiness,
            _ => Kind::Other,
        }
    }
}
