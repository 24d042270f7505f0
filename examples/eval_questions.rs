//! Cross-validated accuracy of the question classifier on its seed set, and its accuracy on the
//! hand-written hold-out set (a different voice and product, never trained on):
//! `cargo run --release --example eval_questions`.

use goldthread::questions::classify::{Classifier, cross_validate, evaluate, read_csv, seed_set};

fn main() {
    let seed = seed_set();
    let cv = cross_validate(&seed, 10);
    println!(
        "{}",
        serde_json::json!({ "seed_10_fold": cv, "seed_size": seed.len() })
    );
    let holdout = read_csv(include_str!("../data/questions/holdout.csv")).expect("holdout");
    let shipped = Classifier::shipped(&[]);
    println!(
        "{}",
        serde_json::json!({ "holdout": evaluate(&shipped, &holdout) })
    );
}
