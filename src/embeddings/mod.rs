//! Sentence vectors of feedback: the one shared encoder, storing vectors, the backfill job, similarity.
//!
//! The encoder (all-MiniLM-L6-v2, [`crate::tagging::Encoder`]) is loaded once per process and
//! shared behind an `Arc`. Without the model the app works on the lexical engine: the first look
//! says so once in the log, and [`status`] tells pages. Every item is embedded once, by the
//! worker, in the job that tags it; a model change or an edit makes its vector stale and the
//! next tagging or backfill ([`EmbedAll`]) embeds it again. Nothing here runs on the async
//! runtime's threads: the encoder runs under `spawn_blocking`.

pub mod db;
pub mod similar;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use crate::jobs::{self, JobKind};
use crate::tagging::Encoder;

/// Items embedded per forward run and per transaction.
const BATCH: i64 = 256;

/// The loaded encoder and the name of the weights that made its vectors.
pub struct Semantic {
    pub encoder: Encoder,
    /// Stored with every vector: vectors of another model are stale.
    pub model: String,
    /// Vectors of short texts that are not feedback (theme names, keywords, queries).
    texts: Mutex<HashMap<String, Arc<Vec<f32>>>>,
}

/// Texts kept in [`Semantic`]'s cache before it is emptied.
const TEXT_CACHE: usize = 20_000;

impl Semantic {
    pub fn new(encoder: Encoder, model: String) -> Semantic {
        Semantic {
            encoder,
            model,
            texts: Mutex::new(HashMap::new()),
        }
    }

    /// Vectors of short texts, from the cache or embedded now (blocking: call off the runtime).
    pub fn embed_cached(&self, texts: &[String]) -> Vec<Arc<Vec<f32>>> {
        let missing: Vec<&str> = {
            let cache = self.texts.lock().unwrap_or_else(|e| e.into_inner());
            let mut m: Vec<&str> = texts
                .iter()
                .filter(|t| !cache.contains_key(t.as_str()))
                .map(String::as_str)
                .collect();
            m.sort_unstable();
            m.dedup();
            m
        };
        let fresh = if missing.is_empty() {
            Vec::new()
        } else {
            self.encoder.embed(&missing)
        };
        let mut cache = self.texts.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() + fresh.len() > TEXT_CACHE {
            cache.clear();
        }
        for (t, v) in missing.iter().zip(fresh) {
            cache.insert((*t).to_owned(), Arc::new(v));
        }
        texts
            .iter()
            .map(|t| {
                cache
                    .get(t)
                    .cloned()
                    .unwrap_or_else(|| Arc::new(self.encoder.embed_one(t)))
            })
            .collect()
    }
}

static SHARED: OnceLock<Option<Arc<Semantic>>> = OnceLock::new();

tokio::task_local! {
    /// Overrides [`shared`] inside [`with_encoder`] (tests run the app with and without a model).
    static FORCED: Option<Arc<Semantic>>;
}

/// The process's encoder, loaded on first use; `None` (said once in the log) without a model.
pub fn shared() -> Option<Arc<Semantic>> {
    if let Ok(forced) = FORCED.try_with(Clone::clone) {
        return forced;
    }
    SHARED.get_or_init(load).clone()
}

/// Run `f` as if the process's encoder were `semantic` (`None`: as if no model were installed).
pub async fn with_encoder<F: std::future::Future>(
    semantic: Option<Arc<Semantic>>,
    f: F,
) -> F::Output {
    FORCED.scope(semantic, f).await
}

fn load() -> Option<Arc<Semantic>> {
    let loaded = crate::tagging::encoder::model_dir().and_then(|dir| {
        let encoder = Encoder::load(&dir)?;
        Ok((encoder, model_name(&dir)))
    });
    match loaded {
        Ok((encoder, model)) => {
            tracing::info!(%model, "sentence encoder loaded: tagging, similar feedback and search use meaning");
            Some(Arc::new(Semantic::new(encoder, model)))
        }
        Err(err) => {
            tracing::warn!(
                error = %err,
                "semantic engine off: no sentence-encoder model, so tagging, similar feedback and search use the lexical engine"
            );
            None
        }
    }
}

/// "all-MiniLM-L6-v2@" and a fingerprint of the folder's files (FNV-1a of the config and
/// tokenizer, and the weights' length): other weights give other vectors.
pub fn model_name(dir: &std::path::Path) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for f in ["config.json", "tokenizer.json"] {
        eat(&std::fs::read(dir.join(f)).unwrap_or_default());
    }
    let len = std::fs::metadata(dir.join("model.safetensors")).map_or(0, |m| m.len());
    eat(&len.to_le_bytes());
    format!("all-MiniLM-L6-v2@{h:016x}")
}

/// What pages say about the engine in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Semantic,
    /// No model: the lexical engine alone.
    LexicalOnly,
}

pub fn status() -> Status {
    if shared().is_some() {
        Status::Semantic
    } else {
        Status::LexicalOnly
    }
}

/// A vector as stored: little-endian f32.
pub fn encode(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// A stored vector (a trailing partial value is dropped).
pub fn decode(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// Embed `rows` off the runtime and store them; returns how many were embedded.
async fn embed_rows(
    pool: &PgPool,
    sem: &Arc<Semantic>,
    rows: Vec<db::TextToEmbed>,
) -> anyhow::Result<usize> {
    if rows.is_empty() {
        return Ok(0);
    }
    let s = sem.clone();
    let (rows, vectors) = tokio::task::spawn_blocking(move || {
        let texts: Vec<&str> = rows.iter().map(|r| r.text.as_str()).collect();
        let vectors: Vec<Vec<u8>> = s.encoder.embed(&texts).iter().map(|v| encode(v)).collect();
        (rows, vectors)
    })
    .await
    .context("embedding feedback")?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let hashes: Vec<String> = rows.into_iter().map(|r| r.hash).collect();
    db::store(pool, &sem.model, &ids, &hashes, &vectors)
        .await
        .context("storing vectors")?;
    Ok(ids.len())
}

/// Embed whichever of `ids` have no current vector. Returns how many were embedded.
pub async fn ensure(pool: &PgPool, sem: &Arc<Semantic>, ids: &[i64]) -> anyhow::Result<usize> {
    let mut n = 0;
    for chunk in ids.chunks(BATCH as usize) {
        let rows = db::stale(pool, &sem.model, Some(chunk), 0, BATCH).await?;
        n += embed_rows(pool, sem, rows).await?;
    }
    Ok(n)
}

/// Embed every live item without a current vector, reporting progress on `job` when given.
pub async fn backfill(
    pool: &PgPool,
    sem: &Arc<Semantic>,
    job: Option<i64>,
) -> anyhow::Result<usize> {
    let total = usize::try_from(db::stale_count(pool, &sem.model).await?).unwrap_or(0);
    if let Some(id) = job {
        jobs::progress(pool, id, 0, total).await?;
    }
    let (mut done, mut after) = (0usize, 0i64);
    loop {
        let rows = db::stale(pool, &sem.model, None, after, BATCH).await?;
        let Some(last) = rows.last().map(|r| r.id) else {
            break;
        };
        after = last;
        done += embed_rows(pool, sem, rows).await?;
        if let Some(id) = job {
            jobs::progress(pool, id, done, total).await?;
        }
    }
    Ok(done)
}

/// Stored vectors of `ids` from the current model, by id (missing ones are absent).
pub async fn vectors_of(
    pool: &PgPool,
    sem: &Semantic,
    ids: &[i64],
) -> sqlx::Result<HashMap<i64, Vec<f32>>> {
    Ok(db::vectors(pool, &sem.model, ids)
        .await?
        .into_iter()
        .map(|(id, v)| (id, decode(&v)))
        .collect())
}

/// Embed every item that lacks a vector from the installed model (after a model change, or on
/// a database from before vectors): one at a time.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct EmbedAll {}

impl JobKind for EmbedAll {
    const NAME: &'static str = "embed_all";
    const SINGLETON: bool = true;
}

/// The `embed_all` job: nothing to do without a model.
pub async fn run_embed_all(pool: &PgPool, job: Option<i64>) -> anyhow::Result<usize> {
    match shared() {
        Some(sem) => backfill(pool, &sem, job).await,
        None => Ok(0),
    }
}

/// At start: queue a backfill when the model is installed and some item lacks its vector.
pub async fn queue_backfill_if_needed(pool: &PgPool) -> anyhow::Result<Option<i64>> {
    let Some(sem) = tokio::task::spawn_blocking(shared).await? else {
        return Ok(None);
    };
    if db::stale_count(pool, &sem.model).await? == 0 {
        return Ok(None);
    }
    Ok(Some(jobs::enqueue(pool, &EmbedAll {}, None).await?))
}

impl Semantic {
    /// [`Semantic::embed_cached`] for one text, off the runtime: a query typed again (the next
    /// page of a search) is embedded once.
    pub async fn embed_cached_async(self: &Arc<Self>, text: &str) -> anyhow::Result<Arc<Vec<f32>>> {
        let (s, t) = (self.clone(), vec![text.to_owned()]);
        let mut v = tokio::task::spawn_blocking(move || s.embed_cached(&t))
            .await
            .context("embedding a text")?;
        v.pop().context("no vector")
    }
}

#[cfg(test)]
mod tests {
    use super::{decode, encode, model_name};

    #[test]
    fn vectors_round_trip_as_little_endian_f32() {
        let v = vec![0.5f32, -1.25, 3.0e-7, 0.0];
        let bytes = encode(&v);
        assert_eq!(bytes.len(), 16);
        assert_eq!(&bytes[..4], &0.5f32.to_le_bytes());
        assert_eq!(decode(&bytes), v);
        assert_eq!(decode(&bytes[..7]), [0.5], "a partial value is dropped");
    }

    #[test]
    fn the_model_name_changes_with_the_files() {
        let dir = std::env::temp_dir().join(format!("semantic-model-name-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("config.json"), "{\"hidden_size\": 384}").unwrap();
        std::fs::write(dir.join("tokenizer.json"), "{}").unwrap();
        std::fs::write(dir.join("model.safetensors"), [0u8; 10]).unwrap();
        let a = model_name(&dir);
        assert!(a.starts_with("all-MiniLM-L6-v2@"), "{a}");
        assert_eq!(model_name(&dir), a, "stable");
        std::fs::write(dir.join("model.safetensors"), [0u8; 11]).unwrap();
        assert_ne!(model_name(&dir), a, "other weights, other name");
        std::fs::remove_dir_all(&dir).ok();
    }
}
