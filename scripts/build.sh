#!/usr/bin/env bash
# Builds the native tree (command line, tests) and the wasm tree (the page's
# engine module, tests under node). Incremental: a second run only rebuilds
# what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs  # emcc -O2 and above look for acorn here
jobs=${STRATA_JOBS:-$(nproc)}

[ -f build/native/CMakeCache.txt ] || cmake --preset native >/dev/null
cmake --build --preset native -j "$jobs"
[ -f build/wasm/CMakeCache.txt ] || cmake --preset wasm >/dev/null
cmake --build --preset wasm -j "$jobs"
