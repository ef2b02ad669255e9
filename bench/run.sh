#!/usr/bin/env bash
# Every benchmark behind bench/RESULTS.md, in one run: `bash bench/run.sh` from the repository
# root (about an hour and a half here). Tables go to bench/out/ (git-ignored) and to the terminal.
#
#   BEFORE=<dir>  also cold-start the functions built in <dir> (another commit's release
#                 build), beside this build's, and time both builds' warm re-invites in turns.
#   RUNS=<n>      cold starts per target (default 20).
#   BEFORE_MAIN=<commit>  also measure issue 16's delivery scenarios on that commit's
#                 synchronous sends (bench/before/run-on-main.sh; e.g. 5a14216).
#
# Needs wrk and valgrind (`apt-get install wrk valgrind`); moto and the Python peer's packages
# are installed into .venv by the benchmarks themselves, as the tests do.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench/out
mkdir -p "$OUT"
TARGET=${CARGO_TARGET_DIR:-target}
BIN=$TARGET/release
RUNS=${RUNS:-20}

echo "# commit $(git rev-parse --short HEAD), $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores" | tee "$OUT/commit.txt"
cargo build --release -p workgroups -p invite -p list -p manage -p accept -p remind -p send -p feedback -p publish -p bench-hello -p bench -p local --bins   # bench includes delivery

echo "## Cold start, unthrottled and under Lambda's CPU share at 128, 256 and 1024 MB" >&2
"$BIN/coldstart" "$BIN" --runs "$RUNS" --callgrind ${BEFORE:+--before "$BEFORE"} \
  --memory 128,256,1024 --share-runs 10 | tee "$OUT/coldstart.md"
echo "## Warm latency on moto" >&2
"$BIN/warm" "$BIN" --runs 100 | tee "$OUT/warm-moto.md"
if [ -n "${BEFORE:-}" ]; then
  "$BIN/warm" "$BIN" --runs 100 --reinvite-against "$BEFORE" | tee "$OUT/warm-reinvite.md"
fi
echo "## Warm latency on the embedded store, one request at a time" >&2
THREADS=1 CONNECTIONS=1 bash bench/wrk/run.sh | tee "$OUT/warm-embedded.md"
bash bench/wrk/oneshot.sh | tee "$OUT/warm-embedded-oneshot.md"
echo "## Local server throughput" >&2
bash bench/wrk/run.sh | tee "$OUT/throughput.md"
echo "## Calls and capacity per operation" >&2
"$BIN/capacity" | tee "$OUT/capacity.md"
echo "## Scale" >&2
"$BIN/scale" --stores embedded | tee "$OUT/scale-embedded.md"
"$BIN/scale" --stores dynamodb | tee "$OUT/scale-dynamodb.md"
echo "## Pasted addresses: splitting time from 1 KiB to 1 MiB" >&2
"$BIN/paste" | tee "$OUT/paste.md"
"$BIN/paste" --kinds angles --sizes 300000 | tee -a "$OUT/paste.md"
echo "## Delivery at SES's pace (issue 16)" >&2
bash bench/delivery.sh | tee "$OUT/delivery.md"
if [ -n "${BEFORE_MAIN:-}" ]; then
  bash bench/before/run-on-main.sh "$BEFORE_MAIN"   # writes $OUT/delivery-before.md
fi
echo "## Sizes" >&2
bash bench/sizes.sh | tee "$OUT/sizes.md"
echo "## Cost model" >&2
python3 bench/cost_model.py | tee "$OUT/cost.md"
echo "## Fuzzing, longer than CI's 10 s per target" >&2
bash bench/fuzz.sh | tee "$OUT/fuzz.md"
