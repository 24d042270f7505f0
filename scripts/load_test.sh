#!/usr/bin/env bash
# Load test, optionally with PostgreSQL restarted mid-run (issue #13).
#
#   scripts/load_test.sh                 # 60 s at 64 connections against a fresh demo hub
#   RESTART=1 scripts/load_test.sh       # the same, with `pg_ctlcluster 15 main restart` at 20 s
#
# What it does: builds the release binary and the load generator (examples/load.rs), loads the
# demo into $DATABASE_URL (default: its own database goldthread_load), serves it on $PORT,
# runs the generator (page views, searches on the pages and the API, feedback posted through the
# API and the web form, tag confirmations through the API), and with RESTART=1 restarts the
# database once while the load runs, probing /healthz during the outage. The generator looks
# every acknowledged write up afterwards and exits non-zero on any server error other than 503,
# a 503 without Retry-After, a hung request, or a missing write. The script then checks that
# the same server process still answers /healthz 200 (it recovered without a restart).
# Traffic goes to 127.0.0.1 only; everything stops by itself.
#
# Settings: PROFILE (release|debug), PORT (18300), DATABASE_URL, DURATION (60 seconds), CONNECTIONS (64), RESTART (0),
# RESTART_AT (20, seconds into the run), PG_CLUSTER ("15 main"), OUT (report JSON path).
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-18300}
export DATABASE_URL=${DATABASE_URL:-postgres:///goldthread_load?host=/var/run/postgresql}
SECONDS_RUN=${DURATION:-60}
CONNECTIONS=${CONNECTIONS:-64}
RESTART=${RESTART:-0}
RESTART_AT=${RESTART_AT:-20}
PG_CLUSTER=${PG_CLUSTER:-15 main}
OUT=${OUT:-.tmp/load-$( [ "$RESTART" = 1 ] && echo restart || echo steady ).json}
# PROFILE=debug uses the debug build (quicker to build; the figures are then a floor).
PROFILE=${PROFILE:-release}
BIN=target/$PROFILE/goldthread
LOAD=target/$PROFILE/examples/load
mkdir -p .tmp

echo "==> Building ($PROFILE)"
if [ "$PROFILE" = release ]; then
    SQLX_OFFLINE=true cargo build --release --locked --bin goldthread --example load
else
    SQLX_OFFLINE=true cargo build --locked --bin goldthread --example load
fi

echo "==> Demo data in $(echo "$DATABASE_URL" | sed 's/?.*//')"
$BIN migrate >/dev/null
[ "${SKIP_DEMO:-0}" = 1 ] || $BIN demo >/dev/null   # SKIP_DEMO=1 when it is already loaded
TOKEN=$($BIN tokens create --email pm@example.com --name "load test $(date +%s)" 2>/dev/null)

LOG=.tmp/load-server.log
GOLDTHREAD_BIND=127.0.0.1:$PORT $BIN serve --demo >"$LOG" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break
    sleep 0.2
done
curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null || { echo "server did not start"; cat "$LOG"; exit 1; }

echo "==> Load: ${SECONDS_RUN}s at $CONNECTIONS connections (restart: $RESTART)"
$LOAD --base "http://127.0.0.1:$PORT" --token "$TOKEN" --database-url "$DATABASE_URL" \
    --seconds "$SECONDS_RUN" --connections "$CONNECTIONS" --run "load-$(date +%s)" >"$OUT" &
GEN=$!

if [ "$RESTART" = 1 ]; then
    sleep "$RESTART_AT"
    echo "==> pg_ctlcluster $PG_CLUSTER restart"
    PROBES=.tmp/load-probes.txt
    : >"$PROBES"
    ( for _ in $(seq 1 40); do
        curl -s -o /dev/null -m 10 -w "%{http_code} %{time_total}s\n" "http://127.0.0.1:$PORT/healthz" >>"$PROBES" || echo "no answer" >>"$PROBES"
        sleep 0.25
      done ) &
    PROBER=$!
    started=$(date +%s.%N)
    # shellcheck disable=SC2086
    pg_ctlcluster $PG_CLUSTER restart
    echo "    database back after $(echo "$(date +%s.%N) - $started" | bc) s"
    wait $PROBER
    echo "    /healthz during and after the restart (status, time): $(sort "$PROBES" | uniq -c | sort -rn | head -5 | tr '\n' ';')"
fi

status=0
wait $GEN || status=$?
cat "$OUT"

code=$(curl -s -o /dev/null -w "%{http_code}" "http://127.0.0.1:$PORT/healthz")
if kill -0 $SERVER 2>/dev/null && [ "$code" = 200 ]; then
    echo "==> Same server process (pid $SERVER) answers /healthz 200 afterwards"
else
    echo "==> FAILED: the server is gone or unhealthy afterwards (/healthz $code)"
    status=1
fi
echo "    server log: $(grep -c 'Status code: 503' "$LOG" || true) answers 503, $(grep 'Status code: 5' "$LOG" | grep -vc 'Status code: 503' || true) other 5xx"
exit $status
