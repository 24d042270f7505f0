//! Nearest items by meaning: "Similar feedback", near-duplicate offers at ingest, and the semantic half of search.
//!
//! Each ranks a bounded candidate set by cosine of stored unit vectors: the newest
//! [`WINDOW`] live items (or one account's newest, for duplicates). Reading 5,000 vectors is
//! about 7.5 MB and 2 M multiply-adds, a few milliseconds; no vector index is needed.

use std::sync::Arc;

use anyhow::Context;
use sqlx::PgPool;

use super::{Semantic, db, decode};
use crate::tagging::encoder::dot;

/// Newest items whose vectors are ranked.
pub const WINDOW: i64 = 5_000;
/// An item of the same account at least this close (cosine) is offered as a near-duplicate.
pub const DUPLICATE_COSINE: f32 = 0.88;
/// "Similar feedback" shows items at least this close.
pub const SIMILAR_COSINE: f32 = 0.5;

/// An item and how close it is (cosine, 1 = same meaning).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Near {
    pub id: i64,
    pub cosine: f32,
}

/// Rank candidates by cosine to `v`, best first, at least `min`, at most `limit`, without `skip`.
fn rank(
    v: &[f32],
    candidates: &[db::Candidate],
    min: f32,
    limit: usize,
    skip: Option<i64>,
) -> Vec<Near> {
    let mut out: Vec<Near> = candidates
        .iter()
        .filter(|c| Some(c.id) != skip)
        .map(|c| Near {
            id: c.id,
            cosine: dot(v, &decode(&c.vector)),
        })
        .filter(|n| n.cosine >= min)
        .collect();
    out.sort_by(|a, b| b.cosine.total_cmp(&a.cosine).then(b.id.cmp(&a.id)));
    out.truncate(limit);
    out
}

/// Embed one text off the runtime (a query, a text being logged).
pub async fn embed_text(sem: &Arc<Semantic>, text: &str) -> anyhow::Result<Vec<f32>> {
    let (s, t) = (sem.clone(), text.to_owned());
    tokio::task::spawn_blocking(move || s.encoder.embed_one(&t))
        .await
        .context("embedding a text")
}

/// Items most like item `id` (embedding it first if the worker has not yet).
pub async fn similar_to_item(
    pool: &PgPool,
    sem: &Arc<Semantic>,
    id: i64,
    limit: usize,
) -> anyhow::Result<Vec<Near>> {
    super::ensure(pool, sem, &[id]).await?;
    let Some(v) = super::vectors_of(pool, sem, &[id]).await?.remove(&id) else {
        return Ok(Vec::new());
    };
    let candidates = db::recent(pool, &sem.model, None, WINDOW).await?;
    Ok(rank(&v, &candidates, SIMILAR_COSINE, limit, Some(id)))
}

/// Items of `account_id` that say nearly the same as `text`, closest first.
pub async fn near_duplicates(
    pool: &PgPool,
    sem: &Arc<Semantic>,
    account_id: i64,
    text: &str,
    skip: Option<i64>,
) -> anyhow::Result<Vec<Near>> {
    let candidates = db::recent(pool, &sem.model, Some(account_id), WINDOW).await?;
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let v = embed_text(sem, text).await?;
    Ok(rank(&v, &candidates, DUPLICATE_COSINE, 3, skip))
}

/// The semantic half of a search: the newest items' ids and cosines to the query, at least
/// `min`, at most `limit`, best first.
pub async fn for_query(
    pool: &PgPool,
    sem: &Arc<Semantic>,
    query: &str,
    min: f32,
    limit: usize,
) -> anyhow::Result<Vec<Near>> {
    let v = sem
        .embed_cached_async(query)
        .await
        .context("embedding the search")?;
    let candidates = db::recent(pool, &sem.model, None, WINDOW).await?;
    Ok(rank(&v, &candidates, min, limit, None))
}

/// An item as a "similar feedback" or "looks like" list shows it.
pub struct NearView {
    pub id: i64,
    pub excerpt: String,
    pub account_name: Option<String>,
    pub received: crate::web::format::When,
    /// Cosine as a whole percentage ("87% alike").
    pub percent: i64,
}

/// `near` with what a page shows of each item, in the same order.
pub async fn views(pool: &PgPool, near: &[Near]) -> sqlx::Result<Vec<NearView>> {
    let ids: Vec<i64> = near.iter().map(|n| n.id).collect();
    let rows = db::summaries(pool, &ids).await?;
    Ok(near
        .iter()
        .filter_map(|n| {
            let r = rows.iter().find(|r| r.id == n.id)?;
            let text = match &r.title {
                Some(t) => format!("{t}. {}", r.body),
                None => r.body.clone(),
            };
            Some(NearView {
                id: r.id,
                excerpt: crate::web::format::excerpt(&text, 140),
                account_name: r.account_name.clone(),
                received: r.received_at.into(),
                percent: (f64::from(n.cosine.clamp(0.0, 1.0)) * 100.0).round() as i64,
            })
        })
        .collect())
}

/// Items shown under "Similar feedback".
pub const SIMILAR_SHOWN: usize = 5;

/// The "Similar feedback" list of item `id`; `None` without a model (the page says so).
pub async fn for_item_page(pool: &PgPool, id: i64) -> anyhow::Result<Option<Vec<NearView>>> {
    let Some(sem) = super::shared() else {
        return Ok(None);
    };
    let near = similar_to_item(pool, &sem, id, SIMILAR_SHOWN).await?;
    Ok(Some(views(pool, &near).await?))
}

/// What an item about to be logged looks like already: items of the same account that say
/// nearly the same (closest first). Empty without a model, an account or a close item.
pub async fn offer_for_new(
    pool: &PgPool,
    account_external_id: Option<&str>,
    title: Option<&str>,
    body: &str,
) -> anyhow::Result<Vec<NearView>> {
    let (Some(sem), Some(ext)) = (super::shared(), account_external_id) else {
        return Ok(Vec::new());
    };
    let Some(account) = db::account_id(pool, ext).await? else {
        return Ok(Vec::new());
    };
    let text = match title {
        Some(t) => format!("{t}. {body}"),
        None => body.to_owned(),
    };
    let near = near_duplicates(pool, &sem, account, &text, None).await?;
    Ok(views(pool, &near).await?)
}
