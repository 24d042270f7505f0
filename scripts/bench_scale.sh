#!/bin/bash
# The scale harness (issue #14): a 10k demo database and a 1M database built the way a new user
# would (the demo, then a 1,000,000-row CSV in our own format imported with `goldthread import
# feedback`, then `goldthread retag` with the shipped tagger), measured side by side in one run.
#
#   scripts/bench_scale.sh all       # build what is missing, then measure everything and print
#   scripts/bench_scale.sh build     # (re)build both databases; times import and retag on the way
#   scripts/bench_scale.sh bulk      # re-run import + retag on a fresh copy of the 10k database
#   scripts/bench_scale.sh base      # (re)build the 10k database and write the CSV
#   scripts/bench_scale.sh import    # only the import (fresh copy of the 10k database) and its floor
#   scripts/bench_scale.sh measure   # floors, pages, export, then the report (databases kept)
#   scripts/bench_scale.sh report    # print the last results again
#
# Settings (environment): BIN (release binary, default target/release/goldthread), OUT (results
# and the generated CSV, default /tmp/scale-bench), ROWS (default 1000000), DB10 / DB1M (database
# names, default goldthread_scale_10k / goldthread_scale_1m), PGHOST (default /var/run/postgresql),
# PORT10 / PORT1M (default 18410 / 18411), N (requests per page, default 7), LABEL (a name for this
# run's results, default "run"; `report` with LABEL=a,b prints runs one after the other),
# SKIP_QUEUED (set: mark queued jobs done before timing retag, for binaries before #14).
#
# Page times are medians of N signed-in requests as the demo PM (after one warm-up request).
# "after change" is the first request after a tag was confirmed (in SQL: the same rows the review
# page writes), so every cache that depends on tags is stale. The machine is shared: the report
# prints the load average next to the numbers.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-target/release/goldthread}
BIN=$(realpath "$BIN")
OUT=${OUT:-/tmp/scale-bench}
ROWS=${ROWS:-1000000}
DB10=${DB10:-goldthread_scale_10k}
DB1M=${DB1M:-goldthread_scale_1m}
export PGHOST=${PGHOST:-/var/run/postgresql}
PORT10=${PORT10:-18410}
PORT1M=${PORT1M:-18411}
N=${N:-7}
LABEL=${LABEL:-run}
CSV=$OUT/feedback-$ROWS.csv
RES=$OUT/$LABEL
mkdir -p "$OUT" "$RES"

url() { echo "postgres:///$1?host=$PGHOST"; }
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
exists() { [ "$(psql -X -At -d postgres -c "select 1 from pg_database where datname = '$1'")" = 1 ]; }
now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc -l | xargs printf '%.2f'; }
# Runs a command under /usr/bin/time; prints "seconds peak_rss_MB".
timed() {
    local log=$1; shift
    /usr/bin/time -f '%e %M' -o "$log.time" "$@" > "$log" 2>&1 || { cat "$log"; return 1; }
    awk '{printf "%s %.0f\n", $1, $2/1024}' "$log.time"
}
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
put() { echo "$2" > "$RES/$1"; }
get() { cat "$RES/$1" 2>/dev/null || echo "-"; }

build_10k() {
    echo "== 10k demo database $DB10"
    dropdb --if-exists "$DB10"; createdb "$DB10"
    DATABASE_URL=$(url "$DB10") "$BIN" migrate > /dev/null
    put demo "$(DATABASE_URL=$(url "$DB10") timed "$RES/demo.log" "$BIN" demo)"
    echo "demo: $(get demo) (s, MB)"
}

# The 1M-row CSV in our own format: rows written by `goldthread generate` (BANKING77 texts with
# varied openings and tails, sales/success notes, NPS comments, over the demo accounts and the last
# 365 days) into a scratch copy of the demo, read back as the columns our import takes.
make_csv() {
    [ -s "$CSV" ] && return
    echo "== generating $CSV"
    local src=goldthread_scale_src
    dropdb --if-exists "$src"; createdb -T "$DB10" "$src"
    DATABASE_URL=$(url "$src") "$BIN" generate --feedback "$ROWS" --jobs 2 2>/dev/null
    psql -X -q -v ON_ERROR_STOP=1 -d "$src" -c "\\copy (select f.source, f.external_id, f.title, f.body,
        a.external_id as account_external_id, f.contact_email,
        to_char(f.received_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') as received_at, f.nps_score,
        u.email as reporter_email
        from feedback f left join accounts a on a.id = f.account_id left join users u on u.id = f.reporter_id
        where f.external_id like 'gen-%' order by f.id) to '$CSV' (format csv, header)"
    dropdb "$src"
    echo "rows: $(($(wc -l < "$CSV") - 1)) ($(du -h "$CSV" | cut -f1))"
}

# Import then retag into a fresh copy of the 10k database.
bulk() {
    import_parts
    retag_all
}

# Import the CSV into a fresh copy of the 10k database.
import_parts() {
    make_csv
    echo "== 1M database $DB1M: import"
    dropdb --if-exists "$DB1M"; createdb -T "$DB10" "$DB1M"
    # Imports take files up to 200 MB: the CSV goes in as parts of 500,000 rows, one after another
    # (time summed, peak RSS the largest).
    rm -f "$OUT"/part-*.csv
    # Split by records, not lines: some bodies hold line breaks.
    python3 - "$CSV" "$OUT" <<'PY'
import csv, sys
rows = csv.reader(open(sys.argv[1], newline=""))
header = next(rows)
out = None
for i, row in enumerate(rows):
    if i % 500000 == 0:
        out = csv.writer(open(f"{sys.argv[2]}/part-{i // 500000:02d}.csv", "w", newline=""))
        out.writerow(header)
    out.writerow(row)
PY
    local total=0 peak=0 part
    for part in "$OUT"/part-*.csv; do
        local res
        res=$(DATABASE_URL=$(url "$DB1M") timed "$RES/import.log" "$BIN" import feedback "$part") || {
            echo "import of $part failed:"; tr '\r' '\n' < "$RES/import.log" | grep -v '^checked' | head -20
            dropdb "$DB1M"; exit 1; }
        read -r t m <<< "$res"
        echo "  $(basename "$part"): $t s, $m MB  $(tr '\r' '\n' < "$RES/import.log" | tail -1)"
        total=$(echo "$total + $t" | bc -l); [ "$m" -gt "$peak" ] && peak=$m
    done
    put import "$total $peak"
    echo "import: $(get import) (s, MB)"
}

retag_all() {
    if [ -n "${SKIP_QUEUED:-}" ]; then
        # A binary that does not cover the import's queued tagging job would run a second full
        # retag inside `goldthread retag`: time one pass, like the others.
        q "$DB1M" "update jobs set state = 'done' where state = 'queued'" > /dev/null
    fi
    put retag "$(DATABASE_URL=$(url "$DB1M") timed "$RES/retag.log" "$BIN" retag)"
    echo "retag: $(get retag) (s, MB)  $(tail -1 "$RES/retag.log")"
    put items "$(q "$DB1M" "select count(*) from feedback")"
    put suggested "$(q "$DB1M" "select count(distinct feedback_id) from feedback_themes where state = 'suggested'")"
}

# What the database alone does with the same rows.
floors() {
    floor_import
    floors_rest
}

# The import's floor: \copy into a bare table, then insert…select into a table shaped like
# feedback (its indexes, no triggers).
floor_import() {
    echo "== import floor on $DB1M"
    local t
    q "$DB1M" "drop table if exists scale_bare, scale_shape"
    q "$DB1M" "create table scale_bare (source text, external_id text, title text, body text, account_external_id text,
        contact_email text, received_at timestamptz, nps_score smallint, reporter_email text)"
    t=$(now); psql -X -q -d "$DB1M" -c "\\copy scale_bare from '$CSV' (format csv, header)"; put copy_bare "$(elapsed "$t")"
    q "$DB1M" "create table scale_shape (like feedback including defaults including identity including generated including indexes)"
    t=$(now)
    q "$DB1M" "insert into scale_shape (source, external_id, title, body, account_id, contact_email, received_at, nps_score, reporter_id,
        arr_cents_snapshot, currency_snapshot)
        select b.source, b.external_id || '-floor', b.title, b.body, a.id, b.contact_email, b.received_at, b.nps_score, u.id,
               a.arr_cents, a.currency
        from scale_bare b left join accounts a on a.external_id = b.account_external_id left join users u on u.email = b.reporter_email"
    put copy_shape "$(elapsed "$t")"
    q "$DB1M" "drop table scale_bare, scale_shape"
    echo "bare copy $(get copy_bare) s, into feedback's shape $(get copy_shape) s"
}

floors_rest() {
    local t
    t=$(now)
    psql -X -q -d "$DB1M" -c "\\copy (select id, coalesce(title || '. ', '') || body from feedback where archived_at is null order by id) to '/dev/null'"
    put stream_text "$(elapsed "$t")"
    if "$BIN" retag --help 2>/dev/null | grep -q -- --dry-run; then
        put score "$(DATABASE_URL=$(url "$DB1M") timed "$RES/score.log" "$BIN" retag --dry-run)"
    fi
    t=$(now)
    psql -X -q -d "$DB1M" -c "\\copy (select f.id, f.source, f.external_id, f.title, f.body, a.external_id, a.name, f.contact_email,
        u.email, f.received_at, f.nps_score, f.arr_cents_snapshot, f.currency_snapshot, f.metadata
        from feedback f left join accounts a on a.id = f.account_id left join users u on u.id = f.reporter_id
        where f.archived_at is null order by f.received_at desc, f.id desc) to '/dev/null' (format csv)"
    put copy_export "$(elapsed "$t")"
    echo "bare copy $(get copy_bare) s, into feedback's shape $(get copy_shape) s, stream text $(get stream_text) s, score $(get score), export copy $(get copy_export) s"
}

PIDS=()
serve() { # db port
    DATABASE_URL=$(url "$1") GOLDTHREAD_BIND=127.0.0.1:$2 RUST_LOG=warn "$BIN" serve --demo > "$RES/serve-$2.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$2/signin" && return; sleep 0.2; done
    echo "server on $2 did not start"; cat "$RES/serve-$2.log"; exit 1
}
stop_servers() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; PIDS=(); }
trap stop_servers EXIT

signin() { # port -> cookie jar path
    local jar=$RES/jar-$1 page token
    rm -f "$jar"
    page=$(curl -s -c "$jar" -b "$jar" "http://127.0.0.1:$1/signin")
    token=$(grep -o 'name="csrf_token" value="[^"]*"' <<< "$page" | head -1 | sed 's/.*value="//;s/"//')
    curl -s -c "$jar" -b "$jar" -o /dev/null --data-urlencode "csrf_token=$token" \
        --data-urlencode "email=pm@example.com" --data-urlencode "password=goldthread-demo" \
        --data-urlencode "next=/" "http://127.0.0.1:$1/signin"
    echo "$jar"
}
get_ms() { # jar url -> "status ms"
    curl -s -b "$1" -o /dev/null -w '%{http_code} %{time_total}\n' "$2" | awk '{printf "%s %.1f\n", $1, $2*1000}'
}
change() { # db: confirm one suggested tag, as the review page does
    q "$1" "update feedback_themes set state = 'confirmed', decided_at = now(),
        decided_by = (select id from users where email = 'pm@example.com')
        where id = (select id from feedback_themes where state = 'suggested' order by id desc limit 1)" > /dev/null
}

pages() {
    echo "== pages (median of $N)"
    local theme account
    theme=$(q "$DB10" "select theme_id from theme_weekly group by 1 order by sum(items) desc limit 1")
    account=$(q "$DB10" "select account_id from feedback where account_id is not null group by 1 order by count(*) desc limit 1")
    PAGES=(/themes /themes/review "/themes/$theme" /themes/emerging /feedback "/feedback?source=nps"
        "/feedback?q=card" "/feedback?q=card&source=sales" "/feedback?theme=$theme" /accounts
        "/accounts?sort=arr" "/accounts/$account" /nps /)
    printf '%s\n' "${PAGES[@]}" > "$RES/pages.list"
    serve "$DB10" "$PORT10"; serve "$DB1M" "$PORT1M"
    local j10 j1m
    j10=$(signin "$PORT10"); j1m=$(signin "$PORT1M")
    : > "$RES/pages.tsv"
    for p in "${PAGES[@]}"; do
        local line="$p"
        for pair in "$PORT10:$j10:$DB10" "$PORT1M:$j1m:$DB1M"; do
            IFS=: read -r port jar db <<< "$pair"
            change "$db"
            local first status times
            read -r status first <<< "$(get_ms "$jar" "http://127.0.0.1:$port$p")"
            times=$(for _ in $(seq 1 "$N"); do get_ms "$jar" "http://127.0.0.1:$port$p" | cut -d' ' -f2; done | median)
            line="$line	$status	$times	$first"
        done
        echo "$line" >> "$RES/pages.tsv"
        echo "$line"
    done
    put load "$(cut -d' ' -f1-3 /proc/loadavg)"
}

export_bench() {
    echo "== export on $DB1M"
    [ ${#PIDS[@]} -gt 0 ] || { serve "$DB10" "$PORT10"; serve "$DB1M" "$PORT1M"; }
    local jar pid rss0 fmt
    jar=$(signin "$PORT1M")
    pid=${PIDS[-1]}
    for fmt in csv json; do
        rss0=$(awk '/VmRSS/ {print int($2/1024)}' "/proc/$pid/status")
        curl -s -b "$jar" -o /dev/null -w '%{http_code} %{time_starttransfer} %{time_total} %{size_download}\n' \
            "http://127.0.0.1:$PORT1M/feedback/export.$fmt" > "$RES/export-$fmt.raw"
        read -r status first total size < "$RES/export-$fmt.raw"
        local hwm
        hwm=$(awk '/VmHWM/ {print int($2/1024)}' "/proc/$pid/status")
        put "export_$fmt" "$status $first $total $size $rss0 $hwm"
        echo "export.$fmt: status $status, first byte ${first}s, total ${total}s, $((size / 1000000)) MB, server RSS before ${rss0} MB, peak ${hwm} MB"
    done
    stop_servers
}

# Two `serve` processes on one database: a change made through one shows on the other's next view.
two() {
    echo "== two processes on $DB10"
    local pa=$((PORT10 + 2)) pb=$((PORT10 + 3)) jar tag item token before after
    serve "$DB10" "$pa"; serve "$DB10" "$pb"
    jar=$(signin "$pa")
    read -r tag item <<< "$(q "$DB10" "select ft.id, ft.feedback_id from feedback_themes ft
        join themes t on t.id = ft.theme_id and t.status = 'active'
        join feedback f on f.id = ft.feedback_id and f.archived_at is null
        where ft.state = 'suggested' order by ft.id limit 1" | tr '|' ' ')"
    count() { curl -s -b "$jar" "http://127.0.0.1:$1/feedback/$item" | { grep -o 'status-confirmed">Confirmed' || true; } | wc -l; }
    before=$(count "$pb")
    token=$(curl -s -b "$jar" "http://127.0.0.1:$pa/feedback/$item" | grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"//')
    curl -s -b "$jar" -o /dev/null -w '' --data-urlencode "csrf_token=$token" --data-urlencode "one=confirm:$tag" \
        --data-urlencode "back=/feedback/$item" "http://127.0.0.1:$pa/themes/review"
    after=$(count "$pb")
    if [ "$after" -gt "$before" ]; then put two "yes ($before → $after confirmed tags on item $item)"; else put two "NO ($before → $after)"; fi
    echo "confirmed through :$pa, seen on :$pb's next view: $(get two)"
    stop_servers
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a+0 > 0 && b+0 > 0) printf "%.2f", a/b; else print "-" }'; }

report() {
    local run
    for run in ${LABEL//,/ }; do
        RES=$OUT/$run
        echo
        echo "### scale results: $run ($(get items) items at 1M, $(get suggested) with a suggestion; load $(get load))"
        echo
        echo "| page | 10k ms | 1M ms | ratio | 10k after change | 1M after change | ratio |"
        echo "| --- | --- | --- | --- | --- | --- | --- |"
        [ -s "$RES/pages.tsv" ] && while IFS=$'\t' read -r p s10 m10 f10 s1m m1m f1m; do
            local flag=""; [ "$s10" = 200 ] && [ "$s1m" = 200 ] || flag=" (status $s10/$s1m)"
            echo "| $p$flag | $m10 | $m1m | $(ratio "$m1m" "$m10")× | $f10 | $f1m | $(ratio "$f1m" "$f10")× |"
        done < "$RES/pages.tsv"
        echo
        read -r isec irss _ <<< "$(get import) -"
        read -r rsec rrss _ <<< "$(get retag) -"
        read -r ssec _ <<< "$(get score) -"
        local shape bare stream cexp
        bare=$(get copy_bare); shape=$(get copy_shape); stream=$(get stream_text); cexp=$(get copy_export)
        echo "| bulk work | Goldthread | the database alone | ratio (floor ÷ ours) |"
        echo "| --- | --- | --- | --- |"
        echo "| import $ROWS rows | $isec s, peak RSS $irss MB | \\copy bare $bare s + insert…select into feedback's shape $shape s | $(ratio "$(echo "$bare + $shape" | bc -l)" "$isec")× |"
        echo "| retag $(get items) items | $rsec s, peak RSS $rrss MB | stream text $stream s + score in memory (retag --dry-run) $ssec s | $(ratio "$ssec" "$rsec")× |"
        for fmt in csv json; do
            read -r st first total size rss0 hwm _ <<< "$(get "export_$fmt") - - - - - -"
            echo "| GET /feedback/export.$fmt | status $st, first byte $first s, total $total s, $((${size:-0} / 1000000)) MB, server RSS $rss0 → peak $hwm MB | \\copy (select … join accounts …) to /dev/null $cexp s | $(ratio "$cexp" "$total")× |"
        done
        echo "| demo (10k) | $(get demo) (s, MB) | | |"
        echo
        echo "Two serve processes on one database, a tag confirmed through one: shown on the other's next view: $(get two)"
    done
}

case "${1:-all}" in
    build) build_10k; bulk ;;
    bulk) bulk ;;
    base) build_10k; make_csv ;;
    import) import_parts; floor_import; echo "load: $(cut -d' ' -f1-3 /proc/loadavg)" ;;
    floors) floors ;;
    pages) pages; stop_servers ;;
    export) export_bench ;;
    two) two ;;
    measure) floors; pages; stop_servers; export_bench; two; report ;;
    report) report ;;
    all)
        exists "$DB10" || build_10k
        exists "$DB1M" || bulk
        floors; pages; stop_servers; export_bench; two; report ;;
    *) sed -n 2,20p "$0"; exit 2 ;;
esac
