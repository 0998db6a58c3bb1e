#!/usr/bin/env bash
# Builds bench-matmul in the native and the wasm tree and prints its figures:
# GFLOP/s of matmul() on a 256^3 f32 product, Eigen's own product, and the
# measured multiply-add peak of one core. The build folders default to the
# presets' (build/native, build/wasm); STRATA_NATIVE_BUILD and
# STRATA_WASM_BUILD choose others.
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs  # emcc -O2 and above look for acorn here
jobs=${STRATA_JOBS:-$(nproc)}
native=${STRATA_NATIVE_BUILD:-build/native}
wasm=${STRATA_WASM_BUILD:-build/wasm}

[ -f "$native/CMakeCache.txt" ] ||
  cmake -S . -B "$native" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$native" --target bench-matmul -j "$jobs"
[ -f "$wasm/CMakeCache.txt" ] ||
  emcmake cmake -S . -B "$wasm" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$wasm" --target bench-matmul -j "$jobs"

echo "== native"
"$native/tests/bench/bench-matmul"
echo "== wasm (node)"
node --no-experimental-fetch "$wasm/tests/bench/bench-matmul.js"
