//! Feeds the pure tagging engine from the database and stores its suggestions.
//!
//! The model is trained from every active theme's name, description and keywords (plus those of
//! the themes merged into it), people's confirmed tags (positive) and rejected tags (negative).
//! Suggestions are stored as `origin = auto, state = suggested` with the engine's confidence;
//! items the engine abstains on stay untagged. People's decisions are never overwritten.

pub mod api;
pub mod db;
pub mod emerging;
pub mod item;
pub mod retag;
pub mod review;
pub mod semantic;

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use crate::jobs::{self, JobKind};
use crate::tagging::{Example, KeywordRules, LabelSeed, Model, Polarity, TrainConfig, batch};

/// At most this many decisions (newest first) train the model.
const MAX_DECISIONS: i64 = 20_000;
/// Items per transaction when tagging arrivals: short transactions keep the app responsive.
const BATCH: i64 = 500;

/// What a tagging run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TagRun {
    pub items: usize,
    pub tagged: usize,
    /// Items whose sentence vector was computed (0 when every stored vector was current).
    pub embedded: usize,
}

impl TagRun {
    /// The audit entry of a full retag: items looked at and suggestions written.
    fn audit_batch(&self) -> crate::audit::Batch<'static> {
        crate::audit::Batch {
            action: "retag",
            entity_type: "tags",
            summary: format!(
                "Re-tagged {} items: {} automatic suggestions written",
                self.items, self.tagged
            ),
            inserted: self.tagged as i64,
            updated: 0,
            unchanged: 0,
            detail: serde_json::json!({"items": self.items}),
        }
    }
}

/// What tags feedback: the trained model, the themes' keyword rules, and the theme tree (so a
/// keyword of a parent theme does not pile onto an item already given one of its children).
pub struct Tagger {
    model: Model,
    rules: KeywordRules,
    parent: HashMap<i64, i64>,
    /// With the sentence encoder: the classifier over stored vectors.
    semantic: Option<semantic::SemanticTagger>,
}

/// Where an item's mass went when the semantic model assessed it (labels in the
/// assessment's order).
#[derive(Clone, Copy)]
pub struct Seen<'a> {
    pub labels: &'a [crate::tagging::LabelId],
    pub assessment: &'a crate::tagging::semantic::Assessment,
}

/// Confidence given to a keyword match the model did not make itself.
const RULE_CONFIDENCE: f32 = 0.6;

impl Tagger {
    /// (theme, confidence) suggestions for one text: the model's pick, plus every theme whose
    /// keyword phrase the text contains, most specific first, without a parent of another pick.
    /// With a semantic model and what it saw of the item, the model's pick is theirs (combined).
    pub fn suggest(&self, text: &str, seen: Option<Seen<'_>>) -> Vec<(i64, f32)> {
        let mut out: Vec<(i64, f32)> = Vec::new();
        if let Some(p) = self.pick(text, seen) {
            out.push((p.label, p.confidence.clamp(0.0, 1.0)));
        }
        for label in self.rules.matches(text) {
            match out.iter_mut().find(|(l, _)| *l == label) {
                Some((_, c)) => *c = c.max(RULE_CONFIDENCE),
                None => out.push((label, RULE_CONFIDENCE)),
            }
        }
        let ancestors = |mut id: i64| {
            let mut seen = Vec::new();
            while let Some(&p) = self.parent.get(&id) {
                if seen.contains(&p) {
                    break;
                }
                seen.push(p);
                id = p;
            }
            seen
        };
        let covered: Vec<i64> = out.iter().flat_map(|(l, _)| ancestors(*l)).collect();
        out.retain(|(l, _)| !covered.contains(l));
        out
    }
}

impl Tagger {
    /// The model's theme for one item: semantic (mixed with lexical) when the item has a
    /// vector of the semantic model's weights, lexical otherwise.
    fn pick(&self, text: &str, seen: Option<Seen<'_>>) -> Option<crate::tagging::Prediction> {
        match (&self.semantic, seen) {
            (Some(sem), Some(seen)) => sem.decide(&self.model, text, seen.labels, seen.assessment),
            _ => self.model.classify(text),
        }
    }

    /// Suggestions for these items (with their stored vectors, when the tagger is semantic):
    /// the items with vectors are assessed together, in graphs of their own padded with recent
    /// items ([`semantic::SemanticTagger::assess_batch`]), however few they are; the others
    /// (and every item of a lexical tagger) by the lexical model.
    fn suggest_all(
        &self,
        rows: &[db::TextRow],
        vectors: &HashMap<i64, Vec<f32>>,
    ) -> Vec<(i64, i64, f32)> {
        let with_vector: Vec<(i64, &[f32])> = rows
            .iter()
            .filter_map(|r| vectors.get(&r.id).map(|v| (r.id, v.as_slice())))
            .collect();
        let assessed = match &self.semantic {
            Some(sem) if !with_vector.is_empty() => sem.assess_batch(&with_vector),
            _ => batch::Assessed::default(),
        };
        let at: HashMap<i64, usize> = with_vector
            .iter()
            .enumerate()
            .map(|(i, (id, _))| (*id, i))
            .collect();
        rows.iter()
            .flat_map(|r| {
                let seen = at.get(&r.id).and_then(|&i| {
                    assessed.items.get(i).map(|a| Seen {
                        labels: &assessed.labels,
                        assessment: a,
                    })
                });
                self.suggest(&r.text, seen)
                    .into_iter()
                    .map(|(theme, c)| (r.id, theme, c))
            })
            .collect()
    }

    /// Items assessed in one graph when many are tagged at once (a semantic tagger only).
    pub fn bulk_chunk(&self) -> Option<usize> {
        self.semantic.as_ref().map(|s| s.graph_items())
    }

    /// The weights whose stored vectors the tagger reads, when it has a semantic model.
    pub fn semantic_model(&self) -> Option<&str> {
        self.semantic.as_ref().map(|s| s.model_name.as_str())
    }
}

/// Train the tagger from the current themes and decisions; `None` when there is no theme.
pub async fn train(pool: &PgPool) -> anyhow::Result<Option<Arc<Tagger>>> {
    let seed_rows = db::seeds(pool).await.context("loading theme seeds")?;
    if seed_rows.is_empty() {
        return Ok(None);
    }
    let decisions = db::decisions(pool, MAX_DECISIONS)
        .await
        .context("loading tag decisions")?;
    let parent: HashMap<i64, i64> = seed_rows
        .iter()
        .filter_map(|s| s.parent_id.map(|p| (s.id, p)))
        .collect();
    let rules = KeywordRules::new(seed_rows.iter().map(|s| (s.id, &s.keywords[..])));
    let seeds: Vec<LabelSeed> = seed_rows
        .into_iter()
        .map(|s| {
            let mut keywords = s.keywords;
            keywords.extend(s.aliases);
            LabelSeed {
                label: s.id,
                name: s.name,
                description: s.description,
                keywords,
            }
        })
        .collect();
    let semantic = match crate::embeddings::shared() {
        Some(sem) => {
            let decided: Vec<semantic::Decision> = decisions
                .iter()
                .map(|d| semantic::Decision {
                    feedback_id: d.feedback_id,
                    theme_id: d.theme_id,
                    positive: d.positive,
                })
                .collect();
            Some(semantic::train(pool, &sem, &seeds, &decided).await?)
        }
        None => None,
    };
    let examples: Vec<Example> = decisions
        .into_iter()
        .map(|d| Example {
            text: d.text,
            label: d.theme_id,
            polarity: if d.positive {
                Polarity::Positive
            } else {
                Polarity::Negative
            },
            weight: 1.0,
        })
        .collect();
    let model = tokio::task::spawn_blocking(move || {
        Model::train(&seeds, &examples, &TrainConfig::default())
    })
    .await
    .context("training the tagger")?;
    Ok(Some(Arc::new(Tagger {
        model,
        rules,
        parent,
        semantic,
    })))
}

/// Score texts off the async runtime: (feedback id, theme id, confidence) suggestions. With a
/// semantic model it reads the items' stored vectors (it never embeds: the caller has).
async fn classify(
    pool: &PgPool,
    tagger: Arc<Tagger>,
    rows: Vec<db::TextRow>,
) -> anyhow::Result<Vec<(i64, i64, f32)>> {
    let vectors = match tagger.semantic_model() {
        Some(model) => {
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            crate::embeddings::db::vectors(pool, model, &ids)
                .await?
                .into_iter()
                .map(|(id, v)| (id, crate::embeddings::decode(&v)))
                .collect()
        }
        None => HashMap::new(),
    };
    tokio::task::spawn_blocking(move || tagger.suggest_all(&rows, &vectors))
        .await
        .context("classifying feedback")
}

/// How many distinct items got at least one suggestion (`found` is grouped by item).
fn items_with_a_suggestion(found: &[(i64, i64, f32)]) -> usize {
    let mut n = 0;
    let mut last = None;
    for (item, _, _) in found {
        if last != Some(*item) {
            n += 1;
            last = Some(*item);
        }
    }
    n
}

/// Write a batch's suggestions in one transaction; as a retag's write
/// ([`db::begin_retag_write`]) their rollup contributions wait in `rollup_pending` until
/// [`db::apply_pending_rollups`].
async fn store(
    pool: &PgPool,
    ids: &[i64],
    found: &[(i64, i64, f32)],
    retag_write: bool,
) -> anyhow::Result<()> {
    let tagged: Vec<i64> = found.iter().map(|f| f.0).collect();
    let themes: Vec<i64> = found.iter().map(|f| f.1).collect();
    let conf: Vec<f32> = found.iter().map(|f| f.2).collect();
    let mut tx = pool.begin().await?;
    if retag_write {
        db::begin_retag_write(&mut tx).await?;
    }
    db::replace_suggestions(&mut tx, ids, &tagged, &themes, &conf)
        .await
        .context("storing suggestions")?;
    tx.commit().await?;
    Ok(())
}

/// Tag these feedback items now (train, classify, store). Used by the `tag_feedback` job.
pub async fn tag_feedback_now(pool: &PgPool, feedback_ids: &[i64]) -> anyhow::Result<TagRun> {
    if feedback_ids.is_empty() {
        return Ok(TagRun::default());
    }
    // Each item is embedded once, when it arrives, before the tagger reads its vector.
    let embedded = match crate::embeddings::shared() {
        Some(sem) => crate::embeddings::ensure(pool, &sem, feedback_ids).await?,
        None => 0,
    };
    let Some(model) = train(pool).await? else {
        return Ok(TagRun {
            embedded,
            ..TagRun::default()
        });
    };
    let mut run = TagRun {
        embedded,
        ..TagRun::default()
    };
    // A semantic tagger assesses a chunk in one graph: a graph's worth of items per chunk.
    let per = model.bulk_chunk().unwrap_or(BATCH as usize);
    for chunk in feedback_ids.chunks(per.max(1)) {
        let rows = db::feedback_texts(pool, chunk).await?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let found = classify(pool, model.clone(), rows).await?;
        store(pool, &ids, &found, false).await?;
        run.items += ids.len();
        run.tagged += items_with_a_suggestion(&found);
    }
    Ok(run)
}

/// Re-tag every live item with the current themes and decisions (one at a time: an already
/// queued or running retag is reused).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct RetagAll {}

impl JobKind for RetagAll {
    const NAME: &'static str = "retag_all";
    const SINGLETON: bool = true;
}

/// Queue a full retag; returns the job to follow.
pub async fn enqueue_retag(pool: &PgPool, created_by: Option<i64>) -> sqlx::Result<i64> {
    jobs::enqueue(pool, &RetagAll {}, created_by).await
}

/// Re-tag every live item in batches, reporting progress on `job` when given. Safe while
/// people work: each batch is its own short transaction and only automatic suggestions change.
/// The reading and writing is [`retag::run`]'s; what scores is [`classify`].
pub async fn retag_all(pool: &PgPool, job: Option<i64>) -> anyhow::Result<TagRun> {
    retag::run(pool, job, false).await
}
