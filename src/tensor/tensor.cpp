#include "tensor/tensor.h"

namespace strata {

std::string shape_to_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

Tensor tensor_of(const Mat& m) { return Tensor{{m.rows(), m.cols()}, std::vector<float>(m.data(), m.data() + m.size())}; }

Mat matrix_of(const Tensor& t, int64_t rows, int64_t cols) { return ConstMatMap(t.data.data(), rows, cols); }

}  // namespace strata
