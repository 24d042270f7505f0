//! Integration tests: one binary, one module per feature, each test on its own fresh database.

mod helpers;

mod accounts;
mod admin;
mod audit;
mod auth;
mod browser;
mod feedback;
mod imports;
mod money;
mod nps;
mod questions;
mod roles;
mod tagging;
mod themes;
mod themes_browser;
