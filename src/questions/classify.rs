//! The awareness / readiness / other classifier: the tagging engine trained on a labelled seed
//! set of inbound questions (`data/questions/seed.csv`, provenance in its README) plus every
//! override people made. Pure: no SQL; the caller brings the overrides.

use super::Kind;
use crate::tagging::{Example, LabelSeed, Model, Polarity, TrainConfig};

/// The labelled seed set, bundled.
const SEED_CSV: &str = include_str!("../../data/questions/seed.csv");

/// An override counts as much as this many seed examples, so the next question like it is
/// classified like the override.
const OVERRIDE_WEIGHT: f32 = 4.0;

/// A labelled question.
#[derive(Debug, Clone, PartialEq)]
pub struct Labelled {
    pub text: String,
    pub kind: Kind,
}

/// What the classifier said of a question.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Classified {
    pub kind: Kind,
    /// The winning kind's share of the score, 0–1.
    pub confidence: f32,
}

/// Reads `text,kind[,…]` CSV (the header names the columns; other columns are ignored).
pub fn read_csv(data: &str) -> Result<Vec<Labelled>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(data.as_bytes());
    let headers = reader.headers().map_err(|e| e.to_string())?.clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
            .ok_or_else(|| format!("the header has no \"{name}\" column"))
    };
    let (text_at, kind_at) = (col("text")?, col("kind")?);
    let mut out = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let row = row.map_err(|e| format!("line {}: {e}", i + 2))?;
        let text = row.get(text_at).unwrap_or("").trim();
        let kind = row.get(kind_at).unwrap_or("");
        if text.is_empty() {
            continue;
        }
        let kind = Kind::parse(kind).ok_or_else(|| {
            format!(
                "line {}: \"{kind}\" is not a kind; use awareness, readiness or other",
                i + 2
            )
        })?;
        out.push(Labelled {
            text: text.to_owned(),
            kind,
        });
    }
    Ok(out)
}

/// The bundled seed set.
pub fn seed_set() -> Vec<Labelled> {
    read_csv(SEED_CSV).expect("the bundled seed set parses")
}

/// What each kind means, in the words of the labelling guide: the engine's label seeds.
fn kind_seeds() -> Vec<LabelSeed> {
    let seed = |kind: Kind, description: &str, keywords: &[&str]| LabelSeed {
        label: kind.id(),
        name: kind.label().to_owned(),
        description: description.to_owned(),
        keywords: keywords.iter().map(|k| (*k).to_owned()).collect(),
    };
    vec![
        seed(
            Kind::Awareness,
            "What does it do, when does it ship, is it supported, how do I turn it on.",
            &[
                "what does",
                "when does it ship",
                "is it supported",
                "how do i turn on",
                "does it work with",
            ],
        ),
        seed(
            Kind::Readiness,
            "How do we get our customers ready, which accounts are affected, what do we tell them, how do we migrate a customer.",
            &[
                "get customers ready",
                "which accounts",
                "what do we tell",
                "migrate customer",
                "talk track",
                "rollout plan",
            ],
        ),
        seed(
            Kind::Other,
            "Escalations, deal desk, pricing exceptions, bugs, outages, feature requests, access.",
            &[
                "escalation",
                "discount",
                "bug",
                "broken",
                "feature request",
                "exception",
                "outage",
            ],
        ),
    ]
}

/// The trained classifier.
pub struct Classifier {
    model: Model,
}

impl Classifier {
    /// Trained on the seed set plus `overrides` (people's corrections, newest last).
    pub fn train(seed: &[Labelled], overrides: &[Labelled]) -> Classifier {
        let example = |l: &Labelled, weight: f32| Example {
            text: l.text.clone(),
            label: l.kind.id(),
            polarity: Polarity::Positive,
            weight,
        };
        let examples: Vec<Example> = seed
            .iter()
            .map(|l| example(l, 1.0))
            .chain(overrides.iter().map(|l| example(l, OVERRIDE_WEIGHT)))
            .collect();
        Classifier {
            model: Model::train(&kind_seeds(), &examples, &TrainConfig::default()),
        }
    }

    /// The classifier as shipped: the bundled seed set and the given overrides.
    pub fn shipped(overrides: &[Labelled]) -> Classifier {
        Classifier::train(&seed_set(), overrides)
    }

    /// Every question gets a kind (there is no "none"): the best-scoring one.
    pub fn classify(&self, text: &str) -> Classified {
        let scores = self.model.scores(text);
        let total: f32 = scores.iter().map(|(_, s)| s.max(0.0)).sum();
        let best = scores
            .iter()
            .copied()
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
            .unwrap_or((Kind::Other.id(), 0.0));
        Classified {
            kind: Kind::from_id(best.0),
            confidence: if total > 0.0 {
                (best.1.max(0.0) / total).clamp(0.0, 1.0)
            } else {
                0.0
            },
        }
    }
}

/// Precision and recall of one kind.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct KindScore {
    pub precision: f64,
    pub recall: f64,
}

/// Accuracy and per-kind precision/recall of `classifier` on `test`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Evaluation {
    pub accuracy: f64,
    pub per_kind: std::collections::BTreeMap<&'static str, KindScore>,
    pub n: usize,
}

pub fn evaluate(classifier: &Classifier, test: &[Labelled]) -> Evaluation {
    let predicted: Vec<Kind> = test
        .iter()
        .map(|l| classifier.classify(&l.text).kind)
        .collect();
    score(test, &predicted)
}

fn score(test: &[Labelled], predicted: &[Kind]) -> Evaluation {
    let right = test
        .iter()
        .zip(predicted)
        .filter(|(l, p)| l.kind == **p)
        .count();
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let per_kind = Kind::ALL
        .iter()
        .map(|k| {
            let tp = test
                .iter()
                .zip(predicted)
                .filter(|(l, p)| l.kind == *k && **p == *k)
                .count();
            let said = predicted.iter().filter(|p| **p == *k).count();
            let actual = test.iter().filter(|l| l.kind == *k).count();
            (
                k.as_str(),
                KindScore {
                    precision: ratio(tp, said),
                    recall: ratio(tp, actual),
                },
            )
        })
        .collect();
    Evaluation {
        accuracy: ratio(right, test.len()),
        per_kind,
        n: test.len(),
    }
}

/// Stratified-by-position k-fold cross-validation of the seed set (fold = index mod k).
pub fn cross_validate(data: &[Labelled], k: usize) -> Evaluation {
    let k = k.max(2);
    let mut predicted = vec![Kind::Other; data.len()];
    for fold in 0..k {
        let train: Vec<Labelled> = data
            .iter()
            .enumerate()
            .filter(|(i, _)| i % k != fold)
            .map(|(_, l)| l.clone())
            .collect();
        let classifier = Classifier::train(&train, &[]);
        for (i, l) in data.iter().enumerate().filter(|(i, _)| i % k == fold) {
            predicted[i] = classifier.classify(&l.text).kind;
        }
    }
    score(data, &predicted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_set_is_labelled_and_varied() {
        let seed = seed_set();
        assert!(seed.len() >= 300, "{}", seed.len());
        for kind in Kind::ALL {
            assert!(
                seed.iter().filter(|l| l.kind == kind).count() >= 90,
                "{kind:?}"
            );
        }
    }

    #[test]
    fn the_same_data_gives_the_same_answers() {
        let a = Classifier::shipped(&[]);
        let b = Classifier::shipped(&[]);
        for q in [
            "When does virtual cards go GA?",
            "How should we tell our enterprise accounts about the new approval rules before renewal?",
            "Customer is asking for a 20% discount, who can approve?",
        ] {
            assert_eq!(a.classify(q), b.classify(q), "{q}");
        }
    }

    #[test]
    fn clear_questions_get_their_kind() {
        let c = Classifier::shipped(&[]);
        assert_eq!(
            c.classify("What does real-time transfer tracking actually do?")
                .kind,
            Kind::Awareness
        );
        assert_eq!(
            c.classify(
                "Which of my accounts are affected by the fee change and what do we tell them?"
            )
            .kind,
            Kind::Readiness
        );
        assert_eq!(
            c.classify("The tracking page throws a 500 error for Northwind, can someone look?")
                .kind,
            Kind::Other
        );
    }

    #[test]
    fn an_override_teaches_the_next_question_like_it() {
        let question = "Can the Hollis team get early access to the treasury dashboard pilot?";
        let before = Classifier::shipped(&[]).classify(question).kind;
        let wanted = if before == Kind::Readiness {
            Kind::Awareness
        } else {
            Kind::Readiness
        };
        let overrides = [Labelled {
            text: question.to_owned(),
            kind: wanted,
        }];
        let after = Classifier::shipped(&overrides);
        assert_eq!(after.classify(question).kind, wanted);
        assert_eq!(
            after
                .classify(
                    "Can the Hollis team get early access to the treasury dashboard pilot too?"
                )
                .kind,
            wanted,
            "a question like the override is classified like it"
        );
    }

    #[test]
    fn csv_errors_name_the_line() {
        let err = read_csv("text,kind\nhello,awareness\nbye,maybe\n").unwrap_err();
        assert!(err.contains("line 3"), "{err}");
        assert!(
            read_csv("body,label\nx,y\n")
                .unwrap_err()
                .contains("\"text\"")
        );
    }
}
