#!/bin/bash
# Time a signed-in page: scripts/time_page.sh http://127.0.0.1:8091 /themes 8 (demo PM sign-in).
# usage: time_overview.sh BASE PATH [N]
BASE=$1; P=$2; N=${3:-5}
J=$(mktemp)
curl -s -c $J -b $J $BASE/signin > /tmp/signin.html
TOKEN=$(grep -o 'name="csrf_token" value="[^"]*"' /tmp/signin.html | head -1 | sed 's/.*value="//;s/"//')
curl -s -c $J -b $J -o /dev/null -w "signin %{http_code}\n" --data-urlencode "csrf_token=$TOKEN" --data-urlencode "email=pm@example.com" --data-urlencode "password=goldthread-demo" --data-urlencode "next=/" $BASE/signin
for i in $(seq 1 $N); do curl -s -b $J -o /tmp/page.html -w "%{http_code} %{time_total}s\n" "$BASE$P"; done
