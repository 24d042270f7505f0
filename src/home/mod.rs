//! The home page: each role starts where it works.

pub mod db;
pub mod signin;
pub mod web;
