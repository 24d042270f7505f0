//! Evaluation helpers for `goldthread eval`: CSV loading, few-shot tagging accuracy /
//! macro-F1 / abstention metrics, clustering NMI / ARI.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

use super::cluster::cluster;
use super::model::{Example, LabelId, Model, Polarity, TrainConfig};
use super::rng::SplitMix64;

/// One row of a labelled CSV.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelledText {
    pub text: String,
    pub category: String,
}

/// Read a CSV with a header row containing `text` and `category` columns (any order,
/// case-insensitive; other columns ignored).
pub fn read_labelled_csv(reader: impl std::io::Read) -> Result<Vec<LabelledText>, String> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(reader);
    let headers = rdr
        .headers()
        .map_err(|e| format!("cannot read CSV header: {e}"))?;
    let find = |name: &str| {
        headers.iter().position(|h| {
            h.trim()
                .trim_start_matches('\u{feff}')
                .eq_ignore_ascii_case(name)
        })
    };
    let ti = find("text").ok_or("CSV header has no `text` column")?;
    let ci = find("category").ok_or("CSV header has no `category` column")?;
    let mut out = Vec::new();
    for (n, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| format!("CSV row {}: {e}", n + 2))?;
        let (Some(text), Some(cat)) = (rec.get(ti), rec.get(ci)) else {
            return Err(format!("CSV row {}: missing text or category", n + 2));
        };
        out.push(LabelledText {
            text: text.to_string(),
            category: cat.trim().to_string(),
        });
    }
    Ok(out)
}

/// Options of [`eval_tagging`].
#[derive(Debug, Clone, PartialEq)]
pub struct TaggingEvalOptions {
    /// Training examples sampled per category.
    pub shots: usize,
    /// One run per seed; results are averaged.
    pub seeds: Vec<u64>,
    /// Category meaning "should stay untagged" (kept out of training).
    pub unassigned_label: Option<String>,
    /// Also learn from each category's name ("card_arrival" → "Card arrival"), as the app
    /// learns from a theme's name.
    pub category_names: bool,
}

/// A category's name as a theme would be called: `_` and `-` as spaces, first letter capital.
pub fn category_as_name(category: &str) -> String {
    let spaced = category.replace(['_', '-'], " ");
    let mut chars = spaced.trim().chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

fn f1(p: f64, r: f64) -> f64 {
    if p + r <= 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    }
}

/// Macro F1 over the gold classes (`None` = untagged counts as a class when it occurs).
fn macro_f1(gold: &[Option<LabelId>], pred: &[Option<LabelId>]) -> f64 {
    let mut tp: BTreeMap<Option<LabelId>, usize> = BTreeMap::new();
    let mut np: BTreeMap<Option<LabelId>, usize> = BTreeMap::new();
    let mut ng: BTreeMap<Option<LabelId>, usize> = BTreeMap::new();
    for (g, p) in gold.iter().zip(pred) {
        *ng.entry(*g).or_insert(0) += 1;
        *np.entry(*p).or_insert(0) += 1;
        if g == p {
            *tp.entry(*g).or_insert(0) += 1;
        }
    }
    let f: Vec<f64> = ng
        .iter()
        .map(|(c, &n)| {
            let t = tp.get(c).copied().unwrap_or(0);
            f1(ratio(t, np.get(c).copied().unwrap_or(0)), ratio(t, n))
        })
        .collect();
    mean(&f)
}

/// Few-shot tagging evaluation: for each seed, sample `shots` training texts per category,
/// train (IDF and one self-training round also use the unlabelled test texts), classify
/// `test`. Returns `{"accuracy","macro_f1","per_seed":[...]}` plus abstention metrics when
/// `unassigned_label` is set.
pub fn eval_tagging(
    train: &[LabelledText],
    test: &[LabelledText],
    opts: &TaggingEvalOptions,
) -> Value {
    eval_tagging_with(train, test, opts, &TrainConfig::default())
}

/// [`eval_tagging`] with an explicit training configuration (its `seed` is replaced by each
/// evaluation seed).
pub fn eval_tagging_with(
    train: &[LabelledText],
    test: &[LabelledText],
    opts: &TaggingEvalOptions,
    config: &TrainConfig,
) -> Value {
    let test_texts: Vec<&str> = test.iter().map(|t| t.text.as_str()).collect();
    run_tagging_eval(train, test, opts, |seed, examples, abstain| {
        let cfg = TrainConfig {
            seed,
            ..config.clone()
        };
        let model = Model::train_with_unlabelled(&[], examples, &test_texts, &cfg);
        test_texts
            .iter()
            .map(|t| {
                if abstain {
                    model.classify(t).map(|p| p.label)
                } else {
                    model.scores(t).first().map(|s| s.0)
                }
            })
            .collect()
    })
}

/// The few-shot protocol shared by every engine: for each seed sample `opts.shots` training
/// examples per category, let `predict(seed, examples, may_abstain)` label every test text
/// (`None` = untagged), score against the gold categories.
pub fn run_tagging_eval(
    train: &[LabelledText],
    test: &[LabelledText],
    opts: &TaggingEvalOptions,
    mut predict: impl FnMut(u64, &[Example], bool) -> Vec<Option<LabelId>>,
) -> Value {
    let unassigned = opts.unassigned_label.as_deref();
    let mut cats: Vec<&str> = train
        .iter()
        .map(|t| t.category.as_str())
        .filter(|c| Some(*c) != unassigned)
        .collect();
    cats.sort_unstable();
    cats.dedup();
    let cat_id: HashMap<&str, LabelId> = cats
        .iter()
        .enumerate()
        .map(|(i, c)| (*c, i as LabelId))
        .collect();
    let mut by_cat: BTreeMap<LabelId, Vec<usize>> = BTreeMap::new();
    for (i, t) in train.iter().enumerate() {
        if let Some(&id) = cat_id.get(t.category.as_str()) {
            by_cat.entry(id).or_default().push(i);
        }
    }
    // Gold: None = should stay untagged (unassigned label, or a category unseen in training).
    let gold: Vec<Option<LabelId>> = test
        .iter()
        .map(|t| cat_id.get(t.category.as_str()).copied())
        .collect();

    let mut per_seed = Vec::new();
    let (mut accs, mut f1s, mut aps, mut ars, mut afs) = (vec![], vec![], vec![], vec![], vec![]);
    let mut in_scope_accs = Vec::new();
    for &seed in &opts.seeds {
        let mut rng = SplitMix64::new(seed);
        let mut examples = Vec::new();
        for (&id, idx) in &by_cat {
            let mut idx = idx.clone();
            rng.shuffle(&mut idx);
            for &i in idx.iter().take(opts.shots) {
                examples.push(Example {
                    text: train[i].text.clone(),
                    label: id,
                    polarity: Polarity::Positive,
                    weight: 1.0,
                });
            }
        }
        if opts.category_names {
            for (id, cat) in cats.iter().enumerate() {
                examples.push(Example {
                    text: category_as_name(cat),
                    label: id as LabelId,
                    polarity: Polarity::Positive,
                    weight: 1.0,
                });
            }
        }
        let mut pred = predict(seed, &examples, unassigned.is_some());
        pred.resize(gold.len(), None);
        let correct = gold.iter().zip(&pred).filter(|(g, p)| g == p).count();
        let acc = ratio(correct, gold.len());
        let mf1 = macro_f1(&gold, &pred);
        accs.push(acc);
        f1s.push(mf1);
        let mut entry = json!({"seed": seed, "accuracy": acc, "macro_f1": mf1});
        if unassigned.is_some() {
            let abstained = pred.iter().filter(|p| p.is_none()).count();
            let gold_none = gold.iter().filter(|g| g.is_none()).count();
            let both = gold
                .iter()
                .zip(&pred)
                .filter(|(g, p)| g.is_none() && p.is_none())
                .count();
            let (p, r) = (ratio(both, abstained), ratio(both, gold_none));
            let f = f1(p, r);
            aps.push(p);
            ars.push(r);
            afs.push(f);
            entry["abstention_precision"] = json!(p);
            entry["abstention_recall"] = json!(r);
            entry["abstention_f1"] = json!(f);
            let in_scope: Vec<usize> = (0..gold.len()).filter(|&i| gold[i].is_some()).collect();
            let in_ok = in_scope.iter().filter(|&&i| gold[i] == pred[i]).count();
            let in_scope_acc = ratio(in_ok, in_scope.len());
            in_scope_accs.push(in_scope_acc);
            entry["in_scope_accuracy"] = json!(in_scope_acc);
        }
        per_seed.push(entry);
    }
    let mut out = json!({
        "accuracy": mean(&accs),
        "macro_f1": mean(&f1s),
        "shots": opts.shots,
        "n_train_categories": cats.len(),
        "n_test": test.len(),
        "category_names": opts.category_names,
        "per_seed": per_seed,
    });
    if unassigned.is_some() {
        out["abstention_precision"] = json!(mean(&aps));
        out["abstention_recall"] = json!(mean(&ars));
        out["abstention_f1"] = json!(mean(&afs));
        out["in_scope_accuracy"] = json!(mean(&in_scope_accs));
    }
    out
}

fn comb2(n: f64) -> f64 {
    n * (n - 1.0) / 2.0
}

/// Normalised mutual information (arithmetic-mean normalisation) and adjusted Rand index.
pub fn nmi_ari(a: &[usize], b: &[usize]) -> (f64, f64) {
    let n = a.len().min(b.len());
    if n == 0 {
        return (0.0, 0.0);
    }
    let mut joint: HashMap<(usize, usize), f64> = HashMap::new();
    let mut ca: HashMap<usize, f64> = HashMap::new();
    let mut cb: HashMap<usize, f64> = HashMap::new();
    for i in 0..n {
        *joint.entry((a[i], b[i])).or_insert(0.0) += 1.0;
        *ca.entry(a[i]).or_insert(0.0) += 1.0;
        *cb.entry(b[i]).or_insert(0.0) += 1.0;
    }
    let nf = n as f64;
    let h = |m: &HashMap<usize, f64>| -m.values().map(|&c| c / nf * (c / nf).ln()).sum::<f64>();
    let (ha, hb) = (h(&ca), h(&cb));
    let mut mi = 0.0;
    for (&(x, y), &c) in &joint {
        let (px, py) = (ca[&x] / nf, cb[&y] / nf);
        mi += c / nf * ((c / nf) / (px * py)).ln();
    }
    let nmi = if ha + hb <= 0.0 {
        1.0
    } else {
        (2.0 * mi / (ha + hb)).clamp(0.0, 1.0)
    };
    let sum_ij: f64 = joint.values().map(|&c| comb2(c)).sum();
    let sum_a: f64 = ca.values().map(|&c| comb2(c)).sum();
    let sum_b: f64 = cb.values().map(|&c| comb2(c)).sum();
    let expected = sum_a * sum_b / comb2(nf).max(1.0);
    let max_idx = (sum_a + sum_b) / 2.0;
    let ari = if (max_idx - expected).abs() < 1e-12 {
        1.0
    } else {
        (sum_ij - expected) / (max_idx - expected)
    };
    (nmi, ari)
}

/// Cluster the texts of `data` and compare with their categories:
/// `{"nmi":..,"ari":..,"k":..,"n":..}`.
pub fn eval_clustering(data: &[LabelledText], k: Option<usize>, seed: u64) -> Value {
    let texts: Vec<&str> = data.iter().map(|d| d.text.as_str()).collect();
    let clusters = cluster(&texts, k, seed);
    let mut pred = vec![0usize; data.len()];
    for (c, cl) in clusters.iter().enumerate() {
        for &m in &cl.members {
            if let Some(p) = pred.get_mut(m) {
                *p = c;
            }
        }
    }
    let mut ids: HashMap<&str, usize> = HashMap::new();
    let gold: Vec<usize> = data
        .iter()
        .map(|d| {
            let next = ids.len();
            *ids.entry(d.category.as_str()).or_insert(next)
        })
        .collect();
    let (nmi, ari) = nmi_ari(&gold, &pred);
    json!({"nmi": nmi, "ari": ari, "k": clusters.len(), "n": data.len()})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_csv_in_any_column_order() {
        let csv = "category,id,text\ncard,1,\"my card, it is late\"\nrefund,2,money back\n";
        let rows = read_labelled_csv(csv.as_bytes()).unwrap_or_default();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].text, "my card, it is late");
        assert_eq!(rows[1].category, "refund");
        assert!(read_labelled_csv("a,b\n1,2\n".as_bytes()).is_err());
        assert_eq!(
            read_labelled_csv("text,category\n".as_bytes()).map(|r| r.len()),
            Ok(0)
        );
    }

    #[test]
    fn nmi_ari_basics() {
        let (n, a) = nmi_ari(&[0, 0, 1, 1], &[5, 5, 7, 7]);
        assert!((n - 1.0).abs() < 1e-9 && (a - 1.0).abs() < 1e-9);
        let (n, a) = nmi_ari(&[0, 0, 1, 1], &[0, 1, 0, 1]);
        assert!(n.abs() < 1e-9 && a < 0.0);
        assert_eq!(nmi_ari(&[], &[]), (0.0, 0.0));
    }

    fn data() -> Vec<LabelledText> {
        let mk = |t: &str, c: &str| LabelledText {
            text: t.into(),
            category: c.into(),
        };
        vec![
            mk("my card has not arrived", "card"),
            mk("card delivery is late", "card"),
            mk("where is my new card", "card"),
            mk("I want a refund", "refund"),
            mk("refund my money please", "refund"),
            mk("how do I get a refund", "refund"),
            mk("what is the weather tomorrow", "oos"),
            mk("play some jazz music", "oos"),
        ]
    }

    #[test]
    fn category_names_read_like_theme_names() {
        assert_eq!(category_as_name("card_arrival"), "Card arrival");
        assert_eq!(
            category_as_name("Refund_not_showing_up"),
            "Refund not showing up"
        );
        assert_eq!(category_as_name("top-up failed"), "Top up failed");
        assert_eq!(category_as_name("_"), "");
        assert_eq!(category_as_name("écran"), "Écran");
    }

    #[test]
    fn eval_tagging_reports_metrics() {
        let d = data();
        let opts = TaggingEvalOptions {
            shots: 2,
            seeds: vec![0, 1],
            unassigned_label: None,
            category_names: false,
        };
        let r = eval_tagging(&d[..6], &d[..6], &opts);
        assert!(r["accuracy"].as_f64().unwrap_or(0.0) > 0.8, "{r}");
        assert_eq!(r["per_seed"].as_array().map(Vec::len), Some(2));
        let opts = TaggingEvalOptions {
            shots: 2,
            seeds: vec![0],
            unassigned_label: Some("oos".into()),
            category_names: false,
        };
        let r = eval_tagging(&d, &d, &opts);
        assert!(r["abstention_recall"].as_f64().unwrap_or(0.0) > 0.99, "{r}");
        assert!(r["abstention_precision"].is_number());
        // degenerate inputs
        let r = eval_tagging(&[], &[], &opts);
        assert_eq!(r["accuracy"].as_f64(), Some(0.0));
        let c = eval_clustering(&d, Some(3), 0);
        assert_eq!(c["k"].as_u64(), Some(3));
        assert!(eval_clustering(&[], None, 0)["nmi"].is_number());
    }
}
