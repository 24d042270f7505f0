//! Net Promoter Score arithmetic: % promoters (9–10) minus % detractors (0–6) over those who answered.

pub mod chart;
pub mod db;
pub mod web;

use serde::Serialize;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nps_edge_cases() {
        assert_eq!(NpsCounts::default().score(), None, "no answers is no score");
        let passives = NpsCounts {
            promoters: 0,
            passives: 7,
            detractors: 0,
        };
        assert_eq!(passives.score(), Some(0.0), "all passives is exactly zero");
        let all_promoters = NpsCounts {
            promoters: 3,
            passives: 0,
            detractors: 0,
        };
        assert_eq!(all_promoters.score(), Some(100.0));
        let all_detractors = NpsCounts {
            promoters: 0,
            passives: 0,
            detractors: 2,
        };
        assert_eq!(all_detractors.score(), Some(-100.0));
        let mut mixed = NpsCounts::default();
        for s in [10, 9, 8, 7, 6, 0] {
            mixed.add_score(s);
        }
        assert_eq!(
            mixed,
            NpsCounts {
                promoters: 2,
                passives: 2,
                detractors: 2
            }
        );
        assert_eq!(mixed.score(), Some(0.0));
        let third = NpsCounts {
            promoters: 2,
            passives: 0,
            detractors: 1,
        };
        assert_eq!(third.rounded(), Some(33));
    }
}
