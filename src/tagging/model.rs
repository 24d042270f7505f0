//! Few-shot text classifier.
//!
//! An ensemble of (a) multinomial logistic regression trained with SGD (L2, lazy weight
//! scaling, class-balanced) and (b) a nearest-centroid cosine scorer, over the TF-IDF
//! features of [`super::features`]. Negative examples (rejections) enter the regression as
//! a `-log(1 - p_label)` loss, are subtracted from the label's centroid and veto the label
//! for near-identical texts. A label's confidence is its ensemble probability times a gate
//! on its centroid similarity, so texts unrelated to every label stay untagged.

use serde::{Deserialize, Serialize};

use super::features::{FeatureConfig, RawFeatures, SparseVec, Vocab, raw_features, sparse_dot};
use super::rng::SplitMix64;

/// A theme id in the app.
pub type LabelId = i64;

/// Whether an example says "this text is about the label" or "it is not".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Polarity {
    Positive,
    Negative,
}

/// One labelled (or rejected) text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Example {
    pub text: String,
    pub label: LabelId,
    pub polarity: Polarity,
    pub weight: f32,
}

/// What a theme says about itself; its name, description and keyword phrases count as
/// positive examples so a brand-new theme still catches obvious matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelSeed {
    pub label: LabelId,
    pub name: String,
    pub description: String,
    pub keywords: Vec<String>,
}

/// A confident label.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    pub label: LabelId,
    pub confidence: f32,
}

/// Training settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// `classify` abstains when the best confidence is below this.
    pub abstain_threshold: f32,
    /// Seed of the shuffling PRNG (same seed + same data = same model).
    pub seed: u64,
    /// SGD epochs (upper bound, see `max_updates`).
    pub epochs: usize,
    /// Cap on SGD steps: large training sets get fewer epochs (at least 3), which keeps a
    /// full retrain on 10k examples fast.
    pub max_updates: usize,
    /// Initial SGD learning rate.
    pub learning_rate: f32,
    /// L2 penalty (per example).
    pub l2: f32,
    /// Share of the logistic-regression probability in the ensemble (rest: centroid).
    pub lr_mix: f32,
    /// Softmax temperature applied to centroid cosine similarities.
    pub centroid_temperature: f32,
    /// Centroid similarity at which the confidence gate opens (below: gate rises from 0).
    pub gate_low: f32,
    /// Centroid similarity at which the gate is fully open.
    pub gate_high: f32,
    /// Weight of examples made from [`LabelSeed`] name/description/keywords.
    pub seed_weight: f32,
    /// How strongly a negative example is subtracted from its label's centroid.
    pub negative_centroid_weight: f32,
    /// A text whose cosine similarity to a rejected text is `s` has that label's confidence
    /// multiplied by `1 - s` when `s` exceeds this.
    pub negative_veto_similarity: f32,
    /// Self-training: pseudo-label unlabelled texts with confidence ≥ this and retrain once
    /// (only when unlabelled texts are given; `> 1` disables).
    pub self_train_threshold: f32,
    /// Weight of pseudo-labelled examples.
    pub self_train_weight: f32,
    /// At most this many pseudo-labelled texts per label.
    pub self_train_per_label: usize,
    /// Feature extraction.
    pub features: FeatureConfig,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            abstain_threshold: 0.2,
            seed: 0,
            epochs: 25,
            max_updates: 100_000,
            learning_rate: 1.0,
            l2: 1e-4,
            lr_mix: 0.7,
            centroid_temperature: 0.1,
            gate_low: 0.05,
            gate_high: 0.25,
            seed_weight: 1.0,
            negative_centroid_weight: 0.5,
            negative_veto_similarity: 0.5,
            self_train_threshold: 0.2,
            self_train_weight: 0.3,
            self_train_per_label: 20,
            features: FeatureConfig {
                bigrams: false,
                ..FeatureConfig::default()
            },
        }
    }
}

/// Scoring parameters kept with the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ScoreParams {
    abstain_threshold: f32,
    lr_mix: f32,
    centroid_temperature: f32,
    gate_low: f32,
    gate_high: f32,
    negative_veto_similarity: f32,
}

/// A trained classifier. Cheap to clone relative to training; `Send + Sync`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Model {
    vocab: Vocab,
    labels: Vec<LabelId>,
    /// Row per indexed feature: `[lr weight × L | centroid weight × L]`.
    weights: Vec<f32>,
    bias: Vec<f32>,
    /// Rejected texts: (label index, vector).
    negatives: Vec<(u32, SparseVec)>,
    params: ScoreParams,
}

/// A training item after featurisation.
struct Item {
    raw: RawFeatures,
    label: usize,
    positive: bool,
    weight: f32,
}

fn softmax_in_place(z: &mut [f32]) {
    let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if !max.is_finite() {
        let n = z.len().max(1) as f32;
        z.iter_mut().for_each(|v| *v = 1.0 / n);
        return;
    }
    let mut sum = 0.0;
    for v in z.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    if sum > 0.0 {
        z.iter_mut().for_each(|v| *v /= sum);
    }
}

fn finite_or(v: f32, fallback: f32) -> f32 {
    if v.is_finite() { v } else { fallback }
}

impl Model {
    /// Train from theme seeds and labelled examples.
    pub fn train(seeds: &[LabelSeed], examples: &[Example], config: &TrainConfig) -> Model {
        Model::train_with_unlabelled(seeds, examples, &[], config)
    }

    /// Same as [`Model::train`], but also uses unlabelled texts (e.g. the untagged items):
    /// their words enter the IDF statistics, and confident ones are pseudo-labelled for one
    /// round of self-training.
    pub fn train_with_unlabelled(
        seeds: &[LabelSeed],
        examples: &[Example],
        unlabelled: &[&str],
        config: &TrainConfig,
    ) -> Model {
        let fc = &config.features;
        // Labels: every seeded label and every label with a positive example.
        let mut labels: Vec<LabelId> = seeds.iter().map(|s| s.label).collect();
        labels.extend(
            examples
                .iter()
                .filter(|e| e.polarity == Polarity::Positive)
                .map(|e| e.label),
        );
        labels.sort_unstable();
        labels.dedup();
        let label_index = |l: LabelId| labels.binary_search(&l).ok();

        let mut items: Vec<Item> = Vec::new();
        for s in seeds {
            let Some(li) = label_index(s.label) else {
                continue;
            };
            let head = format!("{} {}", s.name, s.description);
            let mut texts: Vec<&str> = vec![head.as_str()];
            texts.extend(s.keywords.iter().map(String::as_str));
            for t in texts {
                let raw = raw_features(t, fc);
                if !raw.is_empty() && config.seed_weight > 0.0 {
                    items.push(Item {
                        raw,
                        label: li,
                        positive: true,
                        weight: config.seed_weight,
                    });
                }
            }
        }
        for e in examples {
            let Some(li) = label_index(e.label) else {
                continue;
            };
            let w = finite_or(e.weight, 0.0);
            if w <= 0.0 {
                continue;
            }
            let raw = raw_features(&e.text, fc);
            if raw.is_empty() {
                continue;
            }
            items.push(Item {
                raw,
                label: li,
                positive: e.polarity == Polarity::Positive,
                weight: w,
            });
        }
        let unl_raw: Vec<RawFeatures> = unlabelled.iter().map(|t| raw_features(t, fc)).collect();
        let vocab = Vocab::fit(items.iter().map(|i| &i.raw).chain(unl_raw.iter()), fc);

        let model = Model::fit(vocab.clone(), labels.clone(), &items, config);
        if unl_raw.is_empty() || config.self_train_threshold > 1.0 || labels.len() < 2 {
            return model;
        }
        // Self-training: for every label, its most confident unlabelled texts (at most
        // `self_train_per_label`, confidence ≥ threshold) become pseudo-labelled examples;
        // retrain once. Per-label quotas keep easy labels from swamping the rest.
        let n_items = items.len();
        let mut cands: Vec<Vec<(f32, usize)>> = vec![Vec::new(); labels.len()];
        for (u, raw) in unl_raw.iter().enumerate() {
            let x = model.vocab.transform(raw);
            let scores = model.label_scores(&x);
            if let Some((li, conf)) = scores
                .iter()
                .copied()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(&b.1))
                && conf >= config.self_train_threshold
            {
                cands[li].push((conf, u));
            }
        }
        for (li, mut c) in cands.into_iter().enumerate() {
            c.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            for &(_, u) in c.iter().take(config.self_train_per_label) {
                items.push(Item {
                    raw: unl_raw[u].clone(),
                    label: li,
                    positive: true,
                    weight: config.self_train_weight,
                });
            }
        }
        if items.len() == n_items {
            return model;
        }
        Model::fit(vocab, labels, &items, config)
    }

    fn fit(mut vocab: Vocab, labels: Vec<LabelId>, items: &[Item], config: &TrainConfig) -> Model {
        vocab.index(items.iter().map(|i| &i.raw));
        let nl = labels.len();
        let nf = vocab.n_indexed();
        let xs: Vec<SparseVec> = items.iter().map(|i| vocab.transform(&i.raw)).collect();

        // Class balance: positive weight ∝ 1/sqrt(count).
        let mut counts = vec![0.0f32; nl];
        for it in items.iter().filter(|i| i.positive) {
            counts[it.label] += it.weight;
        }
        let mean_count = {
            let nz: Vec<f32> = counts.iter().copied().filter(|c| *c > 0.0).collect();
            if nz.is_empty() {
                1.0
            } else {
                nz.iter().sum::<f32>() / nz.len() as f32
            }
        };
        let balance: Vec<f32> = counts
            .iter()
            .map(|c| {
                if *c > 0.0 {
                    (mean_count / c).sqrt()
                } else {
                    1.0
                }
            })
            .collect();

        // --- Logistic regression (SGD, lazily scaled L2) ---
        let mut w = vec![0.0f32; nf * nl];
        let mut bias = vec![0.0f32; nl];
        if nl >= 1 && !xs.is_empty() {
            let mut rng = SplitMix64::new(config.seed);
            let mut order: Vec<usize> = (0..xs.len()).collect();
            let mut scale = 1.0f32;
            let mut z = vec![0.0f32; nl];
            let mut g = vec![0.0f32; nl];
            let lambda = finite_or(config.l2, 0.0).max(0.0);
            let lr0 = finite_or(config.learning_rate, 0.5).max(1e-6);
            let mut t = 0.0f32;
            let epochs = (config.max_updates / xs.len()).clamp(3, config.epochs.max(3));
            let epochs = epochs.min(config.epochs);
            let total_steps = (epochs * xs.len()).max(1) as f32;
            for _ in 0..epochs {
                rng.shuffle(&mut order);
                for &i in &order {
                    let it = &items[i];
                    let x = &xs[i];
                    let lr = lr0 * (1.0 - 0.9 * t / total_steps);
                    t += 1.0;
                    z.copy_from_slice(&bias);
                    for &(f, v) in x {
                        let row = &w[f as usize * nl..(f as usize + 1) * nl];
                        let sv = v * scale;
                        for (zc, wc) in z.iter_mut().zip(row) {
                            *zc += sv * wc;
                        }
                    }
                    softmax_in_place(&mut z);
                    let y = it.label;
                    if it.positive {
                        let wt = it.weight * balance[y];
                        for c in 0..nl {
                            g[c] = wt * (z[c] - if c == y { 1.0 } else { 0.0 });
                        }
                    } else {
                        // loss = -log(1 - p_y)
                        let py = z[y].min(1.0 - 1e-6);
                        let wt = it.weight;
                        for c in 0..nl {
                            g[c] = if c == y {
                                wt * py
                            } else {
                                -wt * py * z[c] / (1.0 - py)
                            };
                        }
                    }
                    scale *= 1.0 - (lr * lambda).min(0.5);
                    let step = lr / scale;
                    for &(f, v) in x {
                        let row = &mut w[f as usize * nl..(f as usize + 1) * nl];
                        let sv = step * v;
                        for (wc, gc) in row.iter_mut().zip(&g) {
                            *wc -= sv * gc;
                        }
                    }
                    for (b, gc) in bias.iter_mut().zip(&g) {
                        *b -= lr * 0.1 * gc;
                    }
                    if scale < 1e-4 {
                        w.iter_mut().for_each(|v| *v *= scale);
                        scale = 1.0;
                    }
                }
            }
            w.iter_mut().for_each(|v| *v *= scale);
        }

        // --- Centroids ---
        let mut cent = vec![0.0f32; nf * nl];
        for (it, x) in items.iter().zip(&xs) {
            let sign = if it.positive {
                it.weight
            } else {
                -it.weight * config.negative_centroid_weight
            };
            for &(f, v) in x {
                cent[f as usize * nl + it.label] += sign * v;
            }
        }
        let mut col_sq = vec![0.0f32; nl];
        for row in cent.chunks(nl.max(1)) {
            for (s, v) in col_sq.iter_mut().zip(row) {
                *s += v * v;
            }
        }
        let inv: Vec<f32> = col_sq
            .iter()
            .map(|s| if *s > 0.0 { 1.0 / s.sqrt() } else { 0.0 })
            .collect();

        let mut weights = vec![0.0f32; nf * nl * 2];
        if nl > 0 {
            for f in 0..nf {
                let dst = &mut weights[f * 2 * nl..(f + 1) * 2 * nl];
                dst[..nl].copy_from_slice(&w[f * nl..(f + 1) * nl]);
                for c in 0..nl {
                    dst[nl + c] = cent[f * nl + c] * inv[c];
                }
            }
        }
        let negatives = items
            .iter()
            .zip(xs)
            .filter(|(it, _)| !it.positive)
            .map(|(it, x)| (it.label as u32, x))
            .collect();

        Model {
            vocab,
            labels,
            weights,
            bias,
            negatives,
            params: ScoreParams {
                abstain_threshold: config.abstain_threshold,
                lr_mix: config.lr_mix.clamp(0.0, 1.0),
                centroid_temperature: config.centroid_temperature.max(1e-4),
                gate_low: config.gate_low,
                gate_high: config.gate_high,
                negative_veto_similarity: config.negative_veto_similarity,
            },
        }
    }

    /// Confidence for every label index (same order as `labels`).
    fn label_scores(&self, x: &SparseVec) -> Vec<f32> {
        let nl = self.labels.len();
        if nl == 0 {
            return Vec::new();
        }
        let mut acc = vec![0.0f32; 2 * nl];
        for &(f, v) in x {
            let start = f as usize * 2 * nl;
            if let Some(row) = self.weights.get(start..start + 2 * nl) {
                for (a, wv) in acc.iter_mut().zip(row) {
                    *a += v * wv;
                }
            }
        }
        let (lr, cent) = acc.split_at_mut(nl);
        for (z, b) in lr.iter_mut().zip(&self.bias) {
            *z += b;
        }
        let sims: Vec<f32> = cent.to_vec();
        softmax_in_place(lr);
        let t = self.params.centroid_temperature;
        cent.iter_mut().for_each(|s| *s /= t);
        softmax_in_place(cent);
        let mix = self.params.lr_mix;
        let span = (self.params.gate_high - self.params.gate_low).max(1e-6);
        // One gate for all labels (keeps the ranking of the ensemble probabilities): how
        // close the text is to the nearest label centroid at all.
        let max_sim = sims.iter().copied().fold(0.0f32, f32::max);
        let gate = ((max_sim - self.params.gate_low) / span).clamp(0.0, 1.0);
        let mut out: Vec<f32> = (0..nl)
            .map(|c| {
                let p = mix * lr[c] + (1.0 - mix) * cent[c];
                finite_or(p * gate, 0.0).clamp(0.0, 1.0)
            })
            .collect();
        for (li, nv) in &self.negatives {
            let s = sparse_dot(x, nv);
            if s > self.params.negative_veto_similarity
                && let Some(o) = out.get_mut(*li as usize)
            {
                *o *= (1.0 - s).max(0.0);
            }
        }
        out
    }

    /// Every label with its confidence in `0..=1`, best first.
    pub fn scores(&self, text: &str) -> Vec<(LabelId, f32)> {
        let x = self
            .vocab
            .transform(&raw_features(text, self.vocab.config()));
        let s = self.label_scores(&x);
        let mut out: Vec<(LabelId, f32)> = self.labels.iter().copied().zip(s).collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }

    /// Best label, or `None` when no label reaches the abstain threshold.
    pub fn classify(&self, text: &str) -> Option<Prediction> {
        self.scores(text)
            .first()
            .filter(|(_, c)| *c >= self.params.abstain_threshold && *c > 0.0)
            .map(|&(label, confidence)| Prediction { label, confidence })
    }

    /// Labels known to the model, ascending.
    pub fn labels(&self) -> &[LabelId] {
        &self.labels
    }

    /// Current abstain threshold.
    pub fn abstain_threshold(&self) -> f32 {
        self.params.abstain_threshold
    }

    /// Change the abstain threshold without retraining.
    pub fn set_abstain_threshold(&mut self, threshold: f32) {
        self.params.abstain_threshold = threshold;
    }
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
