//! BERT encoder forward pass on the CPU (f32, batched, padded rows masked) over safetensors weights.

use std::path::Path;

use safetensors::{Dtype, SafeTensors};
use serde::Deserialize;

/// The parts of a Hugging Face `config.json` a BERT forward pass needs.
#[derive(Debug, Clone, Deserialize)]
pub struct BertConfig {
    pub hidden_size: usize,
    pub num_attention_heads: usize,
    pub num_hidden_layers: usize,
    pub intermediate_size: usize,
    pub max_position_embeddings: usize,
    pub vocab_size: usize,
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f32,
    #[serde(default)]
    pub hidden_act: String,
}

fn default_eps() -> f32 {
    1e-12
}

/// `y = x Wᵀ + b` with `W` stored as PyTorch does, `[out, in]` row-major.
struct Linear {
    weight: Vec<f32>,
    bias: Vec<f32>,
    n_in: usize,
    n_out: usize,
}

struct Norm {
    weight: Vec<f32>,
    bias: Vec<f32>,
}

struct Layer {
    query: Linear,
    key: Linear,
    value: Linear,
    attn_out: Linear,
    attn_norm: Norm,
    up: Linear,
    down: Linear,
    out_norm: Norm,
}

/// Loaded weights of a BERT model.
pub struct Bert {
    pub config: BertConfig,
    word: Vec<f32>,
    position: Vec<f32>,
    token_type: Vec<f32>,
    emb_norm: Norm,
    layers: Vec<Layer>,
}

fn tensor(st: &SafeTensors<'_>, name: &str, shape: &[usize]) -> Result<Vec<f32>, String> {
    // Checkpoints saved from `BertForX` prefix every name with `bert.`.
    let t = st
        .tensor(name)
        .or_else(|_| st.tensor(&format!("bert.{name}")))
        .map_err(|e| format!("tensor {name}: {e}"))?;
    if t.dtype() != Dtype::F32 {
        return Err(format!(
            "tensor {name}: dtype {:?}, expected F32",
            t.dtype()
        ));
    }
    if t.shape() != shape {
        return Err(format!(
            "tensor {name}: shape {:?}, expected {shape:?}",
            t.shape()
        ));
    }
    Ok(t.data()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect())
}

impl Bert {
    /// Read `config.json` and `model.safetensors` from `dir`.
    pub fn load(dir: &Path) -> Result<Bert, String> {
        let cfg_path = dir.join("config.json");
        let cfg_text = std::fs::read_to_string(&cfg_path)
            .map_err(|e| format!("cannot read {}: {e}", cfg_path.display()))?;
        let config: BertConfig =
            serde_json::from_str(&cfg_text).map_err(|e| format!("{}: {e}", cfg_path.display()))?;
        if config.hidden_act != "gelu"
            || !config
                .hidden_size
                .is_multiple_of(config.num_attention_heads)
        {
            return Err(format!("unsupported BERT config: {config:?}"));
        }
        let st_path = dir.join("model.safetensors");
        let bytes = std::fs::read(&st_path)
            .map_err(|e| format!("cannot read {}: {e}", st_path.display()))?;
        let st =
            SafeTensors::deserialize(&bytes).map_err(|e| format!("{}: {e}", st_path.display()))?;
        let h = config.hidden_size;
        let linear = |p: &str, n_in: usize, n_out: usize| -> Result<Linear, String> {
            Ok(Linear {
                weight: tensor(&st, &format!("{p}.weight"), &[n_out, n_in])?,
                bias: tensor(&st, &format!("{p}.bias"), &[n_out])?,
                n_in,
                n_out,
            })
        };
        let norm = |p: &str| -> Result<Norm, String> {
            Ok(Norm {
                weight: tensor(&st, &format!("{p}.weight"), &[h])?,
                bias: tensor(&st, &format!("{p}.bias"), &[h])?,
            })
        };
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for l in 0..config.num_hidden_layers {
            let p = format!("encoder.layer.{l}");
            let i = config.intermediate_size;
            layers.push(Layer {
                query: linear(&format!("{p}.attention.self.query"), h, h)?,
                key: linear(&format!("{p}.attention.self.key"), h, h)?,
                value: linear(&format!("{p}.attention.self.value"), h, h)?,
                attn_out: linear(&format!("{p}.attention.output.dense"), h, h)?,
                attn_norm: norm(&format!("{p}.attention.output.LayerNorm"))?,
                up: linear(&format!("{p}.intermediate.dense"), h, i)?,
                down: linear(&format!("{p}.output.dense"), i, h)?,
                out_norm: norm(&format!("{p}.output.LayerNorm"))?,
            });
        }
        Ok(Bert {
            word: tensor(
                &st,
                "embeddings.word_embeddings.weight",
                &[config.vocab_size, h],
            )?,
            position: tensor(
                &st,
                "embeddings.position_embeddings.weight",
                &[config.max_position_embeddings, h],
            )?,
            token_type: tensor(&st, "embeddings.token_type_embeddings.weight", &[2, h])
                .or_else(|_| tensor(&st, "embeddings.token_type_embeddings.weight", &[1, h]))?,
            emb_norm: norm("embeddings.LayerNorm")?,
            layers,
            config,
        })
    }

    /// Mean-pooled, L2-normalised sentence vectors of a batch of token-id sequences (each at
    /// most `max_position_embeddings` long). Rows are padded to the longest sequence only.
    pub fn embed_batch(&self, batch: &[Vec<u32>]) -> Vec<Vec<f32>> {
        let h = self.config.hidden_size;
        let seq = batch.iter().map(Vec::len).max().unwrap_or(0);
        if seq == 0 {
            return batch.iter().map(|_| vec![0.0; h]).collect();
        }
        let rows = batch.len() * seq;
        let mut x = vec![0.0f32; rows * h];
        for (b, ids) in batch.iter().enumerate() {
            for (p, &id) in ids.iter().enumerate() {
                let dst = &mut x[(b * seq + p) * h..(b * seq + p + 1) * h];
                let word = (id as usize).min(self.config.vocab_size - 1);
                let w = &self.word[word * h..(word + 1) * h];
                let pos = &self.position[p * h..(p + 1) * h];
                for j in 0..h {
                    dst[j] = w[j] + pos[j] + self.token_type[j];
                }
            }
        }
        layer_norm(&mut x, &self.emb_norm, self.config.layer_norm_eps);
        let lens: Vec<usize> = batch.iter().map(Vec::len).collect();
        let mut s = Scratch::new(rows, h, self.config.intermediate_size, seq);
        for layer in &self.layers {
            self.layer_forward(layer, &mut x, &lens, seq, &mut s);
        }
        lens.iter()
            .enumerate()
            .map(|(b, &n)| {
                let mut v = vec![0.0f32; h];
                for p in 0..n {
                    for (a, xv) in v
                        .iter_mut()
                        .zip(&x[(b * seq + p) * h..(b * seq + p + 1) * h])
                    {
                        *a += xv;
                    }
                }
                let norm = v.iter().map(|a| a * a).sum::<f32>().sqrt().max(1e-12);
                v.iter_mut().for_each(|a| *a /= norm);
                v
            })
            .collect()
    }

    fn layer_forward(&self, l: &Layer, x: &mut [f32], lens: &[usize], seq: usize, s: &mut Scratch) {
        let h = self.config.hidden_size;
        let heads = self.config.num_attention_heads;
        let d = h / heads;
        let rows = x.len() / h;
        linear(&l.query, x, &mut s.q, rows);
        linear(&l.key, x, &mut s.k, rows);
        linear(&l.value, x, &mut s.v, rows);
        let scale = 1.0 / (d as f32).sqrt();
        for (b, &n) in lens.iter().enumerate() {
            let base = b * seq * h;
            for hd in 0..heads {
                let off = base + hd * d;
                // scores[i][j] = q_i · k_j over the real tokens only (padded keys are masked out).
                gemm(
                    (seq, d, n),
                    scale,
                    (&s.q[off..], h, 1),
                    (&s.k[off..], 1, h),
                    0.0,
                    (&mut s.scores[..], seq, 1),
                );
                for row in s.scores.chunks_mut(seq).take(seq) {
                    softmax(&mut row[..n]);
                }
                gemm(
                    (seq, n, d),
                    1.0,
                    (&s.scores[..], seq, 1),
                    (&s.v[off..], h, 1),
                    0.0,
                    (&mut s.ctx[off..], h, 1),
                );
            }
        }
        linear(&l.attn_out, &s.ctx, &mut s.q, rows);
        for (xv, a) in x.iter_mut().zip(&s.q) {
            *xv += a;
        }
        layer_norm(x, &l.attn_norm, self.config.layer_norm_eps);
        linear(&l.up, x, &mut s.up, rows);
        s.up.iter_mut().for_each(|v| *v = gelu(*v));
        linear(&l.down, &s.up, &mut s.q, rows);
        for (xv, a) in x.iter_mut().zip(&s.q) {
            *xv += a;
        }
        layer_norm(x, &l.out_norm, self.config.layer_norm_eps);
    }
}

/// Buffers reused across the layers of one batch.
struct Scratch {
    q: Vec<f32>,
    k: Vec<f32>,
    v: Vec<f32>,
    ctx: Vec<f32>,
    up: Vec<f32>,
    scores: Vec<f32>,
}

impl Scratch {
    fn new(rows: usize, h: usize, inter: usize, seq: usize) -> Scratch {
        Scratch {
            q: vec![0.0; rows * h],
            k: vec![0.0; rows * h],
            v: vec![0.0; rows * h],
            ctx: vec![0.0; rows * h],
            up: vec![0.0; rows * inter],
            scores: vec![0.0; seq * seq],
        }
    }
}

/// `c = alpha · a·b + beta · c` for `a: m×k`, `b: k×n`, `c: m×n`, each given as
/// `(slice, row stride, column stride)`. Panics if a slice is too short for its shape.
pub(crate) fn gemm(
    (m, k, n): (usize, usize, usize),
    alpha: f32,
    a: (&[f32], usize, usize),
    b: (&[f32], usize, usize),
    beta: f32,
    c: (&mut [f32], usize, usize),
) {
    if m == 0 || n == 0 {
        return;
    }
    let last = |rows: usize, cols: usize, rs: usize, cs: usize| (rows - 1) * rs + (cols - 1) * cs;
    assert!(k == 0 || (a.0.len() > last(m, k, a.1, a.2) && b.0.len() > last(k, n, b.1, b.2)));
    assert!(c.0.len() > last(m, n, c.1, c.2));
    // SAFETY: the asserts above keep every element the strides address inside its slice, and
    // `c` is a unique borrow that cannot alias `a` or `b`.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            alpha,
            a.0.as_ptr(),
            a.1 as isize,
            a.2 as isize,
            b.0.as_ptr(),
            b.1 as isize,
            b.2 as isize,
            beta,
            c.0.as_mut_ptr(),
            c.1 as isize,
            c.2 as isize,
        );
    }
}

fn linear(l: &Linear, x: &[f32], out: &mut [f32], rows: usize) {
    for row in out.chunks_exact_mut(l.n_out).take(rows) {
        row.copy_from_slice(&l.bias);
    }
    // Wᵀ is `W` read with swapped strides.
    gemm(
        (rows, l.n_in, l.n_out),
        1.0,
        (x, l.n_in, 1),
        (&l.weight, 1, l.n_in),
        1.0,
        (out, l.n_out, 1),
    );
}

fn layer_norm(x: &mut [f32], n: &Norm, eps: f32) {
    let h = n.weight.len();
    for row in x.chunks_exact_mut(h) {
        let mean = row.iter().sum::<f32>() / h as f32;
        let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / h as f32;
        let inv = 1.0 / (var + eps).sqrt();
        for ((v, w), b) in row.iter_mut().zip(&n.weight).zip(&n.bias) {
            *v = (*v - mean) * inv * w + b;
        }
    }
}

fn softmax(v: &mut [f32]) {
    let max = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for x in v.iter_mut() {
        *x = (*x - max).exp();
        sum += *x;
    }
    v.iter_mut().for_each(|x| *x /= sum);
}

/// The exact (erf) GELU BERT uses; erf by Abramowitz & Stegun 7.1.26 (error < 1.5e-7).
fn gelu(x: f32) -> f32 {
    let z = f64::from(x) * std::f64::consts::FRAC_1_SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * z.abs());
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = (1.0 - poly * (-z * z).exp()).copysign(z);
    (0.5 * f64::from(x) * (1.0 + erf)) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gelu_matches_known_values() {
        // GELU(x) = x·Φ(x): Φ(1) = 0.841345, Φ(-2) = 0.022750, Φ(0.5) = 0.691462.
        assert!((gelu(1.0) - 0.841_345).abs() < 1e-5);
        assert!((gelu(-2.0) + 2.0 * 0.022_750).abs() < 1e-5);
        assert!((gelu(0.5) - 0.5 * 0.691_462).abs() < 1e-5);
        assert_eq!(gelu(0.0), 0.0);
    }

    #[test]
    fn gemm_handles_transposed_strides() {
        // a = [[1,2],[3,4]], b stored as bᵀ = [[5,6],[7,8]] → a·b = [[17,23],[39,53]].
        let a = [1.0, 2.0, 3.0, 4.0];
        let bt = [5.0, 6.0, 7.0, 8.0];
        let mut c = [1.0f32; 4];
        gemm((2, 2, 2), 1.0, (&a, 2, 1), (&bt, 1, 2), 1.0, (&mut c, 2, 1));
        assert_eq!(c, [18.0, 24.0, 40.0, 54.0]);
    }
}
