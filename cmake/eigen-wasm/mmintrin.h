// Stand-in for <mmintrin.h> in the wasm build. Eigen's SSE path includes it,
// but Emscripten's SSE-to-wasm-SIMD headers provide no MMX (64-bit __m64)
// layer and clang's own copy refuses non-x86 targets. Eigen uses nothing
// from it; the SSE headers it needs (xmmintrin.h ... nmmintrin.h) are
// Emscripten's.
#pragma once
