//! Keyword rules: a theme's keyword phrases found in a text, inflected ("fees" finds "fee",
//! "declined" finds "decline") and embedded ("card declined" finds "my card was declined at
//! the till"; "top up" finds "topup"). The model learns from keywords too, but a phrase a PM
//! wrote down is a promise that the text is about the theme, so it is honoured as a rule.

use super::features::tokenize;
use super::model::LabelId;

/// Words that may stand between a phrase's words ("card was declined").
const MAX_GAP: usize = 2;

/// Compiled keyword phrases of every label.
#[derive(Debug, Clone, Default)]
pub struct KeywordRules {
    /// (label, phrases as stem sequences), phrases of one word or more.
    rules: Vec<(LabelId, Vec<Vec<String>>)>,
}

fn stems(text: &str) -> Vec<String> {
    tokenize(text, true).into_iter().map(|t| t.stem).collect()
}

impl KeywordRules {
    /// Rules from `(label, keyword phrases)`; empty phrases are skipped.
    pub fn new<'a>(labels: impl IntoIterator<Item = (LabelId, &'a [String])>) -> Self {
        let rules = labels
            .into_iter()
            .map(|(label, phrases)| {
                let compiled: Vec<Vec<String>> = phrases
                    .iter()
                    .map(|p| stems(p))
                    .filter(|s| !s.is_empty())
                    .collect();
                (label, compiled)
            })
            .filter(|(_, p)| !p.is_empty())
            .collect();
        KeywordRules { rules }
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Every label with a phrase found in `text`, in rule order.
    pub fn matches(&self, text: &str) -> Vec<LabelId> {
        let words = stems(text);
        if words.is_empty() {
            return Vec::new();
        }
        self.rules
            .iter()
            .filter(|(_, phrases)| phrases.iter().any(|p| occurs(p, &words)))
            .map(|(label, _)| *label)
            .collect()
    }
}

/// Whether `phrase` occurs in `words`: its words in order with at most [`MAX_GAP`] others
/// between each, or all of it written as one word ("top up" in "topup").
fn occurs(phrase: &[String], words: &[String]) -> bool {
    if phrase.len() > 1 {
        let joined: String = phrase.concat();
        if words.contains(&joined) {
            return true;
        }
    }
    'start: for start in 0..words.len() {
        if words[start] != phrase[0] {
            continue;
        }
        let mut at = start;
        for next in &phrase[1..] {
            let window = (at + 1)..(at + 2 + MAX_GAP).min(words.len());
            match window.clone().find(|i| words[*i] == *next) {
                Some(i) => at = i,
                None => continue 'start,
            }
        }
        return true;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> KeywordRules {
        let fees = ["fees".to_string(), "exchange rate".to_string()];
        let declined = ["card declined".to_string()];
        let topup = ["top up".to_string()];
        KeywordRules::new([(1, &fees[..]), (2, &declined[..]), (3, &topup[..])])
    }

    #[test]
    fn finds_inflected_and_embedded_phrases() {
        let r = rules();
        assert_eq!(
            r.matches("FX fees could be clearer on each transaction"),
            [1]
        );
        assert_eq!(r.matches("the fee on transfers is too high"), [1]);
        assert_eq!(r.matches("My card was declined at the till"), [2]);
        assert_eq!(r.matches("Cards declined abroad again"), [2]);
        assert_eq!(r.matches("my topup never arrived"), [3]);
        assert_eq!(r.matches("Which exchange rates do you use?"), [1]);
    }

    #[test]
    fn does_not_match_scattered_words() {
        let r = rules();
        assert!(
            r.matches("I declined the offer; my card is fine")
                .is_empty()
        );
        assert!(r.matches("").is_empty());
        assert!(r.matches("rate of exchange").is_empty(), "order matters");
    }
}
