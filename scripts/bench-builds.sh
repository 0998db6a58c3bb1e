# Sourced by the benchmark scripts: the build folders (STRATA_NATIVE_BUILD,
# default build/native; STRATA_WASM_BUILD, default build/wasm) and the builds
# of benchmark targets in them, each tree configured first when it is missing.
export NODE_PATH=/usr/share/nodejs  # emcc -O2 and above look for acorn here
jobs=${STRATA_JOBS:-$(nproc)}
native=${STRATA_NATIVE_BUILD:-build/native}
wasm=${STRATA_WASM_BUILD:-build/wasm}

build_native() {
  [ -f "$native/CMakeCache.txt" ] || cmake -S . -B "$native" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$native" --target "$@" -j "$jobs"
}

build_wasm() {
  [ -f "$wasm/CMakeCache.txt" ] || emcmake cmake -S . -B "$wasm" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$wasm" --target "$@" -j "$jobs"
}
