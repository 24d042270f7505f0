//! The dashboard read model: figures computed from the rollups that triggers keep current,
//! the caches that keep them while nothing changes, and the small arithmetic (trends, NPS)
//! every dashboard shares. It reads the database on its own and imports no feature, so the
//! theme, NPS, account and (later) home pages all read the same numbers.

pub mod cache;
pub mod db;
pub mod figures;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use figures::{Period, ThemeFigures, today, week_start};

/// The read model's caches, one set per process, handed to handlers as an `Extension`.
#[derive(Clone)]
pub struct Caches {
    /// Theme figures per filter, reused while the rollups stand still.
    pub figures: Arc<figures::FiguresCache>,
    /// Suggested tags to review, overall and per theme.
    pub suggested: Arc<figures::SuggestedCache>,
}

impl Caches {
    pub fn new() -> Self {
        Caches {
            figures: Arc::new(figures::figures_cache()),
            suggested: Arc::new(figures::suggested_cache()),
        }
    }
}

impl Default for Caches {
    fn default() -> Self {
        Self::new()
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct NpsCounts {
    pub promoters: i64,
    pub passives: i64,
    pub detractors: i64,
}

impl NpsCounts {
    pub fn responses(&self) -> i64 {
        self.promoters + self.passives + self.detractors
    }

    /// The score from −100 to 100, or `None` when nobody answered (not zero: zero is a real score).
    pub fn score(&self) -> Option<f64> {
        let n = self.responses();
        if n == 0 {
            return None;
        }
        Some(100.0 * (self.promoters - self.detractors) as f64 / n as f64)
    }

    /// The score rounded to a whole number, as people read it.
    pub fn rounded(&self) -> Option<i64> {
        self.score().map(|s| s.round() as i64)
    }

    pub fn add_score(&mut self, score: i16) {
        match score {
            9..=10 => self.promoters += 1,
            7..=8 => self.passives += 1,
            _ => self.detractors += 1,
        }
    }
}

impl std::ops::AddAssign for NpsCounts {
    fn add_assign(&mut self, other: Self) {
        self.promoters += other.promoters;
        self.passives += other.passives;
        self.detractors += other.detractors;
    }
}

/// NPS bands: 0–6 detractor, 7–8 passive, 9–10 promoter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NpsBand {
    Detractor,
    Passive,
    Promoter,
}

impl NpsBand {
    /// Band of a score. Out-of-range scores are clamped (below 0 counts as
    /// detractor, above 10 as promoter) so this never panics.
    pub fn from_score(score: i16) -> NpsBand {
        match score {
            i16::MIN..=6 => NpsBand::Detractor,
            7..=8 => NpsBand::Passive,
            _ => NpsBand::Promoter,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            NpsBand::Detractor => "detractor",
            NpsBand::Passive => "passive",
            NpsBand::Promoter => "promoter",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            NpsBand::Detractor => "Detractor",
            NpsBand::Passive => "Passive",
            NpsBand::Promoter => "Promoter",
        }
    }
}

impl std::fmt::Display for NpsBand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
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
    fn trend_reads_as_people_expect() {
        assert_eq!(trend(12, 10).text, "+20 %");
        assert_eq!(trend(5, 10).text, "−50 %");
        assert_eq!(trend(5, 10).direction, "down");
        assert_eq!(trend(0, 0).text, "0 %");
        assert_eq!(trend(3, 0).text, "new");
    }
}
