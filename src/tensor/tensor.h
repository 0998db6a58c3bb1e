// Tensor types shared by the whole core.
//
// Inside the forward pass activations are Eigen row-major matrices, one row a
// token position. Anything that leaves the forward pass (the activation cache,
// CLI output, the bindings) is a Tensor: a logical shape over a contiguous
// row-major float buffer. A [pos, n_heads, d_head] activation is held as a
// [pos, n_heads * d_head] matrix with exactly the same memory layout.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <vector>

namespace strata {

using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowVec = Eigen::Matrix<float, 1, Eigen::Dynamic, Eigen::RowMajor>;
using MatMap = Eigen::Map<Mat>;
using ConstMatMap = Eigen::Map<const Mat>;

struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> data;  // row-major, data.size() == numel()

  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
  bool empty() const { return data.empty(); }
};

std::string shape_to_string(const std::vector<int64_t>& shape);

// A matrix's values as a [rows, cols] Tensor, and back (copies both ways).
Tensor tensor_of(const Mat& m);
Mat matrix_of(const Tensor& t, int64_t rows, int64_t cols);

}  // namespace strata
