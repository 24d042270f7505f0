//! Per-engine evaluation tests on a small fixture.

use super::*;
use crate::tagging::encoder::tests::test_encoder;

fn fixture() -> Vec<LabelledText> {
    let rows = [
        ("my card has not arrived yet", "card"),
        ("still waiting for the new card in the post", "card"),
        ("the card you sent never came", "card"),
        ("when will my card be delivered", "card"),
        ("I want a refund for this purchase", "refund"),
        ("please give me my money back", "refund"),
        ("can I get reimbursed for the returned item", "refund"),
        ("how do I return an order and be repaid", "refund"),
        ("what is the weather like tomorrow", "oos"),
        ("play some jazz music for me", "oos"),
    ];
    rows.iter()
        .map(|(t, c)| LabelledText {
            text: t.to_string(),
            category: c.to_string(),
        })
        .collect()
}

#[test]
fn engines_parse_by_name() {
    assert_eq!("Semantic".parse::<Engine>(), Ok(Engine::Semantic));
    assert_eq!(
        "combined".parse::<Engine>().map(Engine::name),
        Ok("combined")
    );
    assert!("neural".parse::<Engine>().is_err());
}

#[test]
fn lexical_engine_needs_no_model_and_others_say_they_do() {
    let d = fixture();
    let opts = TaggingEvalOptions {
        shots: 2,
        seeds: vec![0],
        unassigned_label: None,
        category_names: false,
    };
    let r = eval_tagging_engine(
        &d[..8],
        &d[..8],
        &opts,
        Engine::Lexical,
        None,
        &Default::default(),
        None,
    );
    let r = r.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r["engine"], "lexical");
    assert!(r["accuracy"].as_f64().unwrap_or(0.0) > 0.7, "{r}");
    let err = eval_tagging_engine(
        &d,
        &d,
        &opts,
        Engine::Semantic,
        None,
        &Default::default(),
        None,
    );
    assert!(err.is_err_and(|e| e.contains("ensure-model.sh")));
    let c = eval_clustering_engine(&d, Some(3), 0, Engine::Lexical, None);
    assert_eq!(c.map(|c| c["k"].as_u64()), Ok(Some(3)));
}

#[test]
fn semantic_and_combined_report_accuracy_abstention_and_embedding_time() {
    let Some(enc) =
        test_encoder("semantic_and_combined_report_accuracy_abstention_and_embedding_time")
    else {
        return;
    };
    let d = fixture();
    let (train, test): (Vec<_>, Vec<_>) =
        d.iter().cloned().enumerate().partition(|(i, _)| i % 4 < 2);
    let train: Vec<LabelledText> = train.into_iter().map(|x| x.1).collect();
    let test: Vec<LabelledText> = test.into_iter().map(|x| x.1).collect();
    let opts = TaggingEvalOptions {
        shots: 2,
        seeds: vec![0, 1],
        unassigned_label: None,
        category_names: false,
    };
    for engine in [Engine::Semantic, Engine::Combined] {
        let r = eval_tagging_engine(
            &train,
            &test,
            &opts,
            engine,
            Some(enc),
            &Default::default(),
            None,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r["engine"], engine.name());
        assert_eq!(r["accuracy"].as_f64(), Some(1.0), "{r}");
        assert_eq!(r["per_seed"].as_array().map(Vec::len), Some(2));
        assert!(r["embedding_secs"].as_f64().is_some_and(|s| s > 0.0), "{r}");
        assert_eq!(r["embedded_texts"].as_u64(), Some(d.len() as u64), "{r}");
        // The few-arrivals path: every test text, 20 at a time (the fixture is smaller than
        // the sample), as right as the retag.
        assert_eq!(
            r["arrivals"]["items"].as_u64(),
            Some(test.len() as u64),
            "{r}"
        );
        assert_eq!(r["arrivals"]["accuracy"].as_f64(), Some(1.0), "{r}");
    }
    // With a vectors cache, a second run embeds nothing and scores the same.
    let file = std::env::temp_dir().join(format!("gt-eval-vectors-{}.bin", std::process::id()));
    let _ = std::fs::remove_file(&file);
    let run = || {
        let semantic = SemanticConfig::default();
        eval_tagging_engine(
            &train,
            &test,
            &opts,
            Engine::Semantic,
            Some(enc),
            &semantic,
            Some(&file),
        )
        .unwrap_or_else(|e| panic!("{e}"))
    };
    let (first, again) = (run(), run());
    let _ = std::fs::remove_file(&file);
    assert!(
        first["embedding_secs"].as_f64().is_some_and(|s| s > 0.0),
        "{first}"
    );
    assert_eq!(again["embedding_secs"].as_f64(), Some(0.0), "{again}");
    assert_eq!(again["accuracy"], first["accuracy"]);
    assert_eq!(
        again["embedded_texts"].as_u64(),
        Some(d.len() as u64),
        "{again}"
    );
    let c = eval_clustering_engine(&d[..8], Some(2), 0, Engine::Semantic, Some(enc))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c["nmi"].as_f64(), Some(1.0), "{c}");
    assert_eq!(c["labels"].as_array().map(Vec::len), Some(2));
}

#[test]
fn the_vectors_cache_file_reads_back_what_was_written_and_rejects_other_files() {
    let mut vectors = HashMap::new();
    vectors.insert(
        "my card has not arrived".to_string(),
        vec![0.25f32, -1.5, 3.0],
    );
    vectors.insert(
        "ünïcode, and a NUL \0 too".to_string(),
        vec![f32::MIN_POSITIVE, 0.0, 1e-7],
    );
    let mut bytes = Vec::new();
    write_vectors(&mut bytes, &vectors).unwrap();
    assert_eq!(read_vectors(&mut bytes.as_slice()).unwrap(), vectors);
    assert!(read_vectors(&mut b"text,category\n".as_slice()).is_err());
    // A file cut short is an error, not a partial cache.
    assert!(read_vectors(&mut &bytes[..bytes.len() - 2]).is_err());
}
