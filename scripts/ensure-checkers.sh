#!/usr/bin/env bash
# Install the outside checkers `make test` runs over every page and the whole API, each pinned,
# into git-ignored folders:
#   .tmp/checkers/node_modules/vnu-jar   Nu Html Checker (runs on the machine's Java 17)
#   .tmp/checkers/node_modules/axe-core  axe-core (injected into headless Chromium by tests/it/checkers.rs)
#   .tmp/venv/bin/schemathesis           schemathesis (in the virtualenv of ensure-openapi-validator.sh)
# Idempotent: does nothing when the pinned versions are already there.
set -euo pipefail

VNU_VERSION=26.9.27
AXE_VERSION=4.14.1
SCHEMATHESIS_VERSION=4.32.5
CHECKERS=.tmp/checkers
VENV=.tmp/venv

cd "$(dirname "$0")/.."

# A Debian package the checkers need (npm for vnu-jar and axe-core, Java for the Nu checker).
apt_install() {
    echo "==> Installing $1 (Debian package)"
    if [ "$(id -u)" -ne 0 ]; then
        echo "Run:  sudo apt-get install -y $1" >&2
        exit 1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
}

installed_npm() { # name version
    [ -f "$CHECKERS/node_modules/$1/package.json" ] \
        && grep -q "\"version\": \"$2\"" "$CHECKERS/node_modules/$1/package.json"
}
if ! installed_npm vnu-jar "$VNU_VERSION" || ! installed_npm axe-core "$AXE_VERSION"; then
    echo "==> Installing vnu-jar $VNU_VERSION and axe-core $AXE_VERSION into $CHECKERS"
    command -v npm >/dev/null || apt_install npm
    mkdir -p "$CHECKERS"
    [ -f "$CHECKERS/package.json" ] || echo '{"private": true}' >"$CHECKERS/package.json"
    npm install --prefix "$CHECKERS" --no-audit --no-fund --silent --save-exact \
        "vnu-jar@$VNU_VERSION" "axe-core@$AXE_VERSION"
fi
command -v java >/dev/null || apt_install default-jre-headless

if [ ! -x "$VENV/bin/python" ]; then
    mkdir -p .tmp
    python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -m pip show schemathesis 2>/dev/null | grep -x "Version: $SCHEMATHESIS_VERSION" >/dev/null; then
    echo "==> Installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
