#!/usr/bin/env bash
# Local server throughput and warm latency under wrk: `bash bench/wrk/run.sh` from the
# repository root. Builds the server in release, starts it on 127.0.0.1 with a fresh data folder,
# seeds one workgroup with 50 pending invitations, then runs wrk (THREADS threads, default 2;
# CONNECTIONS connections, default 32; 10 s, after a 3 s warm-up) on each route it can repeat.
# Prints a Markdown table. `THREADS=1 CONNECTIONS=1` measures one request at a time: the warm
# latency of each route without queueing. `LOCAL_BIN=<path>` measures that build of the server
# instead of building one; `ONLY=<text>` measures only the routes whose name holds the text.
set -euo pipefail
cd "$(dirname "$0")/../.."
PORT=${PORT:-3917}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
API=http://127.0.0.1:$PORT
if [ -z "${LOCAL_BIN:-}" ]; then
  cargo build -q --release -p local
fi
BIN=${LOCAL_BIN:-${CARGO_TARGET_DIR:-target}/release/local}
DATA=$(mktemp -d)
# The daily limits would refuse the repeated re-invite: they are not what this measures.
INVITE_DAILY_LIMIT=1000000000 INVITER_DAILY_LIMIT=1000000000 RECIPIENT_DAILY_LIMIT=1000000000 \
  WORKGROUP_DAILY_LIMIT=1000000000 "$BIN" --addr 127.0.0.1:$PORT --data-dir "$DATA" >/dev/null 2>&1 &
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
export WRK_BEARER=$ADA
INVITATION=$(curl -s "$API/workgroups/$WG/invitations?limit=1" -H "Authorization: Bearer $ADA" | jq -r '.items[0].id')

measure() { # name, wrk arguments...
  local name=$1; shift
  [[ -z "${ONLY:-}" || "$name" == *"$ONLY"* ]] || return 0
  wrk -t"$THREADS" -c"$CONNECTIONS" -d3s "$@" >/dev/null
  local out; out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d10s --latency "$@")
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  echo "| $name | $rps | $p50 | $p99 | ${errors:-0} |"
}
echo "| request | req/s | p50 | p99 | non-2xx |"
echo "| --- | --- | --- | --- | --- |"
AUTH=(-H "Authorization: Bearer $ADA")
measure "GET /workgroups" "${AUTH[@]}" "$API/workgroups"
measure "GET /workgroups/{wg}/agents" "${AUTH[@]}" "$API/workgroups/$WG/agents"
measure "GET /workgroups/{wg}/invitations (a page of 50)" "${AUTH[@]}" "$API/workgroups/$WG/invitations"
measure "GET /workgroups/{wg}/invitations?limit=10" "${AUTH[@]}" "$API/workgroups/$WG/invitations?limit=10"
measure "GET /workgroups/{wg}/invitations/{id}" "${AUTH[@]}" "$API/workgroups/$WG/invitations/$INVITATION"
measure "GET /workgroups/{wg}/events (a page of 50)" "${AUTH[@]}" "$API/workgroups/$WG/events"
measure "POST /invitations/lookup" -s bench/wrk/lookup.lua "$API/invitations/lookup"
measure "POST /workgroups/{wg}/invitations (re-invite one address: a write and an email)" -s bench/wrk/invite.lua "$API/workgroups/$WG/invitations"
measure "GET /openapi.json" "$API/openapi.json"
measure "GET / (the console's page)" "$API/"
