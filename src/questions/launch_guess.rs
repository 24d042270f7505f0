//! Which launch a question is about, guessed from its text: the launch whose name the question
//! uses (word stems, so "approval rule" finds "Approval rules"), with the keywords of the themes
//! it answers breaking ties. The guess is only offered; a person confirms it.

use std::collections::HashSet;

use crate::tagging::features::tokenize;

/// A launch that a question may be about.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: i64,
    pub name: String,
    /// Keyword phrases of the themes the launch answers.
    pub keywords: Vec<String>,
}

/// Words that say nothing about which launch is meant.
const STOP: &[&str] = &[
    "a", "an", "and", "the", "of", "for", "to", "in", "on", "with", "new", "v", "0", "00", "by",
    "at", "our", "your", "from", "is", "it", "beta", "ga",
];

fn stems(text: &str) -> Vec<String> {
    tokenize(text, true)
        .into_iter()
        .map(|t| t.stem)
        .filter(|s| !STOP.contains(&s.as_str()))
        .collect()
}

/// The best candidate and its score (0–1.5), when the question names it: every significant
/// word of a one- or two-word name, or at least two thirds of a longer one.
pub fn guess(text: &str, candidates: &[Candidate]) -> Option<(i64, f32)> {
    let words: HashSet<String> = stems(text).into_iter().collect();
    if words.is_empty() {
        return None;
    }
    let mut best: Option<(i64, f32)> = None;
    for c in candidates {
        let name: Vec<String> = stems(&c.name);
        if name.is_empty() {
            continue;
        }
        let hits = name.iter().filter(|w| words.contains(*w)).count();
        let share = hits as f32 / name.len() as f32;
        let enough = if name.len() <= 2 {
            hits == name.len()
        } else {
            share >= 2.0 / 3.0
        };
        if !enough {
            continue;
        }
        let keyword_hits = c
            .keywords
            .iter()
            .filter(|k| {
                let k = stems(k);
                !k.is_empty() && k.iter().all(|w| words.contains(w))
            })
            .count();
        // The longer name that fits is the more specific launch.
        let score = share + 0.1 * keyword_hits.min(5) as f32 + 0.01 * name.len().min(9) as f32;
        if best.is_none_or(|(_, s)| score > s) {
            best = Some((c.id, score));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: i64, name: &str, keywords: &[&str]) -> Candidate {
        Candidate {
            id,
            name: name.into(),
            keywords: keywords.iter().map(|k| (*k).to_owned()).collect(),
        }
    }

    #[test]
    fn a_question_naming_a_launch_finds_it() {
        let launches = [
            c(1, "Approval rules", &["approval"]),
            c(2, "Multi-currency wallets", &["currency", "fx"]),
            c(3, "Card controls for teams", &["card", "limit"]),
        ];
        assert_eq!(
            guess(
                "How do we tell customers about the new approval rule?",
                &launches
            )
            .map(|g| g.0),
            Some(1)
        );
        assert_eq!(
            guess("when do multi currency wallets ship?", &launches).map(|g| g.0),
            Some(2)
        );
        assert_eq!(
            guess("Can teams set card controls per person?", &launches).map(|g| g.0),
            Some(3)
        );
        assert_eq!(
            guess("Is there a discount for nonprofits?", &launches),
            None
        );
        assert_eq!(guess("", &launches), None);
    }

    #[test]
    fn the_guess_is_the_same_every_time() {
        let launches = [c(1, "Payouts", &[]), c(2, "Instant payouts", &["payout"])];
        let a = guess("do instant payouts work on weekends", &launches);
        for _ in 0..5 {
            assert_eq!(guess("do instant payouts work on weekends", &launches), a);
        }
        assert_eq!(a.map(|g| g.0), Some(2), "the more specific launch wins");
    }
}
