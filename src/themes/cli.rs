//! `goldthread eval tagging|clustering` and `goldthread retag`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;

use crate::tagging::{TaggingEvalOptions, eval_clustering, eval_tagging, read_labelled_csv};

#[derive(Debug, Subcommand)]
pub enum EvalCommand {
    /// Few-shot tagging: sample `--shots` examples per category from `--train` with each seed,
    /// train, classify `--test`; prints one JSON line.
    Tagging {
        #[arg(long)]
        train: PathBuf,
        #[arg(long)]
        test: PathBuf,
        #[arg(long, default_value_t = 10)]
        shots: usize,
        /// Comma-separated seeds, one run each; results are averaged.
        #[arg(long, default_value = "0,1,2", value_delimiter = ',')]
        seeds: Vec<u64>,
        /// A category meaning "should stay untagged": kept out of training, and abstention
        /// precision / recall / F1 are reported.
        #[arg(long)]
        unassigned_label: Option<String>,
    },
    /// Cluster the texts of `--data` and compare with their categories; prints one JSON line.
    Clustering {
        #[arg(long)]
        data: PathBuf,
        /// Number of clusters (chosen automatically when left out).
        #[arg(long)]
        k: Option<usize>,
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
}

fn read(path: &Path) -> anyhow::Result<Vec<crate::tagging::LabelledText>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let data = read_labelled_csv(file).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    if data.is_empty() {
        anyhow::bail!("{} has no rows", path.display());
    }
    Ok(data)
}

pub fn eval(cmd: &EvalCommand) -> anyhow::Result<()> {
    let result = match cmd {
        EvalCommand::Tagging {
            train,
            test,
            shots,
            seeds,
            unassigned_label,
        } => {
            if *shots == 0 {
                anyhow::bail!("--shots must be at least 1");
            }
            let opts = TaggingEvalOptions {
                shots: *shots,
                seeds: if seeds.is_empty() {
                    vec![0]
                } else {
                    seeds.clone()
                },
                unassigned_label: unassigned_label.clone(),
            };
            eval_tagging(&read(train)?, &read(test)?, &opts)
        }
        EvalCommand::Clustering { data, k, seed } => eval_clustering(&read(data)?, *k, *seed),
    };
    println!("{}", serde_json::to_string(&result)?);
    Ok(())
}
