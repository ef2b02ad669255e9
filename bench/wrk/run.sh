#!/usr/bin/env bash
# Local server throughput under wrk: `bash bench/wrk/run.sh` from the repository root.
# Builds the server in release, starts it on 127.0.0.1 with a fresh data folder, seeds one
# workgroup with 50 pending invitations, then runs wrk (2 threads, 32 connections, 10 s, after
# a 3 s warm-up) on a page of invitations and on a token lookup. Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/../.."
PORT=${PORT:-3917}
API=http://127.0.0.1:$PORT
cargo build -q --release -p local
BIN=${CARGO_TARGET_DIR:-target}/release/local
DATA=$(mktemp -d)
"$BIN" --addr 127.0.0.1:$PORT --data-dir "$DATA" >/dev/null 2>&1 &
SERVER=$!
trap 'kill $SERVER; rm -rf "$DATA"' EXIT
sleep 1
ADA=$("$BIN" --data-dir "$DATA" token --email ada@example.com --name Ada)
WG=$(curl -s -X POST "$API/workgroups" -H "Authorization: Bearer $ADA" -H 'content-type: application/json' \
  -d '{"name": "Bench"}' | jq -r .id)
EMAILS=$(seq 1 50 | sed 's/.*/p&@example.com/' | paste -sd, -)
curl -s -o /dev/null -X POST "$API/workgroups/$WG/invitations" -H "Authorization: Bearer $ADA" \
  -H 'content-type: application/json' -d "{\"emails\": \"$EMAILS\", \"role\": \"associate\"}"
LINK=$("$BIN" --data-dir "$DATA" link --to p1@example.com)
export WRK_TOKEN=${LINK#*#token=}

measure() { # name, wrk arguments...
  local name=$1; shift
  wrk -t2 -c32 -d3s "$@" >/dev/null
  local out; out=$(wrk -t2 -c32 -d10s --latency "$@")
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  echo "| $name | $rps | $p50 | $p99 |"
}
echo "| request | req/s | p50 | p99 |"
echo "| --- | --- | --- | --- |"
measure "GET /workgroups/{wg}/invitations (a page of 50)" -H "Authorization: Bearer $ADA" "$API/workgroups/$WG/invitations"
measure "POST /invitations/lookup" -s bench/wrk/lookup.lua "$API/invitations/lookup"
