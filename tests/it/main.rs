//! Integration tests: one binary, one module per feature, each test on its own fresh database.

mod helpers;

mod accounts;
mod admin;
mod api;
mod audit;
mod auth;
mod browser;
mod checkers;
mod digests;
mod faults;
mod feedback;
mod home;
mod imports;
mod imports_bulk;
mod launches;
mod launches_browser;
mod money;
mod nps;
mod openapi;
mod pages;
mod peers;
mod questions;
mod questions_browser;
mod questions_chat;
mod questions_links;
mod questions_roles;
mod questions_triage;
mod roles;
mod scale;
mod schemathesis;
mod search;
mod semantic;
mod tagging;
mod themes;
mod themes_browser;
