//! The home page: each role starts where it works.

pub mod web;
