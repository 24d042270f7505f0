//! Goldthread: a self-hosted product operations hub.

pub mod accounts;
pub mod admin;
pub mod api_doc;
pub mod app;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod digests;
pub mod embeddings;
pub mod error;
pub mod feedback;
pub mod generate;
pub mod home;
pub mod imports;
pub mod insights;
pub mod jobs;
pub mod launches;
pub mod notify;
pub mod nps;
pub mod questions;
pub mod router;
pub mod server;
pub mod tagging;
pub mod telemetry;
pub mod themes;
pub mod validation;
pub mod web;
pub mod worker;

pub use app::AppState;
