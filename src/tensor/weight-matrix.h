// A weight matrix kept in the precision its file stored it in.
//
// F32 weights are an Eigen matrix. F16 and BF16 weights stay 16 bits wide in
// memory and are widened to f32 only where they are used: inside the matrix
// products' panels (tensor/matmul) and when rows are read (an embedding, a
// row of the unembedding). Widening is exact, so a 16-bit checkpoint computes
// as its f32 upcast would (to float rounding: a product may sum in another
// order), in half the memory.
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/half.h"
#include "tensor/tensor.h"

namespace strata {

class WeightMatrix {
 public:
  WeightMatrix() = default;
  // F32. Implicit, so that a model can be built from Eigen matrices and expressions.
  WeightMatrix(Mat values);
  template <class Derived>
  WeightMatrix(const Eigen::MatrixBase<Derived>& values) : WeightMatrix(Mat(values)) {}
  // `bits` holds rows * cols values of `precision` (F16 or BF16), row-major.
  WeightMatrix(Precision precision, Eigen::Index rows, Eigen::Index cols, std::vector<uint16_t> bits);

  Precision precision() const { return precision_; }
  bool is_f32() const { return precision_ == Precision::F32; }
  // An F32 matrix's shape is its Eigen matrix's, which f32() may resize.
  Eigen::Index rows() const { return is_f32() ? f32_.rows() : rows_; }
  Eigen::Index cols() const { return is_f32() ? f32_.cols() : cols_; }
  Eigen::Index size() const { return rows() * cols(); }
  size_t bytes() const { return static_cast<size_t>(size()) * (is_f32() ? 4 : 2); }

  // The values of an F32 matrix, to compute with or to edit (a test's hand-built
  // model). Throws strata::Error for a 16-bit matrix.
  const Mat& f32() const;
  Mat& f32();
  // The values of a 16-bit matrix, row-major. Throws for an F32 matrix.
  const uint16_t* bits() const;

  // Rows [first, first + count) in f32, whatever the precision: copies, const
  // so that assigning to one (meaning to edit the matrix) does not compile.
  const Mat row_block(Eigen::Index first, Eigen::Index count) const;
  const RowVec row(Eigen::Index r) const { return row_block(r, 1); }
  const Mat widened() const { return row_block(0, rows()); }

  // Columns [first, first + count), and the transpose, in the same precision.
  WeightMatrix column_block(Eigen::Index first, Eigen::Index count) const;
  WeightMatrix transposed() const;

 private:
  Precision precision_ = Precision::F32;
  Eigen::Index rows_ = 0, cols_ = 0;  // F16 or BF16
  Mat f32_;                           // F32
  std::vector<uint16_t> bits_;        // F16 or BF16
};

}  // namespace strata
