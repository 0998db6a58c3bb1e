#!/usr/bin/env bash
# Installs what is missing, builds what the tests need and runs every test:
# the Catch2 tests compiled to wasm and run under node (with the fuzz corpus
# replayed at 32-bit sizes), node tests of the engine module and the command
# line, the page in headless Chromium, the Python checks, the whole native
# Catch2 suite under AddressSanitizer + UndefinedBehaviorSanitizer, and a short
# run of every fuzz target (FUZZ_SECONDS each, default 30).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh tests

failed=()
step() {
  local name=$1; shift
  echo "== $name"
  if "$@"; then echo "== $name: passed"; else echo "== $name: FAILED"; failed+=("$name"); fi
}

step "wasm tests (node)" ctest --preset wasm --parallel "$(nproc)"
# Two test files at a time: each keeps about one core busy, and a browser
# test spends much of its time waiting on the page.
step "node tests" node --test --test-concurrency=2 tests/node/
browser_tests() { scripts/build-site.sh && node --test --test-concurrency=2 tests/browser/; }
step "browser tests (Chromium)" browser_tests
for t in tests/parity/test_*.py tests/models/test_*.py; do
  [ -f "$t" ] && step "$t" /usr/bin/python3 "$t"
done
sanitized() {
  [ -f build/sanitize/CMakeCache.txt ] || cmake --preset sanitize >/dev/null
  cmake --build --preset sanitize -j "$(nproc)" && ctest --preset sanitize --parallel "$(nproc)"
}
step "native tests (ASan+UBSan)" sanitized
step "fuzz targets" scripts/fuzz.sh "${FUZZ_SECONDS:-30}"

if ((${#failed[@]})); then
  echo "failed: ${failed[*]}"
  exit 1
fi
echo "all test steps passed"
