#!/usr/bin/env bash
# The "before" of issue 16 (bench/RESULTS.md section 10): builds bench/before/issue16_main.rs
# against main's API in a temporary worktree and runs its scenarios, one process each.
#
#   bash bench/before/run-on-main.sh [COMMIT]      (default 5a14216, main before issue 16)
#
# The worktree gets uncommitted additions: the stand-in SES endpoint of this branch
# (tests/src/ses_standin.rs) and its module line, this binary and its aws-config dependency,
# and a `before` profile (release's settings) that keeps its artifacts apart from the branch's
# in the shared CARGO_TARGET_DIR. The worktree is removed at the end. Rows go to the terminal
# and to bench/out/delivery-before.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
HERE=$PWD
COMMIT=${1:-5a14216}
TREE=${TREE:-/tmp/main-before}
RUNS=${DELIVERY_RUNS:-3}
OUT=$HERE/bench/out
mkdir -p "$OUT"
git worktree add --detach "$TREE" "$COMMIT" >&2
trap 'git -C "$HERE" worktree remove --force "$TREE"' EXIT
cp tests/src/ses_standin.rs "$TREE/tests/src/ses_standin.rs"
echo 'pub mod ses_standin;' >> "$TREE/tests/src/lib.rs"
cp bench/before/issue16_main.rs "$TREE/bench/src/bin/issue16.rs"
sed -i 's/^\[dependencies\]$/[dependencies]\naws-config.workspace = true/' "$TREE/bench/Cargo.toml"
printf '\n[[bin]]\nname = "issue16"\npath = "src/bin/issue16.rs"\ntest = false\n' >> "$TREE/bench/Cargo.toml"
# A profile of its own: cargo names a workspace crate's artifacts by its path in the workspace,
# so main's `shared` built in `release` would take the place of this branch's there.
printf '\n[profile.before]\ninherits = "release"\n' >> "$TREE/Cargo.toml"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$TREE/target}
(cd "$TREE" && cargo build --profile before -p bench --bin issue16 >&2)
BIN=$CARGO_TARGET_DIR/before/issue16
{
  echo "# before: $(git -C "$TREE" rev-parse --short HEAD) (main), $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores"
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
} | tee "$OUT/delivery-before.md"
