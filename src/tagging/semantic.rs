//! Few-shot theme classifier over sentence vectors: label propagation with an "untagged" sink.
//!
//! [`train`] takes labelled vectors (confirmed tags, rejections as negatives, a theme's own
//! name/description/keywords as examples) and the vectors of the items to tag (with others
//! padding the graph, [`super::batch`]). All of them become nodes of a k-nearest-neighbour
//! graph (cosine after removing the common mean and whitening the within-theme spread,
//! [`Whitening`]); labels spread along its edges while every unlabelled node also leaks a little
//! mass into an "untagged" sink, so items far from every theme's examples stay untagged (the
//! calibrated abstention). Self-training rounds then spread again from the examples plus the
//! items already decided with confidence; where each item's mass went is the result.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::model::{LabelId, LabelSeed, Polarity};
use super::propagation::{normalised_graph, propagate};
use super::vectors::{Rows, dot, normalize};
use super::whiten::Whitening;

/// Below this many vectors the common mean is not removed.
const MIN_ROWS_TO_CENTER: usize = 50;

/// A labelled (or rejected) text's sentence vector.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorExample {
    pub vector: Vec<f32>,
    pub label: LabelId,
    pub polarity: Polarity,
    pub weight: f32,
}

/// Settings of [`train`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SemanticConfig {
    /// Neighbours per node in the similarity graph.
    pub neighbours: usize,
    /// Edge weight = cosine^power (sharpens the graph towards close neighbours).
    pub edge_power: f32,
    /// Share of a node's mass that comes from its neighbours each step (rest: its own prior).
    pub alpha: f32,
    /// Propagation steps.
    pub iterations: usize,
    /// Prior mass of every unlabelled node on "untagged", per positive example of the average
    /// theme (so it scales with how much evidence the themes have), for a graph of
    /// [`SINK_REFERENCE_PER_THEME`] unlabelled items per theme; see [`sink_mass`] for others.
    pub sink_per_example: f32,
    /// Weight of a rejection (negative mass on its label).
    pub negative_weight: f32,
    /// Cosine (after centring) to a rejected text above which its label is vetoed.
    pub veto_similarity: f32,
    /// In a graph too small to centre (under 50 nodes: a new hub's first items), an item whose
    /// cosine to every theme's prototype (the mean of its examples) is below this stays
    /// untagged: so few nodes have no density to leak "untagged" mass from.
    pub abstain_cosine: f32,
    /// Combined engine: share of the lexical model's confidence in a label's score.
    pub lexical_share: f32,
    /// Self-training rounds: after propagating, every unlabelled item whose mass goes mostly
    /// (over `self_train_confidence`) to one label, or to "untagged", gets `self_train_weight`
    /// of prior mass there, and labels spread again from the examples plus those. Themes
    /// reach their whole neighbourhoods, and groups of items unlike any theme pull their
    /// neighbours to "untagged" in turn.
    pub self_train_rounds: usize,
    pub self_train_weight: f32,
    pub self_train_confidence: f32,
    /// How far the within-theme whitening ([`Whitening`]) is shrunk towards plain cosines
    /// (1 = not at all whitened).
    pub within_shrinkage: f32,
    /// Unlabelled nodes per graph when many items are tagged at once ([`super::batch`]).
    pub graph_items: usize,
}

impl Default for SemanticConfig {
    fn default() -> Self {
        SemanticConfig {
            neighbours: 7,
            edge_power: 3.0,
            alpha: 0.8,
            iterations: 20,
            sink_per_example: 0.015,
            negative_weight: 1.0,
            veto_similarity: 0.9,
            abstain_cosine: 0.4,
            lexical_share: 0.3,
            self_train_rounds: 2,
            self_train_weight: 0.3,
            self_train_confidence: 0.5,
            within_shrinkage: 0.9,
            graph_items: super::batch::GRAPH_ITEMS,
        }
    }
}

/// The texts a theme says about itself, to embed as its examples.
pub fn seed_texts(seed: &LabelSeed) -> Vec<String> {
    let head = format!("{}. {}", seed.name.trim(), seed.description.trim());
    let mut out = vec![head.trim_end_matches(['.', ' ']).to_string()];
    out.extend(
        seed.keywords
            .iter()
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty()),
    );
    out.retain(|t| !t.is_empty());
    out
}

/// Where an unlabelled item's propagated mass went: per label (the model's label order) and
/// to "untagged", summing to 1 (all zero for an isolated item).
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub label_probs: Vec<f32>,
    pub untagged: f32,
}

impl Assessment {
    /// Best label index and its probability, ignoring the sink.
    pub fn best(&self) -> Option<(usize, f32)> {
        self.label_probs
            .iter()
            .copied()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
            .filter(|(_, p)| *p > 0.0)
    }

    /// Whether the item should stay untagged.
    pub fn abstains(&self) -> bool {
        self.best().is_none_or(|(_, p)| self.untagged >= p)
    }
}

/// [`train`]'s result: the labels (ascending, the order of [`Assessment::label_probs`]) and
/// one assessment per unlabelled vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Trained {
    pub labels: Vec<LabelId>,
    pub unlabelled: Vec<Assessment>,
}

/// Propagate the examples' labels over a graph of them and the unlabelled vectors (the items
/// to tag, and others that pad the graph): where each unlabelled vector's mass went.
pub fn train(examples: &[VectorExample], unlabelled: &[&[f32]], cfg: &SemanticConfig) -> Trained {
    let mut labels: Vec<LabelId> = examples
        .iter()
        .filter(|e| e.polarity == Polarity::Positive && e.weight > 0.0)
        .map(|e| e.label)
        .collect();
    labels.sort_unstable();
    labels.dedup();
    let examples: Vec<(&VectorExample, usize)> = examples
        .iter()
        .filter(|e| e.weight.is_finite() && e.weight > 0.0)
        .filter_map(|e| labels.binary_search(&e.label).ok().map(|li| (e, li)))
        .collect();
    let dim = examples
        .first()
        .map(|e| e.0.vector.len())
        .or_else(|| unlabelled.first().map(|u| u.len()))
        .unwrap_or(0);
    let nl = labels.len();
    let n0 = examples.len();
    let mut x = Rows::from_vectors(
        dim,
        examples
            .iter()
            .map(|e| e.0.vector.as_slice())
            .chain(unlabelled.iter().copied()),
    );
    // The mean of a handful of examples is mostly those examples: too few, keep raw cosines.
    let mean = if x.len() >= MIN_ROWS_TO_CENTER {
        x.mean()
    } else {
        vec![0.0; dim]
    };
    x.center(&mean);
    let members: Vec<(usize, usize)> = examples
        .iter()
        .enumerate()
        .filter(|(_, (e, _))| e.polarity == Polarity::Positive)
        .map(|(i, (_, li))| (i, *li))
        .collect();
    let whitening = (x.len() >= MIN_ROWS_TO_CENTER)
        .then(|| Whitening::fit(&x, &members, nl, cfg.within_shrinkage))
        .flatten();
    if let Some(w) = &whitening {
        w.apply_rows(&mut x);
    }

    // Label propagation: F = α·S·F + (1-α)·Y, S the symmetrically normalised k-NN graph.
    let n = x.len();
    let width = nl + 1;
    let mut prior = vec![0.0f32; n * width];
    let mut positive_mass = 0.0f32;
    for (i, (e, li)) in examples.iter().enumerate() {
        if e.polarity == Polarity::Positive {
            prior[i * width + li] += e.weight;
            positive_mass += e.weight;
        } else {
            prior[i * width + li] -= e.weight * cfg.negative_weight;
        }
    }
    let sink = sink_mass(cfg.sink_per_example, positive_mass, nl, n - n0);
    for u in n0..n {
        prior[u * width + nl] = sink;
    }
    let graph = if unlabelled.is_empty() {
        Vec::new()
    } else {
        normalised_graph(&x, cfg.neighbours, cfg.edge_power)
    };
    let mut mass = propagate(&graph, &prior, width, cfg);
    if !graph.is_empty() {
        for _ in 0..cfg.self_train_rounds {
            let mut boosted = prior.clone();
            for u in n0..n {
                let row = &mass[u * width..(u + 1) * width];
                let (best, p) = row
                    .iter()
                    .copied()
                    .enumerate()
                    .fold((0, 0.0f32), |b, (i, p)| if p > b.1 { (i, p) } else { b });
                if p > cfg.self_train_confidence {
                    boosted[u * width + best] += cfg.self_train_weight;
                }
            }
            mass = propagate(&graph, &boosted, width, cfg);
        }
    }

    let negatives: Vec<(usize, Vec<f32>)> = examples
        .iter()
        .enumerate()
        .filter(|(_, (e, _))| e.polarity == Polarity::Negative)
        .map(|(i, (_, li))| (*li, x.row(i).to_vec()))
        .collect();
    let prototypes = (x.len() < MIN_ROWS_TO_CENTER).then(|| {
        let mut p = Rows {
            dim,
            data: vec![0.0; nl * dim],
        };
        for (i, (e, li)) in examples.iter().enumerate() {
            if e.polarity == Polarity::Positive {
                for (d, v) in p.row_mut(*li).iter_mut().zip(x.row(i)) {
                    *d += e.weight * v;
                }
            }
        }
        (0..nl).for_each(|li| normalize(p.row_mut(li)));
        p
    });
    let assessments: Vec<Assessment> = (n0..n)
        .map(|u| {
            let row = &mass[u * width..(u + 1) * width];
            let mut label_probs = row[..nl].to_vec();
            veto(&negatives, x.row(u), cfg.veto_similarity, &mut label_probs);
            let far = prototypes
                .as_ref()
                .is_some_and(|p| (0..nl).all(|li| dot(x.row(u), p.row(li)) < cfg.abstain_cosine));
            if far {
                return Assessment {
                    label_probs: vec![0.0; nl],
                    untagged: 1.0,
                };
            }
            Assessment {
                label_probs,
                untagged: row[nl],
            }
        })
        .collect();

    Trained {
        labels,
        unlabelled: assessments,
    }
}

/// Labels' shares of an assessment's non-"untagged" mass (`labels` in its order), best first.
pub fn label_shares(labels: &[LabelId], a: &Assessment) -> Vec<(LabelId, f32)> {
    let total: f32 = a.label_probs.iter().sum::<f32>().max(1e-12);
    let mut out: Vec<(LabelId, f32)> = labels
        .iter()
        .copied()
        .zip(a.label_probs.iter().map(|p| p / total))
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    out
}

/// Semantic confidences mixed with the lexical model's (`lexical`, per label), `share` being
/// the lexical part; best first, ties to the lower label.
pub fn mix(
    scores: Vec<(LabelId, f32)>,
    lexical: &HashMap<LabelId, f32>,
    share: f32,
) -> Vec<(LabelId, f32)> {
    let share = share.clamp(0.0, 1.0);
    let mut out: Vec<(LabelId, f32)> = scores
        .into_iter()
        .map(|(label, p)| {
            let lex = lexical.get(&label).copied().unwrap_or(0.0);
            (label, (1.0 - share) * p + share * lex)
        })
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    out
}

/// Unlabelled items per theme the sink setting is stated for: it was fitted on graphs of 1,000
/// items with 67 themes (BANKING77 with 10 of its 77 intents held out as "should stay
/// untagged").
pub const SINK_REFERENCE_PER_THEME: f32 = 1_000.0 / 67.0;

/// Each unlabelled node's prior "untagged" mass. Label mass reaching an item falls as each
/// theme's examples are shared among more items (along more paths) while every node's sink
/// stays, so a fixed sink abstains more as the graph holds more items per theme: past the
/// reference density it is scaled by (reference ÷ items per theme)^1.5, and sparser graphs
/// keep the setting. (Measured on BANKING77 splits: the best 5-shot abstention F1 came at 0.01
/// with 1,000 unlabelled items and at 0.002 with 3,000, i.e. 3^1.46 apart. Per theme rather
/// than per graph, so three themes over 150 items are as dense as 77 over 3,850.)
fn sink_mass(per_example: f32, positive_mass: f32, labels: usize, unlabelled: usize) -> f32 {
    let per_theme = unlabelled.max(1) as f32 / labels.max(1) as f32;
    let size = (SINK_REFERENCE_PER_THEME / per_theme).powf(1.5).min(1.0);
    per_example * positive_mass / labels.max(1) as f32 * size
}

/// Zero a label's probability for items that are near-duplicates of a text rejected for it.
fn veto(negatives: &[(usize, Vec<f32>)], v: &[f32], threshold: f32, probs: &mut [f32]) {
    for (li, nv) in negatives {
        if dot(v, nv) > threshold
            && let Some(p) = probs.get_mut(*li)
        {
            *p = 0.0;
        }
    }
}

#[cfg(test)]
#[path = "semantic_tests.rs"]
mod tests;
