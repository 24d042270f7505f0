//! Clustering of untagged texts by meaning: spherical k-means++ over sentence vectors, labelled with distinctive words.
//!
//! Each vector is first blended with its nearest neighbours' (denoising). Deterministic for a
//! seed (the crate's splitmix PRNG seeds k-means++; a few restarts keep the tightest). Labels
//! are the cluster's most over-represented content words and word pairs (never stop words,
//! contractions or digits), e.g. "virtual card, disposable, cards".

use std::collections::{HashMap, HashSet};

use super::cluster::Cluster;
use super::features::{STOP_WORDS, words};
use super::rng::SplitMix64;
use super::vectors::{Rows, dot, nearest_neighbours, normalize, similarities};

const MAX_ITERS: usize = 30;
const RESTARTS: usize = 3;

/// Extra function words kept as classification features but useless in a label.
const LABEL_STOP: &[&str] = &[
    "can",
    "what",
    "how",
    "why",
    "when",
    "where",
    "which",
    "who",
    "not",
    "no",
    "yes",
    "know",
    "like",
    "tell",
    "help",
    "way",
    "thing",
    "something",
    "anything",
    "possible",
    "able",
    "much",
    "many",
    "only",
    "now",
    "yet",
    "already",
    "ok",
    "okay",
    "hi",
    "hello",
    "thanks",
    "thank",
    "sure",
    "wanted",
    "going",
    "make",
    "made",
    "use",
    "used",
    "see",
    "new",
    "do",
    "dont",
    "cant",
    "didnt",
    "doesnt",
    "havent",
    "isnt",
    "wont",
];

fn label_word(w: &str) -> bool {
    w.chars().count() >= 3
        && w.chars().all(char::is_alphabetic)
        && !STOP_WORDS.contains(&w)
        && !LABEL_STOP.contains(&w)
}

/// Cluster `vectors` (one per text, same order) into `k` groups (default: about √(n/2)).
pub fn cluster_vectors(
    vectors: &[&[f32]],
    texts: &[&str],
    k: Option<usize>,
    seed: u64,
) -> Vec<Cluster> {
    let n = vectors.len();
    if n == 0 {
        return Vec::new();
    }
    let dim = vectors[0].len();
    let mut x = Rows::from_vectors(dim, vectors.iter().copied());
    let mean = x.mean();
    x.center(&mean);
    smooth(&mut x);
    let k = k
        .unwrap_or_else(|| ((n as f64 / 2.0).sqrt().round() as usize).clamp(2, 60))
        .clamp(1, n);
    let mut best: Option<(f32, Vec<usize>, Rows)> = None;
    let mut rng = SplitMix64::new(seed);
    for _ in 0..RESTARTS {
        let run = kmeans(&x, k, &mut rng);
        if best.as_ref().is_none_or(|b| run.0 > b.0) {
            best = Some(run);
        }
    }
    let Some((_, assign, centroids)) = best else {
        return Vec::new();
    };
    describe(&x, texts, &assign, &centroids)
}

/// Neighbours whose vectors are blended into each text's before clustering.
const SMOOTH_NEIGHBOURS: usize = 10;
/// Blending rounds.
const SMOOTH_ROUNDS: usize = 2;

/// Blend every vector with its nearest neighbours (weight cosine³): one-off phrasings move
/// towards what their neighbourhood is about, which gives k-means cleaner groups.
fn smooth(x: &mut Rows) {
    if x.len() <= SMOOTH_NEIGHBOURS {
        return;
    }
    let nn = nearest_neighbours(x, SMOOTH_NEIGHBOURS);
    for _ in 0..SMOOTH_ROUNDS {
        let mut next = x.clone();
        for (i, edges) in nn.iter().enumerate() {
            let row = next.row_mut(i);
            for &(j, s) in edges {
                let w = s.max(0.0).powi(3);
                for (r, v) in row.iter_mut().zip(x.row(j)) {
                    *r += w * v;
                }
            }
            normalize(row);
        }
        *x = next;
    }
}

/// One k-means++ seeded run: (total cosine to own centroid, assignment, centroids).
fn kmeans(x: &Rows, k: usize, rng: &mut SplitMix64) -> (f32, Vec<usize>, Rows) {
    let n = x.len();
    let mut centroids = Rows {
        dim: x.dim,
        data: Vec::with_capacity(k * x.dim),
    };
    centroids.data.extend_from_slice(x.row(rng.below(n)));
    let mut closest: Vec<f32> = (0..n)
        .map(|i| 1.0 - dot(x.row(i), centroids.row(0)))
        .collect();
    while centroids.len() < k {
        let total: f64 = closest.iter().map(|d| f64::from(d.max(0.0))).sum();
        let mut pick = rng.next_f64() * total;
        let mut chosen = n - 1;
        for (i, d) in closest.iter().enumerate() {
            pick -= f64::from(d.max(0.0));
            if pick <= 0.0 {
                chosen = i;
                break;
            }
        }
        centroids.data.extend_from_slice(x.row(chosen));
        let c = centroids.len() - 1;
        for (i, d) in closest.iter_mut().enumerate() {
            *d = d.min(1.0 - dot(x.row(i), centroids.row(c)));
        }
    }
    let mut assign = vec![usize::MAX; n];
    let mut sims = Vec::new();
    let mut score = 0.0;
    for _ in 0..MAX_ITERS {
        similarities(&x.data, &centroids.data, x.dim, &mut sims);
        let mut changed = false;
        score = 0.0;
        for (i, row) in sims.chunks(k).enumerate() {
            let (c, s) =
                row.iter()
                    .copied()
                    .enumerate()
                    .fold(
                        (0, f32::NEG_INFINITY),
                        |b, (c, s)| if s > b.1 { (c, s) } else { b },
                    );
            score += s;
            if assign[i] != c {
                assign[i] = c;
                changed = true;
            }
        }
        if !changed {
            break;
        }
        let mut sums = vec![0.0f32; k * x.dim];
        let mut counts = vec![0usize; k];
        for (i, &c) in assign.iter().enumerate() {
            counts[c] += 1;
            for (s, v) in sums[c * x.dim..(c + 1) * x.dim].iter_mut().zip(x.row(i)) {
                *s += v;
            }
        }
        for c in 0..k {
            let row = &mut sums[c * x.dim..(c + 1) * x.dim];
            if counts[c] == 0 {
                // An emptied cluster restarts at the point its centroid would explain worst.
                let far = (0..n)
                    .min_by(|&a, &b| sims[a * k + assign[a]].total_cmp(&sims[b * k + assign[b]]))
                    .unwrap_or(0);
                row.copy_from_slice(x.row(far));
            }
            normalize(row);
        }
        centroids.data = sums;
    }
    (score, assign, centroids)
}

fn describe(x: &Rows, texts: &[&str], assign: &[usize], centroids: &Rows) -> Vec<Cluster> {
    let k = centroids.len();
    let n = assign.len();
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); k];
    for (i, &c) in assign.iter().enumerate() {
        members[c].push(i);
    }
    // Terms of each text: distinct label words and adjacent label-word pairs.
    let terms: Vec<HashSet<String>> = (0..n)
        .map(|i| {
            let w: Vec<String> = texts.get(i).map(|t| words(t)).unwrap_or_default();
            let mut set: HashSet<String> = w.iter().filter(|w| label_word(w)).cloned().collect();
            for pair in w.windows(2) {
                if label_word(&pair[0]) && label_word(&pair[1]) {
                    set.insert(format!("{} {}", pair[0], pair[1]));
                }
            }
            set
        })
        .collect();
    let mut df: HashMap<&str, usize> = HashMap::new();
    for t in &terms {
        for w in t {
            *df.entry(w.as_str()).or_insert(0) += 1;
        }
    }
    let mut out = Vec::new();
    for (c, mem) in members.into_iter().enumerate() {
        if mem.is_empty() {
            continue;
        }
        let mut local: HashMap<&str, usize> = HashMap::new();
        for &i in &mem {
            for w in &terms[i] {
                *local.entry(w.as_str()).or_insert(0) += 1;
            }
        }
        let m = mem.len() as f64;
        // Share in the cluster × lift over the corpus: frequent here, rare elsewhere.
        let mut scored: Vec<(f64, &str)> = local
            .into_iter()
            .filter(|(_, cnt)| *cnt >= 2 || mem.len() < 4)
            .map(|(w, cnt)| {
                let p_here = cnt as f64 / m;
                let p_all = df[w] as f64 / n as f64;
                (p_here * (p_here / p_all).ln(), w)
            })
            .filter(|(s, _)| *s > 0.0)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        let mut chosen: Vec<&str> = Vec::new();
        for &(_, w) in &scored {
            if chosen.len() >= 3 {
                break;
            }
            let overlaps = |a: &str, b: &str| a.split(' ').any(|x| b.split(' ').any(|y| x == y));
            if chosen.iter().any(|c| c.contains(' ') && overlaps(c, w)) {
                continue;
            }
            if w.contains(' ') {
                chosen.retain(|c| !overlaps(c, w));
            } else if chosen.iter().any(|c| overlaps(c, w)) {
                continue;
            }
            chosen.push(w);
        }
        let label = if chosen.is_empty() {
            "misc".to_string()
        } else {
            chosen.join(", ")
        };
        let mut typical: Vec<(f32, usize)> = mem
            .iter()
            .map(|&i| (dot(x.row(i), centroids.row(c)), i))
            .collect();
        typical.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        out.push(Cluster {
            label,
            members: mem,
            typical: typical.iter().take(5).map(|t| t.1).collect(),
        });
    }
    out.sort_by(|a, b| {
        b.members
            .len()
            .cmp(&a.members.len())
            .then(a.members[0].cmp(&b.members[0]))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(center: usize, jitter: f32, i: usize) -> Vec<f32> {
        let mut v = vec![0.0f32; 8];
        v[center] = 1.0;
        v[(center + 1 + i % 3) % 8] = jitter;
        v
    }

    #[test]
    fn recovers_groups_and_labels_them_with_content_words() {
        let mut vecs = Vec::new();
        let mut texts = Vec::new();
        for i in 0..6 {
            vecs.push(blob(0, 0.1 * i as f32, i));
            texts.push(
                [
                    "What's up with my card delivery?",
                    "My card delivery is late",
                ][i % 2],
            );
            vecs.push(blob(4, 0.1 * i as f32, i));
            texts.push(
                [
                    "I don't recognize this payment",
                    "Unknown payment, don't recognize it",
                ][i % 2],
            );
        }
        let refs: Vec<&[f32]> = vecs.iter().map(Vec::as_slice).collect();
        let clusters = cluster_vectors(&refs, &texts, Some(2), 7);
        assert_eq!(clusters.len(), 2);
        let mut sizes: Vec<usize> = clusters.iter().map(|c| c.members.len()).collect();
        sizes.sort_unstable();
        assert_eq!(sizes, [6, 6]);
        for c in &clusters {
            let even = c.members[0] % 2;
            assert!(c.members.iter().all(|m| m % 2 == even), "{c:?}");
            assert!(
                !c.label.contains('\'') && !c.label.contains("what"),
                "{}",
                c.label
            );
            assert_eq!(c.typical.len(), 5);
        }
        let labels: Vec<&str> = clusters.iter().map(|c| c.label.as_str()).collect();
        assert!(
            labels.iter().any(|l| l.contains("card delivery")),
            "{labels:?}"
        );
        assert!(labels.iter().any(|l| l.contains("recognize")), "{labels:?}");
        // Same seed, same clusters.
        assert_eq!(cluster_vectors(&refs, &texts, Some(2), 7), clusters);
        assert!(cluster_vectors(&[], &[], None, 0).is_empty());
    }
}
