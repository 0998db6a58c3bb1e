// Matrices of uniform values in [-1, 1) for the kernel tests.
#pragma once

#include <random>

#include "tensor/tensor.h"

inline strata::Mat random_matrix(Eigen::Index rows, Eigen::Index cols, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  strata::Mat m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = dist(rng);
  return m;
}
