//! Within-theme whitening: a view of the sentence vectors in which the themes stand apart.
//!
//! Sentence vectors vary a lot along directions that say nothing about which theme a text
//! belongs to (length, tone, wording). The labelled examples show how texts of one theme vary
//! around their theme's mean (the within-theme scatter `Sw`); dividing that variation out
//! (`v ↦ L⁻¹v` with `Sw = LLᵀ`, so that dot products become `aᵀSw⁻¹b`) makes neighbours in the
//! graph more often neighbours in theme too. A handful of examples per theme estimates `Sw`
//! poorly, so it is shrunk towards a multiple of the identity (`shrinkage` 1 = no whitening).

use super::vectors::{Rows, normalize};

/// The Cholesky factor `L` of the shrunk within-theme scatter (`dim × dim`, lower triangle).
#[derive(Debug, Clone, PartialEq)]
pub struct Whitening {
    dim: usize,
    factor: Vec<f64>,
}

impl Whitening {
    /// Fit on the rows of `x` named by `members` (`(row, label)`), whose labels are below
    /// `labels`. `None` when it would change nothing (`shrinkage` ≥ 1, no theme with two
    /// members) or the scatter cannot be factored.
    pub fn fit(
        x: &Rows,
        members: &[(usize, usize)],
        labels: usize,
        shrinkage: f32,
    ) -> Option<Whitening> {
        let dim = x.dim;
        let shrinkage = f64::from(shrinkage);
        if dim == 0 || !(0.0..1.0).contains(&shrinkage) {
            return None;
        }
        let mut means = vec![0.0f64; labels * dim];
        let mut counts = vec![0usize; labels];
        for &(r, l) in members.iter().filter(|m| m.0 < x.len() && m.1 < labels) {
            counts[l] += 1;
            for (m, v) in means[l * dim..(l + 1) * dim].iter_mut().zip(x.row(r)) {
                *m += f64::from(*v);
            }
        }
        if !counts.iter().any(|&c| c >= 2) {
            return None;
        }
        for (l, &c) in counts.iter().enumerate().filter(|(_, c)| **c > 0) {
            means[l * dim..(l + 1) * dim]
                .iter_mut()
                .for_each(|m| *m /= c as f64);
        }
        let mut scatter = vec![0.0f64; dim * dim];
        let mut n = 0usize;
        let mut d = vec![0.0f64; dim];
        for &(r, l) in members.iter().filter(|m| m.0 < x.len() && m.1 < labels) {
            if counts[l] < 2 {
                continue;
            }
            n += 1;
            for ((di, v), m) in d.iter_mut().zip(x.row(r)).zip(&means[l * dim..]) {
                *di = f64::from(*v) - m;
            }
            for i in 0..dim {
                for j in 0..=i {
                    scatter[i * dim + j] += d[i] * d[j];
                }
            }
        }
        let trace: f64 = (0..dim).map(|i| scatter[i * dim + i]).sum::<f64>() / n as f64;
        if trace <= 0.0 || !trace.is_finite() {
            return None;
        }
        for i in 0..dim {
            for j in 0..=i {
                scatter[i * dim + j] *= (1.0 - shrinkage) / n as f64;
            }
            scatter[i * dim + i] += shrinkage * trace / dim as f64;
        }
        cholesky(&mut scatter, dim)?;
        Some(Whitening {
            dim,
            factor: scatter,
        })
    }

    /// `v ↦ L⁻¹v`, scaled to unit length (vectors of another length are left alone).
    pub fn apply(&self, v: &mut [f32]) {
        if v.len() != self.dim {
            return;
        }
        let n = self.dim;
        let mut z = vec![0.0f64; n];
        for i in 0..n {
            let row = &self.factor[i * n..i * n + i];
            let s: f64 = row.iter().zip(&z).map(|(l, z)| l * z).sum();
            z[i] = (f64::from(v[i]) - s) / self.factor[i * n + i];
        }
        for (a, b) in v.iter_mut().zip(z) {
            *a = b as f32;
        }
        normalize(v);
    }

    /// [`Whitening::apply`] to every row.
    pub fn apply_rows(&self, x: &mut Rows) {
        for i in 0..x.len() {
            self.apply(x.row_mut(i));
        }
    }
}

/// Factor a symmetric positive-definite `a` (`n × n`, lower triangle read) in place into `L`
/// with `A = LLᵀ` (lower triangle written); `None` when it is not positive definite.
fn cholesky(a: &mut [f64], n: usize) -> Option<()> {
    for j in 0..n {
        let mut d = a[j * n + j];
        for k in 0..j {
            d -= a[j * n + k] * a[j * n + k];
        }
        if d <= 0.0 || !d.is_finite() {
            return None;
        }
        let d = d.sqrt();
        a[j * n + j] = d;
        for i in j + 1..n {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= a[i * n + k] * a[j * n + k];
            }
            a[i * n + j] = s / d;
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tagging::vectors::dot;

    #[test]
    fn factors_a_small_matrix() {
        // [[4, 2], [2, 3]] = L Lᵀ with L = [[2, 0], [1, √2]].
        let mut a = vec![4.0, 0.0, 2.0, 3.0];
        cholesky(&mut a, 2).unwrap();
        assert!((a[0] - 2.0).abs() < 1e-12 && (a[2] - 1.0).abs() < 1e-12);
        assert!((a[3] - 2f64.sqrt()).abs() < 1e-12);
        assert!(cholesky(&mut [0.0, 0.0, 0.0, -1.0], 2).is_none());
    }

    #[test]
    fn dividing_out_within_theme_spread_separates_the_themes() {
        // Two themes differ along axis 0 a little; their texts vary along axis 1 a lot.
        let rows: Vec<Vec<f32>> = (0..8)
            .map(|i| {
                let theme = (i % 2) as f32;
                let spread = if i % 4 < 2 { 1.0 } else { -1.0 };
                let mut v = vec![0.2 * theme - 0.1, spread, 0.05];
                normalize(&mut v);
                v
            })
            .collect();
        let x = Rows::from_vectors(3, rows.iter().map(Vec::as_slice));
        let members: Vec<(usize, usize)> = (0..8).map(|i| (i, i % 2)).collect();
        let w = Whitening::fit(&x, &members, 2, 0.01).unwrap();
        let mut y = x.clone();
        w.apply_rows(&mut y);
        // Rows 0 and 2 share theme 0; rows 0 and 1 share only the spread, which wins before.
        assert!(dot(x.row(0), x.row(1)) > dot(x.row(0), x.row(2)));
        // After whitening the theme wins.
        assert!(dot(y.row(0), y.row(2)) > dot(y.row(0), y.row(1)));
        assert!((dot(y.row(3), y.row(3)) - 1.0).abs() < 1e-5);
        // Nothing to learn from, or no whitening asked for.
        assert!(Whitening::fit(&x, &[(0, 0), (1, 1)], 2, 0.5).is_none());
        assert!(Whitening::fit(&x, &members, 2, 1.0).is_none());
    }
}
