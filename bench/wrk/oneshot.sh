#!/usr/bin/env bash
# Warm latency of the routes wrk cannot repeat on one input, on the embedded store: creating a
# workgroup, accepting, declining, resending and cancelling each change what they act on, so
# each request here gets its own workgroup name, token or invitation. `bash bench/wrk/oneshot.sh`
# from the repository root (N requests per route, default 200). Starts the release server on
# 127.0.0.1 with a fresh data folder, seeds 4N invitations, then sends the requests one at a time
# with curl over one kept-alive connection per route and reads each one's time from curl
# (`time_total`: request written to answer read). Prints a Markdown table like run.sh's.
set -euo pipefail
cd "$(dirname "$0")/../.."
PORT=${PORT:-3918}
N=${N:-200}
API=http://127.0.0.1:$PORT
cargo build -q --release -p local
BIN=${CARGO_TARGET_DIR:-target}/release/local
DATA=$(mktemp -d)
WORK=$(mktemp -d)
INVITE_DAILY_LIMIT=1000000000 INVITER_DAILY_LIMIT=1000000000 RECIPIENT_DAILY_LIMIT=1000000000 \
  WORKGROUP_DAILY_LIMIT=1000000000 PENDING_INVITATION_LIMIT=1000000 \
  "$BIN" --addr 127.0.0.1:$PORT --data-dir "$DATA" >/dev/null 2>&1 &
SERVER=$!
trap 'kill $SERVER; rm -rf "$DATA" "$WORK"' EXIT
sleep 1
ADA=$("$BIN" --data-dir "$DATA" token --email ada@example.com --name Ada)
AUTH=(-H "Authorization: Bearer $ADA" -H 'content-type: application/json')
WG=$(curl -s -X POST "$API/workgroups" "${AUTH[@]}" -d '{"name": "Bench"}' | jq -r .id)

# 4N invitations: a = accepted, d = declined, r = resent, c = cancelled.
for kind in a d r c; do
  for start in $(seq 1 50 "$N"); do
    emails=$(seq "$start" $((start + 49 < N ? start + 49 : N)) | sed "s/.*/$kind&@example.com/" | paste -sd, -)
    curl -s -o /dev/null -X POST "$API/workgroups/$WG/invitations" "${AUTH[@]}" \
      -d "{\"emails\": \"$emails\", \"role\": \"associate\"}"
  done
done
ids() { # kind -> the invitation ids of its addresses, one per line
  local cursor="" page
  while :; do
    page=$(curl -s "$API/workgroups/$WG/invitations?limit=100${cursor:+&cursor=$cursor}" "${AUTH[@]}")
    jq -r --arg k "$1" '.items[] | select(.email | startswith($k)) | .id' <<<"$page"
    cursor=$(jq -r '.next_cursor // empty' <<<"$page")
    [ -n "$cursor" ] || break
  done
}
token() { local link; link=$("$BIN" --data-dir "$DATA" link --to "$1"); echo "${link#*#token=}"; }

# One curl per route: every request a `--next` of the same process, so one kept-alive
# connection, as wrk's; `-w` prints each request's time in seconds.
: >"$WORK/create.cfg"; : >"$WORK/accept.cfg"; : >"$WORK/decline.cfg"; : >"$WORK/resend.cfg"; : >"$WORK/cancel.cfg"
request() { # config file, then curl options as config lines
  local file=$1; shift
  { [ -s "$file" ] && echo "next"; printf '%s\n' "$@" 'silent' 'output = "/dev/null"' \
    'write-out = "%{http_code} %{time_total}\n"'; } >>"$file"
}
for i in $(seq 1 "$N"); do
  request "$WORK/create.cfg" "url = \"$API/workgroups\"" 'request = "POST"' \
    "header = \"Authorization: Bearer $ADA\"" 'header = "content-type: application/json"' \
    "data = \"{\\\"name\\\": \\\"Team $i\\\"}\""
  person=$("$BIN" --data-dir "$DATA" token --email "a$i@example.com")
  request "$WORK/accept.cfg" "url = \"$API/invitations/accept\"" 'request = "POST"' \
    "header = \"Authorization: Bearer $person\"" 'header = "content-type: application/json"' \
    "data = \"{\\\"token\\\": \\\"$(token "a$i@example.com")\\\", \\\"name\\\": \\\"Agent $i\\\"}\""
  request "$WORK/decline.cfg" "url = \"$API/invitations/decline\"" 'request = "POST"' \
    'header = "content-type: application/json"' \
    "data = \"{\\\"token\\\": \\\"$(token "d$i@example.com")\\\"}\""
done
for id in $(ids r); do
  request "$WORK/resend.cfg" "url = \"$API/workgroups/$WG/invitations/$id/resend\"" 'request = "POST"' \
    "header = \"Authorization: Bearer $ADA\""
done
for id in $(ids c); do
  request "$WORK/cancel.cfg" "url = \"$API/workgroups/$WG/invitations/$id\"" 'request = "DELETE"' \
    "header = \"Authorization: Bearer $ADA\""
done

measure() { # name, config file
  local out bad n
  out=$(curl --config "$2")
  bad=$(awk '$1 !~ /^2/' <<<"$out" | wc -l)
  awk '{ printf "%.3f\n", $2 * 1000 }' <<<"$out" | sort -n >"$WORK/times"
  n=$(wc -l <"$WORK/times")
  # The nearest-rank percentiles: the ceil(p n)-th smallest.
  echo "| $1 | $n | $(sed -n "$(((n + 1) / 2))p" "$WORK/times")ms | $(sed -n "$(((99 * n + 99) / 100))p" "$WORK/times")ms | $bad |"
}
echo "| request (each on its own input) | requests | p50 | p99 | non-2xx |"
echo "| --- | --- | --- | --- | --- |"
measure "POST /workgroups" "$WORK/create.cfg"
measure "POST /invitations/accept (first registration)" "$WORK/accept.cfg"
measure "POST /invitations/decline" "$WORK/decline.cfg"
measure "POST /workgroups/{wg}/invitations/{id}/resend" "$WORK/resend.cfg"
measure "DELETE /workgroups/{wg}/invitations/{id}" "$WORK/cancel.cfg"
