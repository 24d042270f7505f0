//! Throughput / training-time benchmark on BANKING77 (`harness = false`).
//! Data path: env `BANKING77_TRAIN`, default `../shared/data/banking77/train.csv`; skipped
//! when missing. Run: `cargo bench --bench tagging`.

use std::hint::black_box;
use std::time::Instant;

use goldthread::tagging::{
    Example, LabelId, Model, Polarity, TrainConfig, cluster, read_labelled_csv,
};

fn main() {
    // Default is relative to the main crate (`/work/main` → `/work/shared`); from the helper
    // folder the data sits one level further up.
    let path = std::env::var("BANKING77_TRAIN").unwrap_or_else(|_| {
        [
            "../shared/data/banking77/train.csv",
            "../../shared/data/banking77/train.csv",
        ]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .unwrap_or("../shared/data/banking77/train.csv")
        .to_string()
    });
    let data = match std::fs::File::open(&path)
        .map_err(|e| e.to_string())
        .and_then(read_labelled_csv)
    {
        Ok(d) if !d.is_empty() => d,
        Ok(_) => {
            println!("bench skipped: {path} is empty");
            return;
        }
        Err(e) => {
            println!("bench skipped: cannot read {path}: {e}");
            return;
        }
    };
    let mut cats: Vec<&str> = data.iter().map(|d| d.category.as_str()).collect();
    cats.sort_unstable();
    cats.dedup();
    let id = |c: &str| cats.binary_search(&c).map_or(-1, |i| i as LabelId);
    let examples: Vec<Example> = data
        .iter()
        .map(|d| Example {
            text: d.text.clone(),
            label: id(&d.category),
            polarity: Polarity::Positive,
            weight: 1.0,
        })
        .collect();
    let cfg = TrainConfig::default();

    // Training on everything (10k examples × 77 labels): the cost of a full retrain.
    let t0 = Instant::now();
    let model = Model::train(&[], &examples, &cfg);
    let train_full = t0.elapsed().as_secs_f64();

    // Few-shot training (10 per label).
    let mut per: std::collections::HashMap<LabelId, usize> = Default::default();
    let few: Vec<Example> = examples
        .iter()
        .filter(|e| {
            let c = per.entry(e.label).or_insert(0);
            *c += 1;
            *c <= 10
        })
        .cloned()
        .collect();
    let t0 = Instant::now();
    let few_model = Model::train(&[], &few, &cfg);
    let train_few = t0.elapsed().as_secs_f64();

    // Classification throughput, single thread.
    let texts: Vec<&str> = data.iter().map(|d| d.text.as_str()).collect();
    let rounds = 3;
    let t0 = Instant::now();
    let mut tagged = 0usize;
    for _ in 0..rounds {
        for t in &texts {
            if black_box(model.classify(black_box(t))).is_some() {
                tagged += 1;
            }
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    let n = (texts.len() * rounds) as f64;
    let t0 = Instant::now();
    for t in &texts {
        black_box(few_model.classify(black_box(t)));
    }
    let few_secs = t0.elapsed().as_secs_f64();

    let t0 = Instant::now();
    let clusters = cluster(&texts, Some(77), 0);
    let cluster_secs = t0.elapsed().as_secs_f64();

    println!(
        "labels: {}, training examples: {}",
        model.labels().len(),
        examples.len()
    );
    println!("train (10k examples x 77 labels): {train_full:.2} s");
    println!("train (10-shot, 770 examples): {train_few:.3} s");
    println!(
        "classify throughput (full model): {:.0} items/s ({} of {} tagged)",
        n / secs,
        tagged,
        n as usize
    );
    println!(
        "classify throughput (10-shot model): {:.0} items/s",
        texts.len() as f64 / few_secs
    );
    println!(
        "cluster 10k texts, k=77: {cluster_secs:.2} s ({} clusters)",
        clusters.len()
    );
    semantic_scoring();
}

/// The semantic model's cost, the way the app tags (770 examples; graphs of `graph_items`
/// unlabelled nodes): per item in bulk (a retag), and per arrival batch of one item (the form,
/// a webhook), which costs a whole graph. Vectors are pseudo-random unit vectors of the
/// encoder's 384 dimensions; the arithmetic does not depend on what they say.
fn semantic_scoring() {
    use goldthread::tagging::{SemanticConfig, VectorExample};
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut unit = || {
        let mut v: Vec<f32> = (0..384)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
            })
            .collect();
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter_mut().for_each(|x| *x /= n);
        v
    };
    let examples: Vec<VectorExample> = (0..770)
        .map(|i| VectorExample {
            vector: unit(),
            label: (i % 77) as LabelId,
            polarity: Polarity::Positive,
            weight: 1.0,
        })
        .collect();
    let cfg = SemanticConfig::default();
    let recent: Vec<Vec<f32>> = (0..cfg.graph_items).map(|_| unit()).collect();
    let refs: Vec<&[f32]> = recent.iter().map(Vec::as_slice).collect();
    let items: Vec<Vec<f32>> = (0..2 * cfg.graph_items).map(|_| unit()).collect();
    // In bulk (a retag): the items assessed together, a graph's worth of them at a time.
    let item_refs: Vec<&[f32]> = items.iter().map(Vec::as_slice).collect();
    let t0 = Instant::now();
    let assessed = goldthread::tagging::batch::assess(&examples, &refs, &item_refs, &cfg);
    let secs = t0.elapsed().as_secs_f64();
    black_box(&assessed);
    println!(
        "semantic, in bulk (graphs of {} items with the 770 examples, one thread): {:.0} items/s",
        cfg.graph_items,
        item_refs.len() as f64 / secs
    );
    // One arrival: the item and the recent items in a graph of their own.
    let t0 = Instant::now();
    for item in item_refs.iter().take(5) {
        black_box(goldthread::tagging::batch::assess(
            &examples,
            &refs,
            std::slice::from_ref(item),
            &cfg,
        ));
    }
    println!(
        "semantic, one arrival (padded with {} recent items, one thread): {:.2} s each",
        cfg.graph_items,
        t0.elapsed().as_secs_f64() / 5.0
    );
}
