//! `goldthread eval` per engine: lexical (TF-IDF), semantic (sentence vectors) or both combined, with embedding time.

use std::collections::{HashMap, HashSet};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::{Value, json};

use super::batch;
use super::embed_cluster::cluster_vectors;
use super::encoder::Encoder;
use super::eval::{LabelledText, TaggingEvalOptions, eval_clustering, nmi_ari, run_tagging_eval};
use super::model::{Example, LabelId, Model, TrainConfig};
use super::semantic::{Assessment, SemanticConfig, VectorExample};

/// Which engine tags and clusters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// Words and character n-grams (TF-IDF); needs no model.
    Lexical,
    /// Sentence vectors only.
    Semantic,
    /// Sentence vectors, with the lexical model's scores mixed in (clustering: semantic).
    Combined,
}

impl std::str::FromStr for Engine {
    type Err = String;
    fn from_str(s: &str) -> Result<Engine, String> {
        match s.to_ascii_lowercase().as_str() {
            "lexical" => Ok(Engine::Lexical),
            "semantic" => Ok(Engine::Semantic),
            "combined" => Ok(Engine::Combined),
            other => Err(format!(
                "unknown engine {other:?} (lexical, semantic or combined)"
            )),
        }
    }
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Lexical => "lexical",
            Engine::Semantic => "semantic",
            Engine::Combined => "combined",
        }
    }

    /// The engine the app uses: combined when the sentence-encoder model is installed.
    pub fn app_default() -> Engine {
        if super::encoder::model_dir().is_ok() {
            Engine::Combined
        } else {
            Engine::Lexical
        }
    }
}

/// Sentence vectors computed once per distinct text, with the time spent; optionally kept in a
/// file between runs (`goldthread eval … --vectors-cache FILE`), so repeated evaluations of the
/// same texts embed nothing (delete the file when the model changes).
pub struct EmbeddingCache<'e> {
    encoder: &'e Encoder,
    vectors: HashMap<String, Vec<f32>>,
    file: Option<PathBuf>,
    pub secs: f64,
}

const CACHE_MAGIC: &[u8; 4] = b"GTV1";

impl<'e> EmbeddingCache<'e> {
    pub fn new(encoder: &'e Encoder) -> Self {
        EmbeddingCache {
            encoder,
            vectors: HashMap::new(),
            file: None,
            secs: 0.0,
        }
    }

    /// A cache that starts from the vectors in `file` (when it exists and is readable) and
    /// writes every newly embedded vector back to it.
    pub fn with_file(encoder: &'e Encoder, file: &Path) -> Self {
        let mut cache = EmbeddingCache::new(encoder);
        if let Ok(f) = std::fs::File::open(file) {
            match read_vectors(&mut BufReader::new(f)) {
                Ok(v) => cache.vectors = v,
                Err(e) => {
                    tracing::warn!(file = %file.display(), error = %e, "ignoring the vectors cache")
                }
            }
        }
        cache.file = Some(file.to_path_buf());
        cache
    }

    /// Embed the texts not seen yet, in one batch run.
    pub fn add(&mut self, texts: &[&str]) {
        let mut missing: Vec<&str> = texts
            .iter()
            .copied()
            .filter(|t| !self.vectors.contains_key(*t))
            .collect();
        missing.sort_unstable();
        missing.dedup();
        if missing.is_empty() {
            return;
        }
        let t0 = Instant::now();
        let vecs = self.encoder.embed(&missing);
        self.secs += t0.elapsed().as_secs_f64();
        for (t, v) in missing.into_iter().zip(vecs) {
            self.vectors.insert(t.to_string(), v);
        }
        if let Some(file) = &self.file {
            let written = std::fs::File::create(file)
                .and_then(|f| write_vectors(&mut BufWriter::new(f), &self.vectors));
            if let Err(e) = written {
                tracing::warn!(file = %file.display(), error = %e, "cannot write the vectors cache");
            }
        }
    }

    /// The vector of a text given to [`EmbeddingCache::add`] (empty otherwise).
    pub fn get(&self, text: &str) -> &[f32] {
        self.vectors.get(text).map_or(&[], Vec::as_slice)
    }

    /// How many distinct texts were embedded.
    pub fn len(&self) -> usize {
        self.vectors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.vectors.is_empty()
    }
}

fn write_vectors(w: &mut impl Write, vectors: &HashMap<String, Vec<f32>>) -> std::io::Result<()> {
    w.write_all(CACHE_MAGIC)?;
    for (text, v) in vectors {
        w.write_all(&(text.len() as u32).to_le_bytes())?;
        w.write_all(text.as_bytes())?;
        w.write_all(&(v.len() as u32).to_le_bytes())?;
        for x in v {
            w.write_all(&x.to_le_bytes())?;
        }
    }
    w.flush()
}

fn read_vectors(r: &mut impl Read) -> std::io::Result<HashMap<String, Vec<f32>>> {
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string());
    let mut magic = [0u8; 4];
    r.read_exact(&mut magic)?;
    if &magic != CACHE_MAGIC {
        return Err(bad("not a Goldthread vectors cache"));
    }
    let mut out = HashMap::new();
    let mut word = [0u8; 4];
    loop {
        match r.read_exact(&mut word) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(out),
            Err(e) => return Err(e),
        }
        let mut text = vec![0u8; u32::from_le_bytes(word) as usize];
        r.read_exact(&mut text)?;
        let text = String::from_utf8(text).map_err(|_| bad("a text is not UTF-8"))?;
        r.read_exact(&mut word)?;
        let mut bytes = vec![0u8; u32::from_le_bytes(word) as usize * 4];
        r.read_exact(&mut bytes)?;
        let v = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        out.insert(text, v);
    }
}

fn need_encoder(engine: Engine, encoder: Option<&Encoder>) -> Result<Option<&Encoder>, String> {
    match (engine, encoder) {
        (Engine::Lexical, _) => Ok(None),
        (_, Some(e)) => Ok(Some(e)),
        (_, None) => Err(format!(
            "the {} engine needs the sentence-encoder model (scripts/ensure-model.sh)",
            engine.name()
        )),
    }
}

/// Test texts the few-arrivals figures (`arrivals`) are measured on, and how many arrive at once.
const ARRIVALS_SAMPLE: usize = 600;
const ARRIVAL_BATCH: usize = 20;

/// The examples' vectors (embedded into `cache` first).
fn vector_examples(cache: &mut EmbeddingCache<'_>, examples: &[Example]) -> Vec<VectorExample> {
    let texts: Vec<&str> = examples.iter().map(|e| e.text.as_str()).collect();
    cache.add(&texts);
    examples
        .iter()
        .map(|e| VectorExample {
            vector: cache.get(&e.text).to_vec(),
            label: e.label,
            polarity: e.polarity,
            weight: e.weight,
        })
        .collect()
}

/// Few-shot tagging evaluation with `engine`: the JSON of [`super::eval_tagging`] plus
/// `engine`, `embedding_secs` and `embedded_texts`. The headline figures are a retag's (the test
/// texts assessed together in graphs of their own, [`batch::assess`]); the `arrivals` block is
/// the same path for items that arrive a few at a time (batches of [`ARRIVAL_BATCH`], each in a
/// graph padded with other texts), on an even sample of the test texts.
pub fn eval_tagging_engine(
    train: &[LabelledText],
    test: &[LabelledText],
    opts: &TaggingEvalOptions,
    engine: Engine,
    encoder: Option<&Encoder>,
    semantic: &SemanticConfig,
    vectors_cache: Option<&Path>,
) -> Result<Value, String> {
    let Some(encoder) = need_encoder(engine, encoder)? else {
        let mut out = super::eval::eval_tagging(train, test, opts);
        out["engine"] = json!("lexical");
        out["embedding_secs"] = json!(0.0);
        return Ok(out);
    };
    let mut cache = match vectors_cache {
        Some(file) => EmbeddingCache::with_file(encoder, file),
        None => EmbeddingCache::new(encoder),
    };
    let test_texts: Vec<&str> = test.iter().map(|t| t.text.as_str()).collect();
    cache.add(&test_texts);
    let test_vectors: Vec<Vec<f32>> = test_texts.iter().map(|t| cache.get(t).to_vec()).collect();
    let test_refs: Vec<&[f32]> = test_vectors.iter().map(Vec::as_slice).collect();
    // Other items, as the app has recent ones: the training texts not used as examples, evenly
    // sampled to pad every graph to `graph_items` unlabelled nodes.
    let mut pool: Vec<&str> = train.iter().map(|t| t.text.as_str()).collect();
    pool.sort_unstable();
    pool.dedup();
    let in_test: HashSet<&str> = test_texts.iter().copied().collect();
    pool.retain(|t| !in_test.contains(t));
    let sampled = |n: usize| -> Vec<&str> {
        let step = pool.len().div_ceil(n.max(1)).max(1);
        pool.iter().step_by(step).copied().collect()
    };
    let pad_pool = sampled(semantic.graph_items);
    cache.add(&pad_pool);
    let others = |cache: &EmbeddingCache<'_>, pool: &[&str], examples: &[Example]| {
        let used: HashSet<&str> = examples.iter().map(|e| e.text.as_str()).collect();
        pool.iter()
            .filter(|t| !used.contains(**t))
            .map(|t| cache.get(t).to_vec())
            .collect::<Vec<Vec<f32>>>()
    };
    let lexical = TrainConfig::default();
    let share = if engine == Engine::Combined {
        semantic.lexical_share.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let lexical_model = |seed: u64, examples: &[Example]| {
        (share > 0.0).then(|| {
            let cfg = TrainConfig {
                seed,
                ..lexical.clone()
            };
            Model::train_with_unlabelled(&[], examples, &test_texts, &cfg)
        })
    };
    let lexical_scores = |lex: &Option<Model>, text: &str| -> HashMap<LabelId, f32> {
        lex.as_ref()
            .map(|m| m.scores(text).into_iter().collect())
            .unwrap_or_default()
    };
    let pick = |labels: &[LabelId], a: &Assessment, lex: &HashMap<LabelId, f32>, abstain: bool| {
        if abstain {
            batch::decide(labels, a, lex, share).map(|p| p.label)
        } else {
            batch::ranked(labels, a, lex, share).first().map(|s| s.0)
        }
    };
    let mut out = run_tagging_eval(train, test, opts, |seed, examples, abstain| {
        let pad = others(&cache, &pad_pool, examples);
        let pad: Vec<&[f32]> = pad.iter().map(Vec::as_slice).collect();
        let vex = vector_examples(&mut cache, examples);
        let assessed = batch::assess(&vex, &pad, &test_refs, semantic);
        let lex = lexical_model(seed, examples);
        assessed
            .items
            .iter()
            .zip(&test_texts)
            .map(|(a, text)| pick(&assessed.labels, a, &lexical_scores(&lex, text), abstain))
            .collect()
    });
    // Items that arrive a few at a time (a webhook, the form): each small batch is assessed in
    // a graph of its own, padded with other texts, as the app does. A graph costs the same
    // however few items it tags, so this runs on an even sample of the test texts.
    let step = test.len().div_ceil(ARRIVALS_SAMPLE).max(1);
    let picked: Vec<usize> = (0..test.len()).step_by(step).collect();
    let arrival_test: Vec<LabelledText> = picked.iter().map(|&i| test[i].clone()).collect();
    let arrivals = run_tagging_eval(train, &arrival_test, opts, |seed, examples, abstain| {
        let pad = others(&cache, &pad_pool, examples);
        let pad: Vec<&[f32]> = pad.iter().map(Vec::as_slice).collect();
        let vex = vector_examples(&mut cache, examples);
        let lex = lexical_model(seed, examples);
        picked
            .chunks(ARRIVAL_BATCH)
            .flat_map(|chunk| {
                let items: Vec<&[f32]> = chunk.iter().map(|&i| test_refs[i]).collect();
                let assessed = batch::assess(&vex, &pad, &items, semantic);
                chunk
                    .iter()
                    .zip(&assessed.items)
                    .map(|(&i, a)| {
                        pick(
                            &assessed.labels,
                            a,
                            &lexical_scores(&lex, test_texts[i]),
                            abstain,
                        )
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    });
    out["engine"] = json!(engine.name());
    out["embedding_secs"] = json!(cache.secs);
    out["embedded_texts"] = json!(cache.len());
    out["arrivals"] = summary(&arrivals);
    out["arrivals"]["items"] = json!(picked.len());
    out["arrivals"]["batch"] = json!(ARRIVAL_BATCH);
    Ok(out)
}

/// The headline figures of a tagging evaluation (without its per-seed detail).
fn summary(result: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for key in [
        "accuracy",
        "macro_f1",
        "abstention_precision",
        "abstention_recall",
        "abstention_f1",
        "in_scope_accuracy",
    ] {
        if let Some(v) = result.get(key) {
            out.insert(key.to_string(), v.clone());
        }
    }
    Value::Object(out)
}

/// Clustering evaluation with `engine` (combined clusters by meaning, like semantic): the JSON
/// of [`super::eval_clustering`] plus `engine`, `embedding_secs` and a few cluster labels.
pub fn eval_clustering_engine(
    data: &[LabelledText],
    k: Option<usize>,
    seed: u64,
    engine: Engine,
    encoder: Option<&Encoder>,
) -> Result<Value, String> {
    let Some(encoder) = need_encoder(engine, encoder)? else {
        let mut out = eval_clustering(data, k, seed);
        out["engine"] = json!("lexical");
        out["embedding_secs"] = json!(0.0);
        return Ok(out);
    };
    let texts: Vec<&str> = data.iter().map(|d| d.text.as_str()).collect();
    let t0 = Instant::now();
    let vectors = encoder.embed(&texts);
    let embedding_secs = t0.elapsed().as_secs_f64();
    let refs: Vec<&[f32]> = vectors.iter().map(Vec::as_slice).collect();
    let clusters = cluster_vectors(&refs, &texts, k, seed);
    let mut pred = vec![0usize; data.len()];
    for (c, cl) in clusters.iter().enumerate() {
        for &m in &cl.members {
            pred[m] = c;
        }
    }
    let mut ids: HashMap<&str, usize> = HashMap::new();
    let gold: Vec<usize> = data
        .iter()
        .map(|d| {
            let next = ids.len();
            *ids.entry(d.category.as_str()).or_insert(next)
        })
        .collect();
    let (nmi, ari) = nmi_ari(&gold, &pred);
    let labels: Vec<&str> = clusters.iter().take(10).map(|c| c.label.as_str()).collect();
    Ok(json!({
        "nmi": nmi, "ari": ari, "k": clusters.len(), "n": data.len(),
        "engine": engine.name(), "embedding_secs": embedding_secs, "labels": labels,
    }))
}

#[cfg(test)]
#[path = "eval_engine_tests.rs"]
mod tests;
