"""Reference sentence vectors for all-MiniLM-L6-v2, computed in float64 with numpy.

An independent implementation of what sentence-transformers does for this model (BERT forward
pass, mean pooling over the attention mask, L2 normalisation, max_seq_length 256), used to check
the Rust encoder without installing torch. Writes src/tagging/testdata/minilm_reference.json.

    python3 -m venv .tmp/venv && .tmp/venv/bin/pip install numpy safetensors tokenizers
    .tmp/venv/bin/python scripts/reference_vectors.py "$(scripts/ensure-model.sh)"
"""

import json
import math
import sys
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

MAX_SEQ_LENGTH = 256
SENTENCES = [
    "My card has not arrived yet.",
    "I'd like a refund for the double charge on my account, please!",
    "What's the exchange rate for a Café au lait in Zürich?",
    "",
    "Why won't the app let me top up?? It keeps saying 'declined' " * 30,
]


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def gelu(x):
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def encode(weights, cfg, ids):
    g = lambda k: weights[k].astype(np.float64)
    eps = cfg["layer_norm_eps"]
    n = len(ids)
    x = g("embeddings.word_embeddings.weight")[ids]
    x = x + g("embeddings.position_embeddings.weight")[:n]
    x = x + g("embeddings.token_type_embeddings.weight")[0]
    x = layer_norm(x, g("embeddings.LayerNorm.weight"), g("embeddings.LayerNorm.bias"), eps)
    heads = cfg["num_attention_heads"]
    d = cfg["hidden_size"] // heads
    lin = lambda h, p: h @ g(p + ".weight").T + g(p + ".bias")
    for layer in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{layer}."
        q = lin(x, p + "attention.self.query").reshape(n, heads, d).transpose(1, 0, 2)
        k = lin(x, p + "attention.self.key").reshape(n, heads, d).transpose(1, 0, 2)
        v = lin(x, p + "attention.self.value").reshape(n, heads, d).transpose(1, 0, 2)
        s = q @ k.transpose(0, 2, 1) / math.sqrt(d)
        s = np.exp(s - s.max(-1, keepdims=True))
        s = s / s.sum(-1, keepdims=True)
        ctx = (s @ v).transpose(1, 0, 2).reshape(n, heads * d)
        a = lin(ctx, p + "attention.output.dense")
        x = layer_norm(x + a, g(p + "attention.output.LayerNorm.weight"),
                       g(p + "attention.output.LayerNorm.bias"), eps)
        h = gelu(lin(x, p + "intermediate.dense"))
        o = lin(h, p + "output.dense")
        x = layer_norm(x + o, g(p + "output.LayerNorm.weight"), g(p + "output.LayerNorm.bias"), eps)
    # One unpadded sentence: every position is in the attention mask.
    pooled = x.mean(0)
    return pooled / max(np.linalg.norm(pooled), 1e-12)


def main():
    model_dir = Path(sys.argv[1])
    out = Path(__file__).resolve().parent.parent / "src/tagging/testdata/minilm_reference.json"
    cfg = json.loads((model_dir / "config.json").read_text())
    weights = load_file(str(model_dir / "model.safetensors"))
    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(MAX_SEQ_LENGTH)
    rows = []
    for s in SENTENCES:
        ids = tok.encode(s).ids
        vec = encode(weights, cfg, np.array(ids))
        rows.append({"text": s, "n_tokens": len(ids), "vector": [round(float(v), 6) for v in vec]})
        print(f"{len(ids):4d} tokens  {vec[:4]}  {s[:50]!r}")
    out.write_text(json.dumps({"model": "all-MiniLM-L6-v2", "max_seq_length": MAX_SEQ_LENGTH,
                               "sentences": rows}, indent=0) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
