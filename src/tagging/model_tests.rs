//! Tests of `tagging::model`.

use super::*;

fn ex(text: &str, label: LabelId) -> Example {
    Example {
        text: text.to_string(),
        label,
        polarity: Polarity::Positive,
        weight: 1.0,
    }
}

fn training_set() -> Vec<Example> {
    let groups: [(LabelId, &[&str]); 3] = [
        (
            1,
            &[
                "my card has not arrived yet",
                "when will my new card arrive",
                "still waiting for my card to be delivered",
                "card delivery is taking too long",
                "how long does card delivery take",
            ],
        ),
        (
            2,
            &[
                "I want a refund for this purchase",
                "how do I get my money back",
                "refund has not shown up in my account",
                "please refund the duplicate charge",
                "can I request a refund",
            ],
        ),
        (
            3,
            &[
                "I forgot my password",
                "how do I reset my password",
                "password reset link does not work",
                "cannot log in, wrong password",
                "change my login password",
            ],
        ),
    ];
    groups
        .iter()
        .flat_map(|(l, ts)| ts.iter().map(move |t| ex(t, *l)))
        .collect()
}

#[test]
fn learns_and_is_deterministic_for_same_seed() {
    let data = training_set();
    let cfg = TrainConfig::default();
    let a = Model::train(&[], &data, &cfg);
    let b = Model::train(&[], &data, &cfg);
    assert_eq!(a.labels(), &[1, 2, 3]);
    for t in [
        "where is my card",
        "refund please",
        "reset password",
        "",
        "🙂",
    ] {
        assert_eq!(a.scores(t), b.scores(t), "scores differ for {t:?}");
    }
    assert_eq!(
        a.classify("my card still has not arrived").map(|p| p.label),
        Some(1)
    );
    assert_eq!(
        a.classify("I would like a refund").map(|p| p.label),
        Some(2)
    );
    assert_eq!(
        a.classify("reset my password please").map(|p| p.label),
        Some(3)
    );
    // scores: every label, sorted, within 0..=1
    let s = a.scores("my card has not arrived");
    assert_eq!(s.len(), 3);
    assert!(s.windows(2).all(|w| w[0].1 >= w[1].1));
    assert!(s.iter().all(|(_, p)| (0.0..=1.0).contains(p)));
    // different seed: still a valid model with the same predictions on clear cases
    let c = Model::train(
        &[],
        &data,
        &TrainConfig {
            seed: 99,
            ..cfg.clone()
        },
    );
    assert_eq!(
        c.classify("I would like a refund").map(|p| p.label),
        Some(2)
    );
}

#[test]
fn abstains_on_unrelated_text() {
    let m = Model::train(&[], &training_set(), &TrainConfig::default());
    assert!(
        m.classify("The weather in Paris is lovely and sunny today")
            .is_none()
    );
    assert!(m.classify("xyzzy plugh").is_none());
    assert!(m.classify("").is_none());
    // one class only: softmax would always say 1.0, the similarity gate must still abstain
    let one: Vec<Example> = training_set()
        .into_iter()
        .filter(|e| e.label == 2)
        .collect();
    let m1 = Model::train(&[], &one, &TrainConfig::default());
    assert_eq!(m1.labels(), &[2]);
    assert!(
        m1.classify("The weather in Paris is lovely and sunny today")
            .is_none()
    );
    assert_eq!(m1.classify("I want my refund").map(|p| p.label), Some(2));
}

#[test]
fn rejection_changes_outcome() {
    let mut data = training_set();
    let text = "card refund";
    let cfg = TrainConfig::default();
    let before = Model::train(&[], &data, &cfg)
        .classify(text)
        .map(|p| p.label);
    let Some(rejected) = before else {
        panic!("expected a label before the rejection");
    };
    data.push(Example {
        text: text.to_string(),
        label: rejected,
        polarity: Polarity::Negative,
        weight: 1.0,
    });
    let after = Model::train(&[], &data, &cfg);
    assert_ne!(after.classify(text).map(|p| p.label), Some(rejected));
    let score_of = |m: &Model| {
        m.scores(text)
            .into_iter()
            .find(|(l, _)| *l == rejected)
            .map_or(1.0, |s| s.1)
    };
    assert!(score_of(&after) < 0.05);
    // the label itself still works for its own texts
    let own = if rejected == 1 {
        "when will my new card arrive"
    } else {
        "I want a refund for this purchase"
    };
    assert_eq!(after.classify(own).map(|p| p.label), Some(rejected));
}

#[test]
fn seeds_alone_catch_obvious_matches() {
    let seeds = vec![
        LabelSeed {
            label: 10,
            name: "Dark mode".into(),
            description: "Requests for a dark theme".into(),
            keywords: vec!["night mode".into(), "dark theme".into()],
        },
        LabelSeed {
            label: 11,
            name: "Export to CSV".into(),
            description: "Users want to download their data as a spreadsheet".into(),
            keywords: vec!["csv export".into(), "excel".into()],
        },
    ];
    let m = Model::train(&seeds, &[], &TrainConfig::default());
    assert_eq!(m.labels(), &[10, 11]);
    assert_eq!(
        m.classify("please add a dark mode").map(|p| p.label),
        Some(10)
    );
    assert_eq!(
        m.classify("I need to export my data to CSV")
            .map(|p| p.label),
        Some(11)
    );
    assert!(
        m.classify("the checkout button is broken on mobile")
            .is_none()
    );
}

#[test]
fn odd_inputs_do_not_panic() {
    let cfg = TrainConfig::default();
    let empty = Model::train(&[], &[], &cfg);
    assert!(empty.labels().is_empty());
    assert!(empty.scores("anything").is_empty());
    assert!(empty.classify("anything").is_none());
    let odd = vec![
        Example {
            text: String::new(),
            label: 1,
            polarity: Polarity::Positive,
            weight: 1.0,
        },
        Example {
            text: "🙂🙂🙂".into(),
            label: 1,
            polarity: Polarity::Positive,
            weight: f32::NAN,
        },
        Example {
            text: "x".repeat(1_000_000),
            label: 2,
            polarity: Polarity::Positive,
            weight: 1.0,
        },
        Example {
            text: "only negative".into(),
            label: 3,
            polarity: Polarity::Negative,
            weight: 1.0,
        },
        Example {
            text: "negative weight".into(),
            label: 2,
            polarity: Polarity::Positive,
            weight: -5.0,
        },
    ];
    let m = Model::train_with_unlabelled(&[], &odd, &["", "🙂", "x x x"], &cfg);
    // label 3 has only a rejection: not a label
    assert_eq!(m.labels(), &[1, 2]);
    for t in ["", "🙂", "\u{0}", &"word ".repeat(200_000)] {
        let s = m.scores(t);
        assert_eq!(s.len(), 2);
        assert!(
            s.iter()
                .all(|(_, p)| p.is_finite() && (0.0..=1.0).contains(p))
        );
    }
    let weird = TrainConfig {
        epochs: 0,
        learning_rate: f32::NAN,
        l2: f32::INFINITY,
        ..cfg
    };
    let m = Model::train(&[], &training_set(), &weird);
    assert!(m.scores("refund").iter().all(|(_, p)| p.is_finite()));
}

#[test]
fn serde_roundtrip_keeps_scores() {
    let m = Model::train(&[], &training_set(), &TrainConfig::default());
    let json = serde_json::to_string(&m).unwrap_or_default();
    let back: Option<Model> = serde_json::from_str(&json).ok();
    let Some(back) = back else {
        panic!("model did not deserialize")
    };
    assert_eq!(
        m.scores("refund for my card"),
        back.scores("refund for my card")
    );
}

#[test]
fn model_is_send_sync_clone() {
    fn check<T: Send + Sync + Clone>() {}
    check::<Model>();
}
