#!/usr/bin/env bash
# Issue 16's measurements on the queue of due emails (bench/RESULTS.md section 10), one process
# per scenario: `bash bench/delivery.sh` from the repository root, after
# `cargo build --release -p bench --bin delivery`. The same scenarios on main's synchronous
# sends: `bash bench/before/run-on-main.sh`.
#
#   DELIVERY_RUNS=<n>   runs of each invite and reminder scenario (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${CARGO_TARGET_DIR:-target}/release/delivery
RUNS=${DELIVERY_RUNS:-3}
echo "# after: $(git rev-parse --short HEAD), $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores"
echo
echo "| commit | scenario | request or sweep time | answer | SES answers during it | afterwards |"
echo "| --- | --- | ---: | --- | --- | --- |"
for rate in 5 14; do
  for n in 1 50; do
    for run in $(seq "$RUNS"); do "$BIN" invite --rate $rate --addresses $n; done
  done
  for run in $(seq "$RUNS"); do "$BIN" reminders --rate $rate --due 50; done
done
echo
echo "| commit | reminders due | sweep time | swept | resident before | peak during | peak growth | seeding |"
echo "| --- | ---: | ---: | --- | ---: | ---: | ---: | --- |"
for n in 10000 100000; do "$BIN" sweep --due $n; done
"$BIN" sweep --due 100000 --same-second
"$BIN" sweep --due 10000 --resume
echo
echo "| commit | store | SES rate | senders | emails | drain time | achieved | after the first second | throttled answers | given back | lost | twice |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for rate in 5 14; do
  for senders in 1 2; do
    "$BIN" rate --store embedded --rate $rate --emails $((rate * 30)) --senders $senders
  done
  "$BIN" rate --store dynamodb --rate $rate --emails $((rate * 10)) --senders 2
done
echo
echo "| commit | step | emails | DynamoDB calls per email | SQS calls per email | SES calls per email |"
echo "| --- | --- | ---: | --- | --- | --- |"
"$BIN" calls --rate 14 --due 100
