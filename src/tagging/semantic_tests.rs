//! Semantic classifier tests: synthetic vectors for the mechanics, the real encoder for meaning.

use super::*;
use crate::tagging::encoder::tests::test_encoder;
use crate::tagging::vectors::normalize;

/// A unit vector near axis `axis`, wobbling by `i`.
fn near(axis: usize, i: usize) -> Vec<f32> {
    let mut v = vec![0.0f32; 8];
    v[axis] = 1.0;
    v[(axis + 1 + i % 2) % 8] = 0.05 * (1 + i % 3) as f32;
    normalize(&mut v);
    v
}

fn example(vector: Vec<f32>, label: LabelId, polarity: Polarity) -> VectorExample {
    VectorExample {
        vector,
        label,
        polarity,
        weight: 1.0,
    }
}

#[test]
fn propagates_labels_and_leaves_unrelated_items_untagged() {
    let mut ex = Vec::new();
    for i in 0..3 {
        ex.push(example(near(0, i), 10, Polarity::Positive));
        ex.push(example(near(3, i), 20, Polarity::Positive));
    }
    // Unlabelled: 20 near theme 10, 20 near theme 20, 20 about something else (axis 6).
    let unl: Vec<Vec<f32>> = (0..60).map(|i| near([0, 3, 6][i % 3], i + 5)).collect();
    let refs: Vec<&[f32]> = unl.iter().map(Vec::as_slice).collect();
    let trained = train(&ex, &refs, &SemanticConfig::default());
    assert_eq!(trained.labels, [10, 20]);
    assert_eq!(trained.unlabelled.len(), 60);
    for (i, a) in trained.unlabelled.iter().enumerate() {
        let total = a.label_probs.iter().sum::<f32>() + a.untagged;
        match i % 3 {
            0 => assert_eq!(a.best().map(|b| b.0), Some(0), "item {i}: {a:?}"),
            1 => assert_eq!(a.best().map(|b| b.0), Some(1), "item {i}: {a:?}"),
            _ => assert!(a.abstains(), "item {i} should stay untagged: {a:?}"),
        }
        assert!(i % 3 == 2 || !a.abstains(), "item {i}: {a:?}");
        assert!(total == 0.0 || (total - 1.0).abs() < 1e-4, "{total}");
    }
}

#[test]
fn the_sink_keeps_its_weight_as_the_graph_grows() {
    // A graph of the reference density or sparser keeps the setting; 4× as many items per
    // theme get an eighth.
    let reference = (SINK_REFERENCE_PER_THEME * 10.0).round() as usize;
    let at_reference = sink_mass(0.01, 50.0, 10, reference);
    assert!((at_reference - 0.05).abs() < 1e-3, "{at_reference}");
    let bigger = sink_mass(0.01, 50.0, 10, 4 * reference);
    assert!((bigger - 0.05 / 8.0).abs() < 1e-3, "{bigger}");
    let smaller = sink_mass(0.01, 50.0, 10, 24);
    assert!((smaller - 0.05).abs() < 1e-6, "{smaller}");
    // The density is per theme: three themes over 4 × 3 × reference items are as dense as ten
    // over 4 × 10 × reference.
    let few_themes = sink_mass(0.01, 15.0, 3, 4 * reference * 3 / 10);
    assert!((few_themes - 0.05 / 8.0).abs() < 1e-3, "{few_themes}");
}

#[test]
fn a_rejection_vetoes_its_label_for_near_duplicates() {
    let mut ex = vec![
        example(near(0, 0), 1, Polarity::Positive),
        example(near(0, 1), 1, Polarity::Positive),
        example(near(4, 0), 2, Polarity::Positive),
    ];
    let rejected = near(0, 2);
    let trained = train(&ex, &[rejected.as_slice()], &SemanticConfig::default());
    assert_eq!(trained.unlabelled[0].best().map(|b| b.0), Some(0));
    ex.push(example(rejected.clone(), 1, Polarity::Negative));
    let trained = train(&ex, &[rejected.as_slice()], &SemanticConfig::default());
    assert_eq!(trained.unlabelled[0].label_probs[0], 0.0);
    assert_ne!(trained.unlabelled[0].best().map(|b| b.0), Some(0));
    // Nothing to learn from: no labels, every item untagged.
    let empty = train(&[], &[rejected.as_slice()], &SemanticConfig::default());
    assert!(empty.labels.is_empty() && empty.unlabelled[0].abstains());
}

#[test]
fn seed_texts_are_name_description_and_keywords() {
    let seed = LabelSeed {
        label: 3,
        name: "Card delivery".into(),
        description: "Cards that are late or lost in the post".into(),
        keywords: vec!["card not arrived".into(), "  ".into()],
    };
    assert_eq!(
        seed_texts(&seed),
        [
            "Card delivery. Cards that are late or lost in the post",
            "card not arrived"
        ]
    );
}

#[test]
fn themes_from_real_text_tag_paraphrases_by_meaning() {
    let Some(enc) = test_encoder("themes_from_real_text_tag_paraphrases_by_meaning") else {
        return;
    };
    let seeds = [
        LabelSeed {
            label: 1,
            name: "Card delivery".into(),
            description: "My new card has not arrived".into(),
            keywords: vec!["card still not here".into()],
        },
        LabelSeed {
            label: 2,
            name: "Refunds".into(),
            description: "Customers asking for their money back".into(),
            keywords: vec!["refund my purchase".into()],
        },
    ];
    let mut ex = Vec::new();
    for s in &seeds {
        let texts = seed_texts(s);
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        for v in enc.embed(&refs) {
            ex.push(example(v, s.label, Polarity::Positive));
        }
    }
    // No word of "parcel with the plastic" or "reimburse" appears in the seeds.
    let items = [
        "the parcel with the plastic never showed up",
        "can you reimburse me for the order I sent back",
    ];
    let vecs = enc.embed(&items);
    let refs: Vec<&[f32]> = vecs.iter().map(Vec::as_slice).collect();
    let trained = train(&ex, &refs, &SemanticConfig::default());
    assert_eq!(trained.labels, [1, 2]);
    let [delivery, refund] = &trained.unlabelled[..] else {
        panic!("{:?}", trained.unlabelled);
    };
    assert_eq!(delivery.best().map(|b| b.0), Some(0), "{delivery:?}");
    assert_eq!(refund.best().map(|b| b.0), Some(1), "{refund:?}");
    assert!(!delivery.abstains() && !refund.abstains());
}

#[test]
fn in_a_graph_too_small_to_centre_an_item_far_from_every_theme_stays_untagged() {
    let ex = vec![
        example(near(0, 0), 1, Polarity::Positive),
        example(near(4, 0), 2, Polarity::Positive),
    ];
    let (close, far) = (near(0, 1), near(6, 0));
    let trained = train(
        &ex,
        &[close.as_slice(), far.as_slice()],
        &SemanticConfig::default(),
    );
    assert_eq!(trained.unlabelled[0].best().map(|b| b.0), Some(0));
    assert!(!trained.unlabelled[0].abstains());
    assert!(
        trained.unlabelled[1].abstains(),
        "{:?}",
        trained.unlabelled[1]
    );
    assert_eq!(trained.unlabelled[1].untagged, 1.0);
}
