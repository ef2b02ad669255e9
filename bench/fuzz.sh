#!/usr/bin/env bash
# The four cargo-fuzz targets, longer than CI's 10 s each: `bash bench/fuzz.sh` from the
# repository root (FUZZ_SECONDS per target, default 300). Prints a Markdown table; a crash stops
# it with libFuzzer's report and a non-zero exit.
set -euo pipefail
cd "$(dirname "$0")/.."
# cargo-fuzz as the tests install it (tests/src/robustness.rs), stable toolchain, no sanitizer.
FUZZ_SECONDS=${FUZZ_SECONDS:-300}
FUZZ_BIN=$PWD/.venv/cargo-fuzz/bin
[ -x "$FUZZ_BIN/cargo-fuzz" ] || env -u CARGO_TARGET_DIR cargo install cargo-fuzz --locked \
  --version "$(grep -o 'CARGO_FUZZ_VERSION: &str = "[0-9.]*' tests/src/robustness.rs | grep -o '[0-9.]*$')" \
  --root .venv/cargo-fuzz
{
  echo "| target | seconds | inputs run | corpus (inputs kept) | coverage (edges) | crashes |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: |"
  for target in address_parsing address_splitting token_decoding cursor_decoding; do
    log=$(cd fuzz && PATH="$FUZZ_BIN:$PATH" cargo fuzz run --sanitizer none "$target" -- \
      -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 2>&1) || { echo "$log" | tail -40 >&2; exit 1; }
    runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' <<<"$log" | grep -o '[0-9]*$')
    last=$(grep -E '^#[0-9]+' <<<"$log" | tail -1)
    corpus=$(grep -o 'corp: [0-9]*' <<<"$last" | grep -o '[0-9]*$')
    cov=$(grep -o 'cov: [0-9]*' <<<"$last" | grep -o '[0-9]*$')
    echo "| $target | $FUZZ_SECONDS | $runs | $corpus | $cov | 0 |"
  done
}
