#!/usr/bin/env bash
# Stripped binary and zip per function, as deployed (arm64, cargo-lambda, the release profile)
# and as built here (x86_64, the release profile): `bash bench/sizes.sh` from the repository
# root. The zip is what SAM and the CDK upload: `bootstrap` alone, deflated at level 9.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=${CARGO_TARGET_DIR:-target}
FUNCTIONS="workgroups invite list manage accept remind send feedback publish"
# cargo-lambda and zig come from the test run's virtualenv (.venv/infra), as in .ci/run; on a
# machine where the tests have not run yet, from one of their own (the same pinned version).
TOOLS=$PWD/.venv/infra/bin
if [ ! -x "$TOOLS/cargo-lambda" ]; then
  TOOLS=$PWD/.venv/cargo-lambda/bin
  [ -x "$TOOLS/cargo-lambda" ] || { python3 -m venv .venv/cargo-lambda \
    && "$TOOLS/pip" install --quiet --disable-pip-version-check "$(grep -o 'cargo-lambda==[0-9.]*' tests/src/infra.rs)" >&2; }
fi
rustup target add aarch64-unknown-linux-gnu >/dev/null 2>&1
PATH="$TOOLS:$PATH" cargo lambda build --release --arm64 -p workgroups -p invite -p list -p manage -p accept -p remind -p send -p feedback -p publish --locked >&2
cargo build --release -p workgroups -p invite -p list -p manage -p accept -p remind -p send -p feedback -p publish -p bench-hello --bins --locked >&2
zipped() { # the size of a zip holding $1 as `bootstrap`
  python3 - "$1" <<'PY'
import io, sys, zipfile
buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    z.write(sys.argv[1], "bootstrap")
print(len(buffer.getvalue()))
PY
}
echo "| function | arm64 bootstrap (stripped) | arm64 zip | x86_64 binary (stripped) | x86_64 zip |"
echo "| --- | --- | --- | --- | --- |"
for function in $FUNCTIONS hello; do
  x86=$TARGET/release/$function
  if [ "$function" = hello ]; then
    arm="—"; armzip="—"
  else
    arm=$(stat -c %s "$TARGET/lambda/$function/bootstrap"); armzip=$(zipped "$TARGET/lambda/$function/bootstrap")
  fi
  echo "| $function | $arm | $armzip | $(stat -c %s "$x86") | $(zipped "$x86") |"
done
