//! Reproducible evaluation on BANKING77 `train.csv` (stratified 5-fold: shots are sampled from
//! 4/5 of the data, the held-out 1/5 is the test set; seeds 0,1,2).
//!
//! `cargo run --release --example eval_banking77 -- [tagging|oos|cluster|all]`
//! Env: `BANKING77_TRAIN` (csv path), `FOLDS` (how many of the 5 folds to run, default 5),
//! `SHOTS` (comma list, default 5,10), `TAGGING_CONFIG` (JSON TrainConfig overrides, lexical),
//! `ENGINE` (`lexical`, `semantic` or `combined`; default lexical), `SEMANTIC_CONFIG` (JSON
//! SemanticConfig overrides).

use std::time::Instant;

use goldthread::tagging::eval::eval_tagging_with;
use goldthread::tagging::eval_engine::{eval_clustering_engine, eval_tagging_engine};
use goldthread::tagging::rng::SplitMix64;
use goldthread::tagging::{Encoder, Engine, SemanticConfig};
use goldthread::tagging::{LabelledText, TaggingEvalOptions, TrainConfig, read_labelled_csv};
use serde_json::{Value, json};

fn folds(data: &[LabelledText], n_folds: usize) -> Vec<usize> {
    let mut by_cat: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
    for (i, d) in data.iter().enumerate() {
        by_cat.entry(d.category.as_str()).or_default().push(i);
    }
    let mut rng = SplitMix64::new(12345);
    let mut fold = vec![0; data.len()];
    for idx in by_cat.values_mut() {
        rng.shuffle(idx);
        for (j, &i) in idx.iter().enumerate() {
            fold[i] = j % n_folds;
        }
    }
    fold
}

fn config() -> TrainConfig {
    let base = serde_json::to_value(TrainConfig::default()).unwrap_or(Value::Null);
    let Ok(over) = std::env::var("TAGGING_CONFIG") else {
        return TrainConfig::default();
    };
    let mut merged = base;
    if let (Some(m), Ok(Value::Object(o))) =
        (merged.as_object_mut(), serde_json::from_str::<Value>(&over))
    {
        for (k, v) in o {
            if k == "features" {
                if let (Some(fm), Value::Object(fo)) =
                    (m.get_mut("features").and_then(Value::as_object_mut), v)
                {
                    for (fk, fv) in fo {
                        fm.insert(fk, fv);
                    }
                }
            } else {
                m.insert(k, v);
            }
        }
    }
    serde_json::from_value(merged).unwrap_or_default()
}

/// Mean over seeds of the accuracy on in-scope test texts (an abstention there counts wrong).
fn in_scope(r: &Value) -> Value {
    let per = r["per_seed"].as_array().cloned().unwrap_or_default();
    let v: Vec<f64> = per
        .iter()
        .filter_map(|p| p["in_scope_accuracy"].as_f64())
        .collect();
    json!(v.iter().sum::<f64>() / v.len().max(1) as f64)
}

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
    let Ok(file) = std::fs::File::open(&path) else {
        eprintln!("skipping: {path} not found");
        return;
    };
    let data = match read_labelled_csv(file) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("cannot read {path}: {e}");
            return;
        }
    };
    let mode = std::env::args().nth(1).unwrap_or_else(|| "all".into());
    let n_run: usize = std::env::var("FOLDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let shots: Vec<usize> = std::env::var("SHOTS")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![5, 10]);
    let cfg = config();
    let engine: Engine = std::env::var("ENGINE")
        .ok()
        .and_then(|e| e.parse().ok())
        .unwrap_or(Engine::Lexical);
    let semantic: SemanticConfig = std::env::var("SEMANTIC_CONFIG")
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default();
    let encoder = if engine == Engine::Lexical {
        None
    } else {
        match Encoder::load_default() {
            Ok(e) => Some(e),
            Err(e) => {
                eprintln!("{e}");
                return;
            }
        }
    };
    let run = |train: &[LabelledText], test: &[LabelledText], opts: &TaggingEvalOptions| {
        if engine == Engine::Lexical {
            eval_tagging_with(train, test, opts, &cfg)
        } else {
            eval_tagging_engine(train, test, opts, engine, encoder.as_ref(), &semantic, None)
                .unwrap_or_else(|e| json!({ "error": e }))
        }
    };
    let fold = folds(&data, 5);
    let split = |f: usize, d: &[LabelledText]| {
        let train: Vec<LabelledText> = d
            .iter()
            .zip(&fold)
            .filter(|(_, x)| **x != f)
            .map(|(t, _)| t.clone())
            .collect();
        let test: Vec<LabelledText> = d
            .iter()
            .zip(&fold)
            .filter(|(_, x)| **x == f)
            .map(|(t, _)| t.clone())
            .collect();
        (train, test)
    };
    if mode == "tagging" || mode == "all" {
        for &s in &shots {
            let t0 = Instant::now();
            let mut accs = vec![];
            let mut f1s = vec![];
            for f in 0..n_run.min(5) {
                let (train, test) = split(f, &data);
                let opts = TaggingEvalOptions {
                    shots: s,
                    seeds: vec![0, 1, 2],
                    unassigned_label: None,
                    category_names: true,
                };
                let r = run(&train, &test, &opts);
                accs.push(r["accuracy"].as_f64().unwrap_or(0.0));
                f1s.push(r["macro_f1"].as_f64().unwrap_or(0.0));
                println!(
                    "{}",
                    json!({"mode":"tagging","engine":engine.name(),"shots":s,"fold":f,"result":r})
                );
            }
            let m = |v: &Vec<f64>| v.iter().sum::<f64>() / v.len().max(1) as f64;
            println!(
                "{}",
                json!({"mode":"tagging","engine":engine.name(),"shots":s,"folds":accs.len(),"mean_accuracy":m(&accs),"mean_macro_f1":m(&f1s),"secs":t0.elapsed().as_secs_f64()})
            );
        }
    }
    if mode == "oos" || mode == "all" {
        // 10 of the 77 categories play "out of scope": relabelled `oos`, kept out of training.
        let mut cats: Vec<String> = data.iter().map(|d| d.category.clone()).collect();
        cats.sort();
        cats.dedup();
        let mut rng = SplitMix64::new(777);
        rng.shuffle(&mut cats);
        let oos: Vec<String> = cats.into_iter().take(10).collect();
        let relabelled: Vec<LabelledText> = data
            .iter()
            .map(|d| LabelledText {
                text: d.text.clone(),
                category: if oos.contains(&d.category) {
                    "oos".into()
                } else {
                    d.category.clone()
                },
            })
            .collect();
        for &s in &shots {
            for f in 0..n_run.min(5) {
                let (train, test) = split(f, &relabelled);
                let opts = TaggingEvalOptions {
                    shots: s,
                    seeds: vec![0, 1, 2],
                    unassigned_label: Some("oos".into()),
                    category_names: true,
                };
                let r = run(&train, &test, &opts);
                println!(
                    "{}",
                    json!({"mode":"oos","engine":engine.name(),"shots":s,"fold":f,"accuracy":r["accuracy"],"in_scope_accuracy":in_scope(&r),"macro_f1":r["macro_f1"],"abstention_precision":r["abstention_precision"],"abstention_recall":r["abstention_recall"],"abstention_f1":r["abstention_f1"]})
                );
            }
        }
    }
    if mode == "cluster" || mode == "all" {
        let t0 = Instant::now();
        let r = eval_clustering_engine(&data, Some(77), 0, engine, encoder.as_ref())
            .unwrap_or_else(|e| json!({ "error": e }));
        println!(
            "{}",
            json!({"mode":"cluster","k_given":77,"result":r,"secs":t0.elapsed().as_secs_f64()})
        );
    }
}
