#include "tensor/weight-matrix.h"

#include <algorithm>
#include <string>
#include <utility>

#include "base/error.h"

namespace strata {

WeightMatrix::WeightMatrix(Mat values) : f32_(std::move(values)) {}

WeightMatrix::WeightMatrix(Precision precision, Eigen::Index rows, Eigen::Index cols, std::vector<uint16_t> bits)
    : precision_(precision), rows_(rows), cols_(cols), bits_(std::move(bits)) {
  if (precision == Precision::F32) throw Error("WeightMatrix: 16-bit values given with precision F32");
  if (static_cast<Eigen::Index>(bits_.size()) != rows * cols)
    fail_expected("WeightMatrix: values", std::to_string(rows * cols), std::to_string(bits_.size()));
}

const Mat& WeightMatrix::f32() const {
  if (!is_f32()) throw Error("WeightMatrix: a 16-bit matrix has no f32 values; widen it");
  return f32_;
}

Mat& WeightMatrix::f32() {
  if (!is_f32()) throw Error("WeightMatrix: a 16-bit matrix has no f32 values; widen it");
  return f32_;
}

const uint16_t* WeightMatrix::bits() const {
  if (is_f32()) throw Error("WeightMatrix: an F32 matrix has no 16-bit values");
  return bits_.data();
}

const Mat WeightMatrix::row_block(Eigen::Index first, Eigen::Index count) const {
  if (is_f32()) return f32_.middleRows(first, count);
  Mat out(count, cols_);
  widen(precision_, bits_.data() + first * cols_, static_cast<long>(count * cols_), out.data());
  return out;
}

WeightMatrix WeightMatrix::column_block(Eigen::Index first, Eigen::Index count) const {
  if (is_f32()) return Mat(f32_.middleCols(first, count));
  std::vector<uint16_t> out(static_cast<size_t>(rows_ * count));
  for (Eigen::Index r = 0; r < rows_; ++r)
    std::copy_n(bits_.begin() + r * cols_ + first, count, out.begin() + r * count);
  return WeightMatrix(precision_, rows_, count, std::move(out));
}

WeightMatrix WeightMatrix::transposed() const {
  if (is_f32()) return Mat(f32_.transpose());
  std::vector<uint16_t> out(bits_.size());
  for (Eigen::Index r = 0; r < rows_; ++r)
    for (Eigen::Index c = 0; c < cols_; ++c) out[c * rows_ + r] = bits_[r * cols_ + c];
  return WeightMatrix(precision_, cols_, rows_, std::move(out));
}

}  // namespace strata
