// The matrix products of the forward pass. Every large product goes through
// these two functions so that the kernel behind them can be chosen per build
// (see matmul.cpp and cmake/wasm-eigen.cmake) and benchmarked in one place.
#pragma once

#include "tensor/tensor.h"

namespace strata {

// C = A * B        A: (m, k), B: (k, n); C is resized to (m, n).
void matmul(const Mat& A, const Mat& B, Mat& C);
// C = A * B^T      A: (m, k), B: (n, k); C is resized to (m, n).
void matmul_transposed(const Mat& A, const Mat& B, Mat& C);

}  // namespace strata
