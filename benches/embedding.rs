//! Sentence-encoder throughput on BANKING77 support-ticket texts (`harness = false`): texts/s.
//!
//! Data: env `BANKING77_TRAIN`, default `../shared/data/banking77/train.csv`; model: see
//! `scripts/ensure-model.sh`. Either missing: the bench says so and exits (not a test).
//! Env `BENCH_TEXTS` (default 2000). Run: `cargo bench --bench embedding`.

use std::hint::black_box;
use std::time::Instant;

use goldthread::tagging::encoder::{BATCH_SIZE, Encoder};
use goldthread::tagging::read_labelled_csv;

fn main() {
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
        _ => {
            println!("bench skipped: cannot read {path}");
            return;
        }
    };
    let encoder = match Encoder::load_default() {
        Ok(e) => e,
        Err(e) => {
            println!("bench skipped: {e}");
            return;
        }
    };
    let n: usize = std::env::var("BENCH_TEXTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    // Every 5th row: a spread over all 77 intents rather than the first few.
    let texts: Vec<&str> = data
        .iter()
        .step_by(5)
        .take(n)
        .map(|d| d.text.as_str())
        .collect();
    let n = texts.len();

    let t0 = Instant::now();
    let tokens: usize = texts.iter().map(|t| encoder.token_ids(t).len()).sum();
    let tokenize = t0.elapsed().as_secs_f64();
    black_box(encoder.embed(&texts[..n.min(64)]));

    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    println!(
        "embedding bench: {n} BANKING77 texts, {:.1} tokens/text incl. [CLS]/[SEP], batch {BATCH_SIZE}, {cores} cores",
        tokens as f64 / n as f64
    );
    println!(
        "  tokenise only: {:.0} texts/s (one thread)",
        n as f64 / tokenize
    );
    let mut best = 0.0f64;
    let mut encoder = Some(encoder);
    for threads in [1, cores] {
        let Some(enc) = encoder.take().map(|e| e.with_threads(threads)) else {
            break;
        };
        let t0 = Instant::now();
        let vecs = enc.embed(&texts);
        let secs = t0.elapsed().as_secs_f64();
        black_box(&vecs);
        let rate = n as f64 / secs;
        best = best.max(rate);
        // Dense layers: 2 FLOP per weight per token (10.6M weights; attention scores extra).
        let gflops = tokens as f64 * 2.0 * 10.6e6 / secs / 1e9;
        println!(
            "  {threads} thread(s): {rate:.0} texts/s, {:.0} tokens/s, ~{gflops:.0} GFLOP/s dense ({secs:.2} s)",
            tokens as f64 / secs
        );
        encoder = Some(enc);
    }
    println!("embedding throughput: {best:.0} texts/s");
}
