#!/usr/bin/env bash
# Run the cargo-fuzz targets of fuzz/ one after another, FUZZ_SECONDS each (default 600), on
# the stable toolchain (RUSTC_BOOTSTRAP=1 lets it take cargo-fuzz's instrumentation flags).
# Installs cargo-fuzz (crates.io) if missing. Starts from the committed seeds in
# fuzz/corpus/<target>/ and keeps what it finds there (git-ignored); a crash is saved under
# fuzz/artifacts/<target>/ and fails the script. Prints each target's last libFuzzer status
# line (execs, coverage, corpus). TARGETS="markdown query_filters" runs a subset.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS=${FUZZ_SECONDS:-600}
TARGETS=${TARGETS:-"import_csv markdown query_filters"}
export RUSTC_BOOTSTRAP=1 SQLX_OFFLINE=true

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --version 0.13.2 --locked

for target in $TARGETS; do
    log=.tmp/fuzz-$target.log
    mkdir -p .tmp "fuzz/corpus/$target"
    echo "==> $target for ${FUZZ_SECONDS}s (log: $log)"
    if ! cargo fuzz run --sanitizer none "$target" "fuzz/corpus/$target" -- \
        -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 -timeout=10 -rss_limit_mb=4096 >"$log" 2>&1; then
        tail -40 "$log"
        echo "FAILED: $target (see $log and fuzz/artifacts/$target/)"
        exit 1
    fi
    grep -E '^#[0-9]+' "$log" | tail -1
    grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$log" || true
done
