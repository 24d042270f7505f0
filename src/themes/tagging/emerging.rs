//! Emerging themes: clusters of recent untagged feedback, offered as new themes.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::routing::get;
use axum::{Extension, Router};

use super::db;
use crate::app::AppState;
use crate::auth::{CurrentUser, Permission};
use crate::error::AppResult;
use crate::insights::cache::VersionedCache;
use crate::web::Layout;

pub fn router() -> Router<AppState> {
    Router::new().route("/themes/emerging", get(emerging_page))
}

/// A cluster of untagged feedback offered as a new theme.
pub struct Emerging {
    pub label: String,
    pub size: usize,
    pub quotes: Vec<String>,
    pub create_href: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "themes/emerging.html")]
pub struct EmergingPage {
    layout: Layout,
    found: std::sync::Arc<EmergingClusters>,
    can_edit: bool,
}

/// How many recent untagged items are clustered.
const EMERGING_SAMPLE: i64 = 1000;

/// The clusters shown, with how many untagged items they came from.
pub struct EmergingClusters {
    clusters: Vec<Emerging>,
    untagged: usize,
}

/// Clustering takes about a second at a million items, so the result is kept until feedback or
/// tags change (or five minutes pass).
pub type EmergingCache = VersionedCache<(), EmergingClusters>;

pub fn cache() -> std::sync::Arc<EmergingCache> {
    std::sync::Arc::new(VersionedCache::new(std::time::Duration::from_secs(300), 1))
}

async fn emerging_page(
    State(state): State<AppState>,
    Extension(cache): Extension<std::sync::Arc<EmergingCache>>,
    current: CurrentUser,
) -> AppResult<EmergingPage> {
    current.user.require(Permission::Read)?;
    let found = cache
        .get_or_compute(&state.pool, (), || emerging_clusters(&state.pool))
        .await?;
    Ok(EmergingPage {
        layout: Layout::for_user(&current, "Emerging themes", "themes").await?,
        found,
        can_edit: current.user.can(Permission::EditThemes),
    })
}

async fn emerging_clusters(pool: &sqlx::PgPool) -> AppResult<EmergingClusters> {
    let rows = db::untagged_recent(pool, EMERGING_SAMPLE).await?;
    let untagged = rows.len();
    let vectors = semantic_vectors(pool, &rows).await?;
    let clusters = tokio::task::spawn_blocking(move || {
        let texts: Vec<&str> = rows.iter().map(|r| r.text.as_str()).collect();
        // By meaning with the sentence encoder, by words without it.
        let clusters = match &vectors {
            Some(v) => {
                let refs: Vec<&[f32]> = v.iter().map(Vec::as_slice).collect();
                crate::tagging::embed_cluster::cluster_vectors(&refs, &texts, None, 0)
            }
            None => crate::tagging::cluster(&texts, None, 0),
        };
        clusters
            .into_iter()
            .filter(|c| c.members.len() >= 3)
            .take(12)
            .map(|c| {
                let quotes: Vec<String> = c
                    .typical
                    .iter()
                    .take(3)
                    .filter_map(|i| texts.get(*i).map(|t| (*t).to_owned()))
                    .collect();
                let phrases = label_phrases(&c.label);
                let name = capitalise(&phrases.join(", "));
                let items: Vec<String> = c
                    .members
                    .iter()
                    .filter_map(|i| rows.get(*i).map(|r| r.id.to_string()))
                    .collect();
                let create_href = format!(
                    "/themes/new?{}",
                    serde_urlencoded::to_string([
                        ("name", name.as_str()),
                        ("keywords", &phrases.join(", ")),
                        (
                            "description",
                            quotes.first().map(String::as_str).unwrap_or("")
                        ),
                        ("items", &items.join(",")),
                    ])
                    .unwrap_or_default()
                );
                Emerging {
                    label: name,
                    size: c.members.len(),
                    quotes,
                    create_href,
                }
            })
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| anyhow::anyhow!("clustering failed: {e}"))?;
    Ok(EmergingClusters { clusters, untagged })
}

/// The stored vectors of `rows` (embedding any the worker has not reached), in order; `None`
/// without the sentence encoder.
async fn semantic_vectors(
    pool: &sqlx::PgPool,
    rows: &[db::TextRow],
) -> anyhow::Result<Option<Vec<Vec<f32>>>> {
    let Some(sem) = crate::embeddings::shared() else {
        return Ok(None);
    };
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    crate::embeddings::ensure(pool, &sem, &ids).await?;
    let mut stored = crate::embeddings::vectors_of(pool, &sem, &ids).await?;
    let dim = sem.encoder.dim();
    Ok(Some(
        ids.iter()
            .map(|id| stored.remove(id).unwrap_or_else(|| vec![0.0; dim]))
            .collect(),
    ))
}

/// The label's phrases as clean keywords: no empty pieces, no contractions.
fn label_phrases(label: &str) -> Vec<String> {
    label
        .split(',')
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty() && !p.contains('\'') && !p.contains('’'))
        .collect()
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn keywords_from_a_label_are_clean() {
        assert_eq!(
            super::label_phrases("transfer, waiting,, what's, card arrived "),
            ["transfer", "waiting", "card arrived"]
        );
    }
}
