# Emscripten settings for the wasm build.
#
# emcc does not search /usr/include, and adding it would let the host's libc
# headers shadow Emscripten's. So the header-only dependencies are reached
# through a small folder of symlinks in the build tree, and Eigen through its
# own folder. find_package finds nothing under emcmake.

set(STRATA_WASM_INCLUDE "${CMAKE_BINARY_DIR}/wasm-include")
file(MAKE_DIRECTORY "${STRATA_WASM_INCLUDE}")
foreach(dep nlohmann catch2 boost)
  if(NOT EXISTS "${STRATA_WASM_INCLUDE}/${dep}")
    file(CREATE_LINK "/usr/include/${dep}" "${STRATA_WASM_INCLUDE}/${dep}" SYMBOLIC)
  endif()
endforeach()

include(cmake/wasm-eigen.cmake)  # sets STRATA_WASM_EIGEN_DIR and STRATA_WASM_SIMD_FLAGS

add_library(strata_deps INTERFACE)
target_include_directories(strata_deps SYSTEM INTERFACE "${STRATA_WASM_EIGEN_DIR}" "${STRATA_WASM_INCLUDE}")
target_compile_options(strata_deps INTERFACE ${STRATA_WASM_SIMD_FLAGS} -fexceptions)
target_link_options(strata_deps INTERFACE -fexceptions -sALLOW_MEMORY_GROWTH=1 -sMAXIMUM_MEMORY=4GB)

add_library(strata_catch2 INTERFACE)
target_include_directories(strata_catch2 SYSTEM INTERFACE "${STRATA_WASM_INCLUDE}")
target_compile_options(strata_catch2 INTERFACE -fexceptions)  # Catch2's CHECK_THROWS must catch

# The repository's package.json says "type": "module"; the node programs built
# here (tests, CLI) are CommonJS, the page's engine module is an ES module.
file(WRITE "${CMAKE_BINARY_DIR}/package.json" "{\"type\": \"commonjs\"}\n")
file(WRITE "${CMAKE_BINARY_DIR}/bindings/package.json" "{\"type\": \"module\"}\n")

# Tests and the CLI run under node with the real file system.
#   strata_node_executable(target [OPTIMIZED])
# The code is optimised when compiled (-O3) either way. Linking at -O3 also runs
# binaryen's whole-module passes, which take 30-80 s per program on these
# machines (487 of the wasm build's 1756 CPU-seconds) and made no measurable difference to a
# test's run time, so only OPTIMIZED programs (the benchmarks) get them; the
# page's module (bindings/) is linked at -O3 too.
set(CMAKE_CROSSCOMPILING_EMULATOR "node;--no-experimental-fetch" CACHE STRING "" FORCE)
function(strata_node_executable target)
  target_link_options(${target} PRIVATE -sNODERAWFS=1 -sENVIRONMENT=node -sEXIT_RUNTIME=1 -sTOTAL_STACK=1048576)
  if(NOT "OPTIMIZED" IN_LIST ARGN)
    target_link_options(${target} PRIVATE -O1)  # after the build type's -O3, so it wins
  endif()
endfunction()
