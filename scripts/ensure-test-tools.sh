#!/usr/bin/env bash
# Install what the test suite needs: sqlx-cli (pinned to our sqlx), Chromium and chromedriver.
# Idempotent.
set -euo pipefail

SQLX_VERSION=0.8.6

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    echo "==> Installing Chromium and chromedriver (Debian packages)"
    if [ "$(id -u)" -ne 0 ]; then
        echo "Run:  sudo apt-get install -y chromium chromium-driver" >&2
        exit 1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi

if ! cargo sqlx --version 2>/dev/null | grep -q " $SQLX_VERSION"; then
    echo "==> Installing sqlx-cli $SQLX_VERSION"
    cargo install sqlx-cli --version "$SQLX_VERSION" --locked --no-default-features --features postgres,rustls
fi
