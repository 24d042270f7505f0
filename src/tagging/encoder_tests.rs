//! Encoder tests: vectors against numpy reference values (scripts/reference_vectors.py).

use std::sync::OnceLock;

use super::*;

/// The shared test encoder. Without the model the test says so loudly and is skipped, except
/// under CI (`CI` set), where a missing model fails the test.
pub(crate) fn test_encoder(test: &str) -> Option<&'static Encoder> {
    static ENCODER: OnceLock<Result<Encoder, String>> = OnceLock::new();
    let loaded = ENCODER.get_or_init(|| Encoder::load_default().map_err(|e| e.to_string()));
    match loaded {
        Ok(e) => Some(e),
        Err(e) if std::env::var_os("CI").is_some() => {
            panic!(
                "{test}: {e} (CI is set, so the model must be installed: scripts/ensure-model.sh)"
            )
        }
        Err(e) => {
            eprintln!("SKIPPED {test}: {e}");
            None
        }
    }
}

#[derive(serde::Deserialize)]
struct Reference {
    sentences: Vec<ReferenceSentence>,
}

#[derive(serde::Deserialize)]
struct ReferenceSentence {
    text: String,
    n_tokens: usize,
    vector: Vec<f32>,
}

#[test]
fn vectors_match_reference_values() {
    let Some(enc) = test_encoder("vectors_match_reference_values") else {
        return;
    };
    let reference: Reference = serde_json::from_str(include_str!("testdata/minilm_reference.json"))
        .unwrap_or_else(|e| {
            panic!("testdata/minilm_reference.json: {e}");
        });
    assert_eq!(reference.sentences.len(), 5);
    let texts: Vec<&str> = reference
        .sentences
        .iter()
        .map(|s| s.text.as_str())
        .collect();
    let got = enc.embed(&texts);
    for (r, v) in reference.sentences.iter().zip(&got) {
        assert_eq!(enc.token_ids(&r.text).len(), r.n_tokens, "{:?}", r.text);
        assert_eq!(v.len(), 384);
        let worst = v
            .iter()
            .zip(&r.vector)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-3, "{:?}: max elementwise error {worst}", r.text);
        let cos = dot(v, &r.vector);
        assert!(cos > 0.9999, "{:?}: cosine {cos}", r.text);
    }
    // The long text is cut at sentence-transformers' 256 tokens, not the tokenizer's 128.
    assert_eq!(reference.sentences[4].n_tokens, MAX_TOKENS);
}

#[test]
fn a_vector_does_not_depend_on_its_batch() {
    let Some(enc) = test_encoder("a_vector_does_not_depend_on_its_batch") else {
        return;
    };
    let alone = enc.embed_one("card payment declined");
    let long = "why was my transfer to my landlord declined twice this morning";
    let mut texts = vec![long; 40];
    texts.insert(17, "card payment declined");
    let batch = enc.embed(&texts);
    assert_eq!(batch.len(), 41);
    let d = alone
        .iter()
        .zip(&batch[17])
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(d < 1e-5, "padding changed the vector by {d}");
    let norm: f32 = batch[0].iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-5);
    assert!(enc.embed(&[]).is_empty());
}

#[test]
fn paraphrases_are_closer_than_other_topics() {
    let Some(enc) = test_encoder("paraphrases_are_closer_than_other_topics") else {
        return;
    };
    let v = enc.embed(&[
        "my card has not arrived",
        "card never came",
        "I want my money back for this purchase",
    ]);
    let (near, far) = (dot(&v[0], &v[1]), dot(&v[0], &v[2]));
    assert!(near > far + 0.2, "paraphrase {near} vs other topic {far}");
}

#[test]
fn model_dir_prefers_the_environment() {
    let set = candidates_for(Some("/opt/minilm".into()));
    assert_eq!(set, vec![PathBuf::from("/opt/minilm")]);
    let unset = candidates_for(None);
    assert_eq!(unset[0], PathBuf::from(DEFAULT_MODEL_SUBDIR));
    assert!(unset.iter().all(|d| d.ends_with(DEFAULT_MODEL_SUBDIR)));
    assert_eq!(candidates_for(Some("".into())), unset);
    let missing = Encoder::load(Path::new("/nonexistent/model"));
    assert!(matches!(missing, Err(EncoderError::NotFound(_))));
}
