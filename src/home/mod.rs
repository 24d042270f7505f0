//! The home page: each role starts where it works.

pub mod signin;
pub mod web;
