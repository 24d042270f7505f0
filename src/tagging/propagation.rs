//! Label propagation over a k-nearest-neighbour graph of sentence vectors (the semantic model's engine).

use super::semantic::SemanticConfig;
use super::vectors::{Rows, nearest_neighbours};

/// Label propagation, `F = α·S·F + (1-α)·Y` for `cfg.iterations` steps from `F = Y` (`prior`,
/// `width` columns per node), then every node's mass as shares: labels, then "untagged".
pub(super) fn propagate(
    graph: &[Vec<(usize, f32)>],
    prior: &[f32],
    width: usize,
    cfg: &SemanticConfig,
) -> Vec<f32> {
    let alpha = cfg.alpha.clamp(0.0, 0.999);
    let steps = if graph.is_empty() { 0 } else { cfg.iterations };
    let mut f = prior.to_vec();
    for _ in 0..steps {
        let mut next = vec![0.0f32; f.len()];
        for (i, edges) in graph.iter().enumerate() {
            let dst = &mut next[i * width..(i + 1) * width];
            for &(j, w) in edges {
                for (d, s) in dst.iter_mut().zip(&f[j * width..(j + 1) * width]) {
                    *d += alpha * w * s;
                }
            }
            for (d, p) in dst.iter_mut().zip(&prior[i * width..(i + 1) * width]) {
                *d += (1.0 - alpha) * p;
            }
        }
        f = next;
    }
    f.chunks_mut(width).for_each(to_shares);
    f
}

/// Clip a row of mass at zero and scale it to sum to 1 (all zero when nothing is left).
fn to_shares(row: &mut [f32]) {
    row.iter_mut().for_each(|v| *v = v.max(0.0));
    let total: f32 = row.iter().sum();
    let scale = if total > 0.0 { 1.0 / total } else { 0.0 };
    row.iter_mut().for_each(|v| *v *= scale);
}

/// Symmetric k-NN graph, edge weight cosine^power, normalised `D^-1/2 W D^-1/2`.
pub(super) fn normalised_graph(x: &Rows, k: usize, power: f32) -> Vec<Vec<(usize, f32)>> {
    let n = x.len();
    let mut adj: Vec<Vec<(usize, f32)>> = vec![Vec::new(); n];
    for (i, nn) in nearest_neighbours(x, k).into_iter().enumerate() {
        for (j, s) in nn {
            let w = s.max(0.0).powf(power);
            if w > 0.0 {
                adj[i].push((j, w));
                adj[j].push((i, w));
            }
        }
    }
    // An edge found from both ends is listed twice: summing them is W + Wᵀ.
    let degree: Vec<f32> = adj.iter().map(|e| e.iter().map(|p| p.1).sum()).collect();
    for (i, edges) in adj.iter_mut().enumerate() {
        for (j, w) in edges.iter_mut() {
            *w /= (degree[i] * degree[*j]).sqrt().max(1e-12);
        }
    }
    adj
}
