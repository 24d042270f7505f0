#!/usr/bin/env bash
# Create the ignored virtualenv .tmp/venv with openapi-spec-validator (pinned) for `make test`.
# Idempotent: does nothing when the pinned version is already there.
set -euo pipefail

VERSION=0.7.2
VENV=.tmp/venv

cd "$(dirname "$0")/.."
if [ -x "$VENV/bin/openapi-spec-validator" ] \
    && "$VENV/bin/python" -m pip show openapi-spec-validator 2>/dev/null | grep -x "Version: $VERSION" >/dev/null; then
    exit 0
fi
echo "==> Installing openapi-spec-validator $VERSION into $VENV"
mkdir -p .tmp
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "openapi-spec-validator==$VERSION"
