//! The semantic half of the tagger: a classifier over stored sentence vectors, mixed with the lexical model.
//!
//! Examples: each theme's own texts (name and description, every keyword), embedded once per
//! process and cached; people's confirmed tags (positive) and rejections (negative), read as
//! the vectors stored when those items arrived. The items being tagged, however few (one from
//! the form or a webhook, thousands in a retag), join a graph of their own with the examples,
//! padded with a sample of recent items up to [`SemanticConfig::graph_items`] unlabelled
//! nodes, and labels spread along it ([`crate::tagging::batch`]). An item's label is the best
//! mix of the semantic and lexical confidences, and it stays untagged when more of its mass
//! goes to "untagged" than to any theme (the calibrated abstention of the semantic model).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use anyhow::Context;
use sqlx::PgPool;

use crate::embeddings::{self, Semantic};
use crate::tagging::batch::{self, Assessed};
use crate::tagging::semantic::{Assessment, seed_texts};
use crate::tagging::{
    LabelId, LabelSeed, Model, Polarity, Prediction, SemanticConfig, VectorExample,
};

/// What the semantic classifier learns from (the examples and the recent items that pad its
/// graphs) and how much the lexical model counts beside it.
pub struct SemanticTagger {
    lexical_share: f32,
    examples: Vec<VectorExample>,
    /// The recent items' ids and vectors (the graph's unlabelled nodes; a batch's padding).
    sample: Vec<(i64, Vec<f32>)>,
    config: SemanticConfig,
    /// The weights whose vectors it reads.
    pub model_name: String,
}

/// A decision the semantic model learns from: which item, which theme, confirmed or rejected.
pub struct Decision {
    pub feedback_id: i64,
    pub theme_id: i64,
    pub positive: bool,
}

/// Train from the themes' own texts, people's decisions (their items' stored vectors; items
/// without one are embedded first) and a sample of recent items.
pub async fn train(
    pool: &PgPool,
    sem: &Arc<Semantic>,
    seeds: &[LabelSeed],
    decisions: &[Decision],
) -> anyhow::Result<SemanticTagger> {
    let ids: Vec<i64> = decisions.iter().map(|d| d.feedback_id).collect();
    embeddings::ensure(pool, sem, &ids).await?;
    let stored = embeddings::vectors_of(pool, sem, &ids).await?;
    let config = SemanticConfig::default();
    // The newest items pad the graphs the items being tagged are assessed in.
    let sample: Vec<(i64, Vec<f32>)> =
        embeddings::db::recent(pool, &sem.model, None, config.graph_items.max(1) as i64)
            .await?
            .into_iter()
            .map(|c| (c.id, embeddings::decode(&c.vector)))
            .collect();
    let seed_texts: Vec<(i64, String)> = seeds
        .iter()
        .flat_map(|s| seed_texts(s).into_iter().map(move |t| (s.label, t)))
        .collect();
    let mut examples: Vec<VectorExample> = decisions
        .iter()
        .filter_map(|d| {
            stored.get(&d.feedback_id).map(|v| VectorExample {
                vector: v.clone(),
                label: d.theme_id,
                polarity: if d.positive {
                    Polarity::Positive
                } else {
                    Polarity::Negative
                },
                weight: 1.0,
            })
        })
        .collect();
    let s = sem.clone();
    let model_name = sem.model.clone();
    tokio::task::spawn_blocking(move || {
        let texts: Vec<String> = seed_texts.iter().map(|(_, t)| t.clone()).collect();
        let vectors = s.embed_cached(&texts);
        examples.extend(
            seed_texts
                .iter()
                .zip(vectors)
                .map(|((label, _), v)| VectorExample {
                    vector: v.as_ref().clone(),
                    label: *label,
                    polarity: Polarity::Positive,
                    weight: 1.0,
                }),
        );
        SemanticTagger {
            lexical_share: config.lexical_share.clamp(0.0, 1.0),
            examples,
            sample,
            config,
            model_name,
        }
    })
    .await
    .context("training the semantic tagger")
}

impl SemanticTagger {
    /// Where each item's mass goes when these items (id, vector) are tagged together: in
    /// graphs of their own with the examples, padded with the recent sample (without them).
    pub fn assess_batch(&self, items: &[(i64, &[f32])]) -> Assessed {
        let ids: HashSet<i64> = items.iter().map(|(id, _)| *id).collect();
        let pad: Vec<&[f32]> = self
            .sample
            .iter()
            .filter(|(id, _)| !ids.contains(id))
            .map(|(_, v)| v.as_slice())
            .collect();
        let vectors: Vec<&[f32]> = items.iter().map(|(_, v)| *v).collect();
        batch::assess(&self.examples, &pad, &vectors, &self.config)
    }

    /// Unlabelled nodes per graph of [`SemanticTagger::assess_batch`].
    pub fn graph_items(&self) -> usize {
        self.config.graph_items.max(1)
    }

    /// The theme for an item assessed in a batch ([`SemanticTagger::assess_batch`]), or `None`.
    pub fn decide(
        &self,
        lexical: &Model,
        text: &str,
        labels: &[LabelId],
        assessment: &Assessment,
    ) -> Option<Prediction> {
        let lex: HashMap<i64, f32> = lexical.scores(text).into_iter().collect();
        batch::decide(labels, assessment, &lex, self.lexical_share)
    }
}
