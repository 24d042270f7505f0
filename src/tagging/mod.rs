//! Pure text → themes engine: features, model, clustering, evaluation. No SQL, no HTTP.
//!
//! * [`features`]: tokenisation, stemming, word uni/bigrams + character n-grams, TF-IDF.
//! * [`model`]: few-shot classifier (softmax regression + centroid ensemble) with abstention.
//! * [`cluster`]: spherical k-means over TF-IDF to suggest new themes from untagged texts.
//! * [`encoder`]: all-MiniLM-L6-v2 sentence vectors on the CPU ([`bert`]: its forward pass).
//! * [`semantic`]: few-shot classifier over sentence vectors (label propagation with an "untagged" sink).
//! * [`batch`]: many items at once, each chunk of them in the examples' graph (transductive).
//! * [`embed_cluster`]: k-means++ over sentence vectors, labelled with distinctive words.
//! * [`eval`]: CSV loading and accuracy / clustering metrics for the CLI ([`eval_engine`]: per engine).

pub mod batch;
pub mod bert;
pub mod cluster;
pub mod embed_cluster;
pub mod encoder;
pub mod eval;
pub mod eval_cli;
pub mod eval_engine;
pub mod features;
pub mod keywords;
pub mod model;
pub mod propagation;
pub mod rng;
pub mod semantic;
pub mod vectors;
pub mod whiten;

pub use cluster::{Cluster, cluster};
pub use encoder::Encoder;
pub use eval::{
    LabelledText, TaggingEvalOptions, eval_clustering, eval_tagging, read_labelled_csv,
};
pub use eval_engine::Engine;
pub use features::FeatureConfig;
pub use keywords::KeywordRules;
pub use model::{Example, LabelId, LabelSeed, Model, Polarity, Prediction, TrainConfig};
pub use semantic::{SemanticConfig, VectorExample};
