//! Integration tests: one binary, one module per feature, each test on its own fresh database.

mod helpers;

mod accounts;
mod admin;
mod api;
mod audit;
mod auth;
mod browser;
mod feedback;
mod imports;
mod launches;
mod launches_browser;
mod money;
mod nps;
mod openapi;
mod questions;
mod roles;
mod search;
mod semantic;
mod tagging;
mod themes;
mod themes_browser;
