//! `goldthread eval tagging|clustering [--engine lexical|semantic|combined]`: arguments and run.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;

use super::encoder::Encoder;
use super::eval::{LabelledText, TaggingEvalOptions, read_labelled_csv};
use super::eval_engine::{Engine, eval_clustering_engine, eval_tagging_engine};
use super::semantic::SemanticConfig;

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
        /// lexical, semantic or combined (default: the one the app uses, combined when the
        /// sentence-encoder model is installed).
        #[arg(long)]
        engine: Option<Engine>,
        /// A JSON file of semantic-engine settings to try instead of the shipped ones (any
        /// field of `SemanticConfig`; the ones left out keep their defaults).
        #[arg(long)]
        semantic_config: Option<PathBuf>,
        /// A file that keeps the texts' sentence vectors between runs (created when missing;
        /// delete it when the model changes), so repeated evaluations embed only new texts.
        #[arg(long)]
        vectors_cache: Option<PathBuf>,
        /// Learn from the examples only. By default each category's name ("card_arrival" →
        /// "Card arrival") is an example too, as a theme's name is in the app.
        #[arg(long)]
        without_category_names: bool,
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
        /// lexical, semantic or combined (default: the one the app uses).
        #[arg(long)]
        engine: Option<Engine>,
    },
}

fn read(path: &Path) -> anyhow::Result<Vec<LabelledText>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let data = read_labelled_csv(file).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    if data.is_empty() {
        anyhow::bail!("{} has no rows", path.display());
    }
    Ok(data)
}

fn encoder_for(engine: Engine) -> anyhow::Result<Option<Encoder>> {
    if engine == Engine::Lexical {
        return Ok(None);
    }
    Ok(Some(Encoder::load_default().with_context(|| {
        format!("the {} engine needs the sentence encoder", engine.name())
    })?))
}

/// Run an evaluation and print its JSON on one line.
pub fn eval(cmd: &EvalCommand) -> anyhow::Result<()> {
    let result = match cmd {
        EvalCommand::Tagging {
            train,
            test,
            shots,
            seeds,
            unassigned_label,
            engine,
            semantic_config,
            vectors_cache,
            without_category_names,
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
                category_names: !without_category_names,
            };
            let (train, test) = (read(train)?, read(test)?);
            let engine = engine.unwrap_or_else(Engine::app_default);
            let encoder = encoder_for(engine)?;
            let semantic = match semantic_config {
                None => SemanticConfig::default(),
                Some(path) => {
                    let text = std::fs::read_to_string(path)
                        .with_context(|| format!("cannot read {}", path.display()))?;
                    serde_json::from_str(&text)
                        .with_context(|| format!("{}: not semantic settings", path.display()))?
                }
            };
            eval_tagging_engine(
                &train,
                &test,
                &opts,
                engine,
                encoder.as_ref(),
                &semantic,
                vectors_cache.as_deref(),
            )
            .map_err(anyhow::Error::msg)?
        }
        EvalCommand::Clustering {
            data,
            k,
            seed,
            engine,
        } => {
            let data = read(data)?;
            let engine = engine.unwrap_or_else(Engine::app_default);
            let encoder = encoder_for(engine)?;
            eval_clustering_engine(&data, *k, *seed, engine, encoder.as_ref())
                .map_err(anyhow::Error::msg)?
        }
    };
    println!("{}", serde_json::to_string(&result)?);
    Ok(())
}
