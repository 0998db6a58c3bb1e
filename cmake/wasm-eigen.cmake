# Which Eigen the wasm build uses, and with which SIMD flags.
#
# Eigen 3.4 has no wasm SIMD backend. With -msse4.2 on top of -msimd128 it
# takes its SSE path, which Emscripten's SSE headers translate to wasm SIMD:
# measured faster than leaving clang to auto-vectorize Eigen's scalar code
# (about 20 against 15 GFLOP/s for a 256^3 f32 product, and the element-wise
# kernels vectorize too). Two things in Eigen 3.4 stand in the way, so the
# build uses a patched copy of /usr/include/eigen3 made here at configure
# time (the system copy is never touched):
#   - <mmintrin.h>: Eigen includes it; Emscripten has none and clang's own
#     refuses non-x86 targets. cmake/eigen-wasm/mmintrin.h stands in for it.
#   - inline x86 assembly: pmin/pmax in arch/SSE/PacketMath.h (taken for any
#     compiler reporting GCC < 6.3, which clang does) and the register hints
#     in products/GeneralBlockPanelKernel.h (GCC >= 6). Both are switched off
#     for __EMSCRIPTEN__; wasm has no "x" registers.
# The large matrix products do not rely on Eigen in this build: see
# src/tensor/matmul.cpp, which has a wasm SIMD micro-kernel of its own.

set(STRATA_WASM_SIMD_FLAGS -msimd128 -msse4.2)

set(_eigen_src "/usr/include/eigen3")
set(_eigen_dst "${CMAKE_BINARY_DIR}/eigen-wasm")
if(NOT EXISTS "${_eigen_src}/Eigen/Core")
  message(FATAL_ERROR "wasm-eigen.cmake: expected Eigen 3.4 headers in ${_eigen_src} (Debian libeigen3-dev), found none")
endif()

# Replaces every occurrence of `from` by `to` in `file` (relative to the copy)
# and fails the configure if the file does not contain `from` exactly
# `expected_count` times, so an Eigen update cannot silently skip a patch.
function(_strata_eigen_patch file from to expected_count)
  set(path "${_eigen_dst}/${file}")
  file(READ "${path}" text)
  string(LENGTH "${text}" len_before)
  string(REPLACE "${from}" "${to}" patched "${text}")
  string(LENGTH "${patched}" len_after)
  string(LENGTH "${from}" len_from)
  string(LENGTH "${to}" len_to)
  math(EXPR found "(${len_after} - ${len_before}) / (${len_to} - ${len_from})")
  if(NOT found EQUAL expected_count)
    message(FATAL_ERROR
      "wasm-eigen.cmake: patching ${_eigen_src}/${file}: expected ${expected_count} "
      "occurrence(s) of\n  ${from}\nfound ${found}. The Eigen version differs from 3.4.0; "
      "update the patch points in cmake/wasm-eigen.cmake.")
  endif()
  file(WRITE "${path}" "${patched}")
endfunction()

# The stamp names the inputs, so a change to the shim or to this file
# rebuilds the copy.
file(SHA256 "${CMAKE_CURRENT_LIST_FILE}" _self_hash)
file(SHA256 "${CMAKE_CURRENT_LIST_DIR}/eigen-wasm/mmintrin.h" _shim_hash)
set(_stamp_text "${_self_hash} ${_shim_hash}")
set(_stamp "${_eigen_dst}/.strata-patched")
set(_old_stamp "")
if(EXISTS "${_stamp}")
  file(READ "${_stamp}" _old_stamp)
endif()

if(NOT _old_stamp STREQUAL _stamp_text)
  message(STATUS "Making the patched Eigen copy for wasm in ${_eigen_dst}")
  file(REMOVE_RECURSE "${_eigen_dst}")
  file(MAKE_DIRECTORY "${_eigen_dst}")
  file(COPY "${_eigen_src}/Eigen" "${_eigen_src}/unsupported" DESTINATION "${_eigen_dst}")
  file(COPY "${CMAKE_CURRENT_LIST_DIR}/eigen-wasm/mmintrin.h" DESTINATION "${_eigen_dst}")

  _strata_eigen_patch(Eigen/src/Core/arch/SSE/PacketMath.h
    "#if EIGEN_COMP_GNUC && EIGEN_COMP_GNUC < 63"
    "#if EIGEN_COMP_GNUC && EIGEN_COMP_GNUC < 63 && !defined(__EMSCRIPTEN__)"
    4)
  _strata_eigen_patch(Eigen/src/Core/products/GeneralBlockPanelKernel.h
    "#if EIGEN_GNUC_AT_LEAST(6,0) && defined(EIGEN_VECTORIZE_SSE)"
    "#if EIGEN_GNUC_AT_LEAST(6,0) && defined(EIGEN_VECTORIZE_SSE) && !defined(__EMSCRIPTEN__)"
    2)
  file(WRITE "${_stamp}" "${_stamp_text}")
endif()

set(STRATA_WASM_EIGEN_DIR "${_eigen_dst}")
