//! Dense-vector helpers shared by the semantic classifier and clustering: centring, cosine, k-NN graph.

/// Row-major `n × dim` matrix of f32 rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rows {
    pub dim: usize,
    pub data: Vec<f32>,
}

impl Rows {
    /// Rows copied from vectors of equal length (shorter ones are zero-padded, longer cut).
    pub fn from_vectors<'a>(dim: usize, vectors: impl IntoIterator<Item = &'a [f32]>) -> Rows {
        let mut data = Vec::new();
        for v in vectors {
            let start = data.len();
            data.extend(v.iter().take(dim));
            data.resize(start + dim, 0.0);
        }
        Rows { dim, data }
    }

    pub fn len(&self) -> usize {
        self.data.len().checked_div(self.dim).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }

    pub fn row_mut(&mut self, i: usize) -> &mut [f32] {
        &mut self.data[i * self.dim..(i + 1) * self.dim]
    }

    /// Mean row (zeros when empty).
    pub fn mean(&self) -> Vec<f32> {
        let mut m = vec![0.0f32; self.dim];
        for i in 0..self.len() {
            for (a, v) in m.iter_mut().zip(self.row(i)) {
                *a += v;
            }
        }
        let n = self.len().max(1) as f32;
        m.iter_mut().for_each(|a| *a /= n);
        m
    }

    /// Subtract `mean` from every row and rescale it to unit length. Sentence vectors share a
    /// common direction; removing it spreads them out and sharpens cosine comparisons.
    pub fn center(&mut self, mean: &[f32]) {
        for i in 0..self.len() {
            let r = self.row_mut(i);
            for (a, m) in r.iter_mut().zip(mean) {
                *a -= m;
            }
            normalize(r);
        }
    }
}

/// Scale `v` to unit length (left alone when it is zero).
pub fn normalize(v: &mut [f32]) {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if n > 1e-12 {
        v.iter_mut().for_each(|x| *x /= n);
    }
}

/// Dot product.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `a · bᵀ` for row blocks: `out[i][j] = a_i · b_j`.
pub fn similarities(a: &[f32], b: &[f32], dim: usize, out: &mut Vec<f32>) {
    let (m, n) = (a.len() / dim.max(1), b.len() / dim.max(1));
    out.clear();
    out.resize(m * n, 0.0);
    super::bert::gemm(
        (m, dim, n),
        1.0,
        (a, dim, 1),
        (b, 1, dim),
        0.0,
        (out.as_mut_slice(), n, 1),
    );
}

/// For every row, its `k` most similar other rows `(index, cosine)`, most similar first.
/// Computed in blocks so memory stays `O(block × n)`.
pub fn nearest_neighbours(x: &Rows, k: usize) -> Vec<Vec<(usize, f32)>> {
    const BLOCK: usize = 256;
    let n = x.len();
    let mut out = Vec::with_capacity(n);
    let mut sims = Vec::new();
    for start in (0..n).step_by(BLOCK) {
        let end = (start + BLOCK).min(n);
        similarities(
            &x.data[start * x.dim..end * x.dim],
            &x.data,
            x.dim,
            &mut sims,
        );
        for (r, row) in sims.chunks(n.max(1)).enumerate().take(end - start) {
            let i = start + r;
            let mut best: Vec<(usize, f32)> = Vec::with_capacity(k + 1);
            for (j, &s) in row.iter().enumerate() {
                if j == i || (best.len() == k && s <= best[k - 1].1) || k == 0 {
                    continue;
                }
                let pos = best.partition_point(|b| b.1 >= s);
                best.insert(pos, (j, s));
                best.truncate(k);
            }
            out.push(best);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbours_and_centring() {
        let v: Vec<Vec<f32>> = vec![
            vec![1.0, 0.0, 0.0],
            vec![0.9, 0.1, 0.0],
            vec![0.0, 1.0, 0.0],
            vec![0.0, 0.9, 0.1],
        ];
        let mut x = Rows::from_vectors(3, v.iter().map(Vec::as_slice));
        assert_eq!(x.len(), 4);
        let nn = nearest_neighbours(&x, 1);
        assert_eq!(nn.iter().map(|n| n[0].0).collect::<Vec<_>>(), [1, 0, 3, 2]);
        let m = x.mean();
        assert!((m[0] - 0.475).abs() < 1e-6);
        x.center(&m);
        assert!((dot(x.row(0), x.row(0)) - 1.0).abs() < 1e-5);
        // After centring the two groups point away from each other.
        assert!(dot(x.row(0), x.row(2)) < -0.5);
        assert!(nearest_neighbours(&Rows::default(), 3).is_empty());
    }
}
