//! Clustering of untagged texts into suggested themes: spherical k-means (k-means++ seeding
//! with the seeded PRNG, a few restarts) on stemmed word uni+bigram TF-IDF vectors. When `k`
//! is not given it is chosen by cosine silhouette on a sample over a set of candidates.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::features::{
    FeatureConfig, KeyMap, RawFeatures, STOP_WORDS, SparseVec, Vocab, bigram_key, raw_features,
    sparse_dot, tokenize, word_key,
};
use super::rng::SplitMix64;

/// A suggested theme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cluster {
    /// Short label made of the cluster's most distinctive words.
    pub label: String,
    /// Indexes into the input texts.
    pub members: Vec<usize>,
    /// Up to 5 most typical members (closest to the centroid), most typical first.
    pub typical: Vec<usize>,
}

const MAX_ITERS: usize = 25;
const RESTARTS: usize = 3;
const SILHOUETTE_SAMPLE: usize = 400;

/// Words never used in cluster labels (they may still be features).
const LABEL_STOP: &[&str] = &[
    "a", "an", "the", "i", "me", "my", "mine", "you", "your", "it", "its", "is", "am", "are",
    "was", "were", "be", "been", "to", "of", "in", "on", "for", "and", "or", "this", "that", "do",
    "does", "did", "have", "has", "had", "with", "at", "by", "from", "as", "so", "we", "our", "us",
    "they", "them", "there", "here", "he", "she", "his", "her", "im", "i'm", "will", "would",
    "should", "could", "just", "get", "got", "please", "can", "what", "how", "why", "when",
    "where", "which", "who", "if", "but", "not", "no", "yes", "any", "some", "all", "0", "00",
    "000", "0000",
];

fn is_label_stop(w: &str) -> bool {
    LABEL_STOP.contains(&w) || STOP_WORDS.contains(&w)
}

fn cluster_features() -> FeatureConfig {
    FeatureConfig {
        word_weight: 1.0,
        bigrams: false,
        char_weight: 0.0,
        char_min: 3,
        char_max: 5,
        stem: true,
        drop_stop_words: true,
    }
}

/// Featurised corpus for clustering.
struct Corpus {
    xs: Vec<SparseVec>,
    n_features: usize,
    /// Display string for a feature index (words and bigrams only).
    display: Vec<Option<String>>,
}

fn build_corpus(texts: &[&str]) -> Corpus {
    let fc = cluster_features();
    let raws: Vec<RawFeatures> = texts.iter().map(|t| raw_features(t, &fc)).collect();
    let mut vocab = Vocab::fit(raws.iter(), &fc);
    vocab.index(raws.iter());
    let xs: Vec<SparseVec> = raws.iter().map(|r| vocab.transform(r)).collect();
    // Most frequent surface form per key.
    let mut forms: KeyMap<HashMap<String, u32>> = KeyMap::default();
    for t in texts {
        let toks = tokenize(t, true);
        for tk in &toks {
            if is_label_stop(&tk.surface) {
                continue;
            }
            *forms
                .entry(word_key(&tk.stem))
                .or_default()
                .entry(tk.surface.clone())
                .or_insert(0) += 1;
        }
        for p in toks.windows(2) {
            if is_label_stop(&p[0].surface) || is_label_stop(&p[1].surface) {
                continue;
            }
            *forms
                .entry(bigram_key(&p[0].stem, &p[1].stem))
                .or_default()
                .entry(format!("{} {}", p[0].surface, p[1].surface))
                .or_insert(0) += 1;
        }
    }
    let n_features = vocab.n_indexed();
    let mut display = vec![None; n_features];
    for (k, m) in forms {
        if let Some(idx) = vocab.index_of(k)
            && let Some((s, _)) = m
                .into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
        {
            display[idx as usize] = Some(s);
        }
    }
    Corpus {
        xs,
        n_features,
        display,
    }
}

/// Result of one k-means run.
struct KMeans {
    assign: Vec<usize>,
    /// Dense centroids, row per feature: `[f * k + c]`, columns L2-normalised.
    centroids: Vec<f32>,
    k: usize,
    objective: f32,
}

fn dense_scores(x: &[(u32, f32)], centroids: &[f32], k: usize, out: &mut [f32]) {
    out.iter_mut().for_each(|v| *v = 0.0);
    for &(f, v) in x {
        let start = f as usize * k;
        if let Some(row) = centroids.get(start..start + k) {
            for (o, c) in out.iter_mut().zip(row) {
                *o += v * c;
            }
        }
    }
}

fn argmax(v: &[f32]) -> (usize, f32) {
    let mut best = (0, f32::NEG_INFINITY);
    for (i, &s) in v.iter().enumerate() {
        if s > best.1 {
            best = (i, s);
        }
    }
    best
}

fn recompute_centroids(xs: &[SparseVec], assign: &[usize], k: usize, nf: usize) -> Vec<f32> {
    let mut c = vec![0.0f32; nf * k];
    for (x, &a) in xs.iter().zip(assign) {
        for &(f, v) in x {
            c[f as usize * k + a] += v;
        }
    }
    let mut sq = vec![0.0f32; k];
    for row in c.chunks(k) {
        for (s, v) in sq.iter_mut().zip(row) {
            *s += v * v;
        }
    }
    for row in c.chunks_mut(k) {
        for (v, s) in row.iter_mut().zip(&sq) {
            if *s > 0.0 {
                *v /= s.sqrt();
            }
        }
    }
    c
}

fn kmeans_once(xs: &[SparseVec], nf: usize, k: usize, rng: &mut SplitMix64) -> KMeans {
    let n = xs.len();
    // k-means++ seeding on cosine distance.
    let nonempty: Vec<usize> = (0..n).filter(|&i| !xs[i].is_empty()).collect();
    let mut centers: Vec<usize> = Vec::with_capacity(k);
    if let Some(&first) = nonempty.get(rng.below(nonempty.len())) {
        centers.push(first);
    }
    let mut best_sim = vec![f32::NEG_INFINITY; n];
    while centers.len() < k && !nonempty.is_empty() {
        let Some(&last) = centers.last() else { break };
        for &i in &nonempty {
            let s = sparse_dot(&xs[i], &xs[last]);
            if s > best_sim[i] {
                best_sim[i] = s;
            }
        }
        let d2: Vec<f64> = nonempty
            .iter()
            .map(|&i| f64::from((1.0 - best_sim[i]).max(0.0)).powi(2))
            .collect();
        let total: f64 = d2.iter().sum();
        if total <= 1e-12 {
            break; // every remaining point duplicates a center
        }
        let mut r = rng.next_f64() * total;
        let mut pick = nonempty[nonempty.len() - 1];
        for (j, &d) in d2.iter().enumerate() {
            r -= d;
            if r <= 0.0 {
                pick = nonempty[j];
                break;
            }
        }
        centers.push(pick);
    }
    let k = centers.len().max(1);
    let mut centroids = vec![0.0f32; nf * k];
    for (c, &i) in centers.iter().enumerate() {
        for &(f, v) in &xs[i] {
            centroids[f as usize * k + c] = v;
        }
    }
    let mut assign = vec![0usize; n];
    let mut scores = vec![0.0f32; k];
    let mut objective = 0.0;
    for iter in 0..MAX_ITERS {
        let mut changed = 0usize;
        objective = 0.0;
        let mut sims = vec![0.0f32; n];
        for (i, x) in xs.iter().enumerate() {
            dense_scores(x, &centroids, k, &mut scores);
            let (a, s) = argmax(&scores);
            if a != assign[i] || iter == 0 {
                changed += 1;
            }
            assign[i] = a;
            sims[i] = s;
            objective += s;
        }
        // Re-seed empty clusters with the worst-fitting points.
        let mut sizes = vec![0usize; k];
        for &a in &assign {
            sizes[a] += 1;
        }
        let mut worst: Vec<usize> = (0..n).filter(|&i| !xs[i].is_empty()).collect();
        worst.sort_by(|&a, &b| sims[a].total_cmp(&sims[b]).then(a.cmp(&b)));
        let mut w = worst.into_iter();
        for c in 0..k {
            if sizes[c] == 0 {
                for i in w.by_ref() {
                    if sizes[assign[i]] > 1 {
                        sizes[assign[i]] -= 1;
                        assign[i] = c;
                        sizes[c] = 1;
                        changed += 1;
                        break;
                    }
                }
            }
        }
        centroids = recompute_centroids(xs, &assign, k, nf);
        if changed == 0 {
            break;
        }
    }
    KMeans {
        assign,
        centroids,
        k,
        objective,
    }
}

fn kmeans(xs: &[SparseVec], nf: usize, k: usize, seed: u64, restarts: usize) -> KMeans {
    let mut rng = SplitMix64::new(seed);
    let mut best: Option<KMeans> = None;
    for _ in 0..restarts.max(1) {
        let r = kmeans_once(xs, nf, k, &mut rng);
        if best.as_ref().is_none_or(|b| r.objective > b.objective) {
            best = Some(r);
        }
    }
    best.unwrap_or(KMeans {
        assign: vec![0; xs.len()],
        centroids: Vec::new(),
        k: 1,
        objective: 0.0,
    })
}

/// Mean cosine silhouette over a sample.
fn silhouette(xs: &[SparseVec], assign: &[usize], k: usize, seed: u64) -> f32 {
    let n = xs.len();
    let mut idx: Vec<usize> = (0..n).collect();
    SplitMix64::new(seed ^ 0xA5A5).shuffle(&mut idx);
    idx.truncate(SILHOUETTE_SAMPLE);
    let mut total = 0.0f32;
    let mut count = 0usize;
    for &i in &idx {
        let mut sum = vec![0.0f32; k];
        let mut cnt = vec![0usize; k];
        for &j in &idx {
            if i == j {
                continue;
            }
            sum[assign[j]] += 1.0 - sparse_dot(&xs[i], &xs[j]);
            cnt[assign[j]] += 1;
        }
        let own = assign[i];
        if cnt[own] == 0 {
            count += 1; // singleton: silhouette 0
            continue;
        }
        let a = sum[own] / cnt[own] as f32;
        let b = (0..k)
            .filter(|&c| c != own && cnt[c] > 0)
            .map(|c| sum[c] / cnt[c] as f32)
            .fold(f32::INFINITY, f32::min);
        if b.is_finite() {
            let m = a.max(b);
            total += if m > 0.0 { (b - a) / m } else { 0.0 };
        }
        count += 1;
    }
    if count == 0 {
        0.0
    } else {
        total / count as f32
    }
}

fn candidate_ks(n: usize) -> Vec<usize> {
    let max_k = (n - 1).clamp(1, 100);
    let k0 = ((n as f64 / 2.0).sqrt().round() as usize).clamp(2, 50);
    let mut c: Vec<usize> = (2..=10).collect();
    for f in [0.5, 0.75, 1.0, 1.5, 2.0] {
        c.push((k0 as f64 * f).round() as usize);
    }
    c.retain(|&k| k >= 2 && k <= max_k);
    c.sort_unstable();
    c.dedup();
    c
}

/// Cluster `texts` into `k` groups (chosen automatically when `None`). Deterministic for a
/// given `seed`. Every input index appears in exactly one cluster; clusters are sorted by
/// size, largest first.
pub fn cluster(texts: &[&str], k: Option<usize>, seed: u64) -> Vec<Cluster> {
    let n = texts.len();
    if n == 0 {
        return Vec::new();
    }
    let corpus = build_corpus(texts);
    let xs = &corpus.xs;
    let nf = corpus.n_features;
    let nonempty = xs.iter().filter(|x| !x.is_empty()).count();
    // Small inputs are cheap: more restarts make the result far more stable.
    let restarts = if n <= 2_000 { 12 } else { RESTARTS };
    let km = if nf == 0 || nonempty < 2 {
        KMeans {
            assign: vec![0; n],
            centroids: Vec::new(),
            k: 1,
            objective: 0.0,
        }
    } else {
        match k {
            Some(k) => kmeans(xs, nf, k.clamp(1, nonempty), seed, restarts),
            None => {
                let cands = candidate_ks(nonempty);
                let mut best: Option<(f32, KMeans)> = None;
                for kc in cands {
                    let r = kmeans(xs, nf, kc, seed, restarts.div_ceil(3));
                    let s = silhouette(xs, &r.assign, r.k, seed);
                    if best.as_ref().is_none_or(|b| s > b.0 + 1e-6) {
                        best = Some((s, r));
                    }
                }
                match best {
                    Some((_, r)) => kmeans(xs, nf, r.k, seed, restarts),
                    None => kmeans(xs, nf, 1, seed, 1),
                }
            }
        }
    };
    describe(&corpus, &km)
}

fn describe(corpus: &Corpus, km: &KMeans) -> Vec<Cluster> {
    let k = km.k.max(1);
    let n = corpus.xs.len();
    let nf = corpus.n_features;
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); k];
    for (i, &a) in km.assign.iter().enumerate() {
        members[a.min(k - 1)].push(i);
    }
    // Global and per-cluster mean weight of each feature.
    let mut global = vec![0.0f32; nf];
    for x in &corpus.xs {
        for &(f, v) in x {
            global[f as usize] += v;
        }
    }
    global.iter_mut().for_each(|g| *g /= n.max(1) as f32);
    let mut out = Vec::new();
    for (c, mem) in members.into_iter().enumerate() {
        if mem.is_empty() {
            continue;
        }
        let mut mean: HashMap<u32, f32> = HashMap::new();
        for &i in &mem {
            for &(f, v) in &corpus.xs[i] {
                *mean.entry(f).or_insert(0.0) += v;
            }
        }
        let m = mem.len() as f32;
        let mut terms: Vec<(f32, u32)> = mean
            .into_iter()
            .filter(|(f, _)| corpus.display.get(*f as usize).is_some_and(Option::is_some))
            .map(|(f, s)| (s / m - global[f as usize], f))
            .collect();
        terms.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut chosen: Vec<String> = Vec::new();
        for (_, f) in terms {
            if chosen.len() >= 3 {
                break;
            }
            let Some(Some(s)) = corpus.display.get(f as usize) else {
                continue;
            };
            let words_used = s
                .split(' ')
                .all(|w| chosen.iter().any(|c| c.split(' ').any(|cw| cw == w)));
            if !words_used {
                chosen.retain(|c| !s.split(' ').any(|w| w == c));
                chosen.push(s.clone());
            }
        }
        let label = if chosen.is_empty() {
            "misc".to_string()
        } else {
            chosen.join(", ")
        };
        // Typical members: highest similarity to the centroid.
        let mut sims: Vec<(f32, usize)> = mem
            .iter()
            .map(|&i| {
                let s: f32 = corpus.xs[i]
                    .iter()
                    .map(|&(f, v)| v * km.centroids.get(f as usize * k + c).copied().unwrap_or(0.0))
                    .sum();
                (s, i)
            })
            .collect();
        sims.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let typical = sims.iter().take(5).map(|&(_, i)| i).collect();
        out.push(Cluster {
            label,
            members: mem,
            typical,
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
    use crate::tagging::eval::nmi_ari;

    fn groups() -> (Vec<String>, Vec<usize>) {
        let topics: [&[&str]; 3] = [
            &[
                "I was charged twice on my invoice",
                "the invoice shows the wrong price",
                "why is my invoice payment charged again",
                "invoice total is wrong, please refund the payment",
                "my last invoice has a double charge",
                "billing error on the invoice this month",
                "invoice payment failed but I was charged",
                "need a corrected invoice for my billing",
            ],
            &[
                "cannot login, my password reset email never came",
                "login fails after I changed my password",
                "account locked after too many login attempts",
                "the login page says my password is wrong",
                "password reset link for login is broken",
                "two factor login code does not work",
                "I am locked out of my account login",
                "login keeps asking for my password again",
            ],
            &[
                "export to csv is missing columns",
                "please add excel export for reports",
                "the csv export download never finishes",
                "export of my report to spreadsheet fails",
                "I need to export all data as csv",
                "scheduled export emails an empty csv file",
                "export button greyed out on the report page",
                "csv export has broken dates",
            ],
        ];
        let mut texts = Vec::new();
        let mut gold = Vec::new();
        for (g, ts) in topics.iter().enumerate() {
            for t in ts.iter() {
                texts.push(t.to_string());
                gold.push(g);
            }
        }
        (texts, gold)
    }

    fn assignment(clusters: &[Cluster], n: usize) -> Vec<usize> {
        let mut a = vec![usize::MAX; n];
        for (c, cl) in clusters.iter().enumerate() {
            for &m in &cl.members {
                assert_eq!(a[m], usize::MAX, "index {m} in two clusters");
                a[m] = c;
            }
        }
        assert!(
            a.iter().all(|&x| x != usize::MAX),
            "every index must be assigned"
        );
        a
    }

    #[test]
    fn recovers_three_groups() {
        let (texts, gold) = groups();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let cl = cluster(&refs, Some(3), 42);
        assert_eq!(cl.len(), 3);
        let (nmi, ari) = nmi_ari(&gold, &assignment(&cl, texts.len()));
        assert!(nmi > 0.99 && ari > 0.99, "nmi={nmi} ari={ari}");
        for c in &cl {
            assert!(!c.typical.is_empty() && c.typical.len() <= 5);
            assert!(c.typical.iter().all(|t| c.members.contains(t)));
            let head = ["invoice", "login", "export"][gold[c.members[0]]];
            assert!(
                c.label.starts_with(head),
                "label {:?} should start with {head}",
                c.label
            );
        }
        // k chosen automatically: may split a group, but never mixes groups.
        let auto = cluster(&refs, None, 42);
        assert!((3..=5).contains(&auto.len()), "auto k = {}", auto.len());
        for c in &auto {
            let g = gold[c.members[0]];
            assert!(
                c.members.iter().all(|&m| gold[m] == g),
                "mixed cluster {c:?}"
            );
        }
        let (nmi, _) = nmi_ari(&gold, &assignment(&auto, texts.len()));
        assert!(nmi > 0.85, "auto nmi={nmi}");
        // deterministic
        assert_eq!(cluster(&refs, None, 7), cluster(&refs, None, 7));
    }

    #[test]
    fn odd_inputs() {
        assert!(cluster(&[], None, 0).is_empty());
        let one = cluster(&["just one"], None, 0);
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].members, vec![0]);
        let odd = ["", "🙂", "", "\u{0}"];
        let c = cluster(&odd, Some(3), 0);
        assert_eq!(c.iter().map(|c| c.members.len()).sum::<usize>(), 4);
        let dup = ["same text"; 10];
        let c = cluster(&dup, Some(4), 1);
        assert_eq!(c.iter().map(|c| c.members.len()).sum::<usize>(), 10);
        let c = cluster(&["a b", "c d"], Some(100), 1);
        assert_eq!(c.iter().map(|c| c.members.len()).sum::<usize>(), 2);
    }
}
