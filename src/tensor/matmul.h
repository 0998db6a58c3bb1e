// The matrix products of the forward pass. Every large product goes through
// these functions so that the kernel behind them can be chosen per build
// (see matmul.cpp and cmake/wasm-eigen.cmake) and benchmarked in one place.
#pragma once

#include <vector>

#include "tensor/tensor.h"
#include "tensor/weight-matrix.h"

namespace strata {

// C = A * B        A: (m, k), B: (k, n); C is resized to (m, n).
void matmul(const Mat& A, const Mat& B, Mat& C);
// C = A * B^T      A: (m, k), B: (n, k); C is resized to (m, n).
void matmul_transposed(const Mat& A, const Mat& B, Mat& C);

// The same with B a weight matrix. An F16 or BF16 matrix is widened to f32 a
// panel at a time inside the product, never as a whole.
void matmul(const Mat& A, const WeightMatrix& B, Mat& C);
void matmul_transposed(const Mat& A, const WeightMatrix& B, Mat& C);

// C = A * op(B) on row-major storage addressed by pointer and row stride, for
// products of sub-matrices (one head's columns, the first rows): A is (m, k)
// with row stride lda; op(B) is (k, n), stored as B (k, n) or, when
// b_transposed, as B (n, k), with row stride ldb; C (m, n) has row stride ldc
// and is overwritten. C must not overlap A or B.
void matmul_strided(long m, long n, long k, const float* A, long lda, const float* B, long ldb, bool b_transposed,
                    float* C, long ldc);

// op(B) of matmul_strided() made ready once for several products that read
// its leading rows and columns (attention reads one head's keys and values
// for every block of queries): the wasm kernel packs its panels here instead
// of once per product. Each product runs whole on the calling thread and
// equals matmul_strided()'s on one thread bit for bit.
class PackedB {
 public:
  // op(B) is (k, n), stored as for matmul_strided(). B is also read by the
  // products (small ones go to Eigen), so it must outlive them.
  void pack(long k, long n, const float* B, long ldb, bool b_transposed);
  // C (m, n) = A (m, k) * op(B)[0:k, 0:n], for k and n at most the packed ones.
  void multiply(long m, long n, long k, const float* A, long lda, float* C, long ldc) const;

 private:
  const float* b_ = nullptr;
  long ldb_ = 0, k_ = 0;
  bool transposed_ = false;
  std::vector<float> panels_;  // the wasm kernel's panels of all k rows, one after another
};

}  // namespace strata
