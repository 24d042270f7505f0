//! Pure text → themes engine: features, model, clustering, evaluation. No SQL, no HTTP.
//!
//! * [`features`]: tokenisation, stemming, word uni/bigrams + character n-grams, TF-IDF.
//! * [`model`]: few-shot classifier (softmax regression + centroid ensemble) with abstention.
//! * [`cluster`]: spherical k-means over TF-IDF to suggest new themes from untagged texts.
//! * [`eval`]: CSV loading and accuracy / clustering metrics for the CLI.

pub mod cluster;
pub mod eval;
pub mod features;
pub mod keywords;
pub mod model;
pub mod rng;

pub use cluster::{Cluster, cluster};
pub use eval::{
    LabelledText, TaggingEvalOptions, eval_clustering, eval_tagging, read_labelled_csv,
};
pub use features::FeatureConfig;
pub use keywords::KeywordRules;
pub use model::{Example, LabelId, LabelSeed, Model, Polarity, Prediction, TrainConfig};
