#!/usr/bin/env bash
# Builds bench-matmul in the native and the wasm tree and prints its figures:
# GFLOP/s of matmul() on a 256^3 f32 product, Eigen's own product, and the
# measured multiply-add peak of one core. The build folders default to the
# presets' (build/native, build/wasm); STRATA_NATIVE_BUILD and
# STRATA_WASM_BUILD choose others.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-builds.sh

build_native bench-matmul
build_wasm bench-matmul

echo "== native"
"$native/tests/bench/bench-matmul"
echo "== wasm (node)"
node --no-experimental-fetch "$wasm/tests/bench/bench-matmul.js"
