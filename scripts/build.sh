#!/usr/bin/env bash
# Builds the native tree (command line, tests, benchmarks) and the wasm tree
# (the page's engine module, tests under node). Incremental: a second run only
# rebuilds what changed.
#
#   bash scripts/build.sh           everything, both trees
#   bash scripts/build.sh engine    only the page's engine modules (what serve.sh needs)
#   bash scripts/build.sh tests     what test.sh needs: the wasm tree, and of the native
#                                   tree the command line and the benchmarks (its Catch2
#                                   tests are built and run in the sanitizer tree instead)
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs  # emcc -O2 and above look for acorn here
jobs=${STRATA_JOBS:-$(nproc)}
mode=${1:-all}

native() {
  [ -f build/native/CMakeCache.txt ] || cmake --preset native >/dev/null
  cmake --build --preset native -j "$jobs" "$@"
}
wasm() {
  [ -f build/wasm/CMakeCache.txt ] || cmake --preset wasm >/dev/null
  cmake --build --preset wasm -j "$jobs" "$@"
}

case "$mode" in
  all) native && wasm ;;
  engine) wasm --target strata-engine strata-engine-threads strata-engine-core ;;
  tests) native --target strata bench-forward bench-matmul && wasm ;;
  *) echo "build: unknown mode \"$mode\" (all, engine or tests)" >&2; exit 2 ;;
esac
