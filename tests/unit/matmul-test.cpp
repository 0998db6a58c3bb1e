// matmul() and matmul_transposed() against a naive triple loop in double, over
// shapes that exercise every edge of the kernels (partial tiles and panels,
// more than one inner block, more than one column block), plus resizing,
// aliasing and shape errors.
#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <sstream>
#include <string>

#include "base/error.h"
#include "random-matrix.h"
#include "tensor/matmul.h"

using strata::Mat;

namespace {

// Largest |C - A*B| relative to the worst-case rounding bound of a float sum
// of k products in any order, gamma_k * sum |a||b| with gamma_k = k*u/(1-k*u)
// and u = 2^-24 (Higham, Accuracy and Stability, 3.1). Below 1 means within
// bound. `b_transposed` reads B as (n, k).
struct Check {
  double worst_ratio = 0;
  double max_diff = 0;
};

Check compare(const Mat& A, const Mat& B, bool b_transposed, const Mat& C) {
  const Eigen::Index m = A.rows(), k = A.cols();
  const Eigen::Index n = b_transposed ? B.rows() : B.cols();
  const double u = std::ldexp(1.0, -24);
  const double gamma = k * u / (1 - k * u);
  Check check;
  for (Eigen::Index i = 0; i < m; ++i) {
    for (Eigen::Index j = 0; j < n; ++j) {
      double exact = 0, magnitude = 0;
      for (Eigen::Index p = 0; p < k; ++p) {
        const double b = b_transposed ? B(j, p) : B(p, j);
        exact += double(A(i, p)) * b;
        magnitude += std::fabs(double(A(i, p)) * b);
      }
      const double diff = std::fabs(C(i, j) - exact);
      const double bound = gamma * magnitude + 1e-30;
      check.max_diff = std::max(check.max_diff, diff);
      check.worst_ratio = std::max(check.worst_ratio, diff / bound);
    }
  }
  return check;
}

std::string shape_name(Eigen::Index m, Eigen::Index k, Eigen::Index n) {
  std::ostringstream s;
  s << m << "x" << k << "x" << n;
  return s.str();
}

}  // namespace

TEST_CASE("matmul and matmul_transposed agree with a naive product", "[matmul]") {
  struct Shape {
    Eigen::Index m, k, n;
  };
  // 9x300x530: a partial row tile, two inner blocks (256 + 44) and two column
  // blocks (512 + 18) of the wasm kernel; 64x16x24: full tiles only.
  const Shape shapes[] = {{1, 1, 1},   {7, 13, 5},    {33, 65, 17}, {256, 256, 256},
                          {8, 1, 9},   {9, 300, 530}, {64, 16, 24}, {3, 7, 1}};
  std::mt19937 rng(1234);
  for (const Shape& s : shapes) {
    const Mat A = random_matrix(s.m, s.k, rng);
    const Mat B = random_matrix(s.k, s.n, rng);
    const Mat Bt = B.transpose();
    Mat C = random_matrix(40, 3, rng);  // stale contents of another size
    INFO("m x k x n = " << shape_name(s.m, s.k, s.n));

    strata::matmul(A, B, C);
    REQUIRE(C.rows() == s.m);
    REQUIRE(C.cols() == s.n);
    Check check = compare(A, B, false, C);
    INFO("matmul: max diff " << check.max_diff << ", worst diff / bound " << check.worst_ratio);
    CHECK(check.worst_ratio <= 1.0);

    strata::matmul_transposed(A, Bt, C);
    REQUIRE(C.rows() == s.m);
    REQUIRE(C.cols() == s.n);
    check = compare(A, Bt, true, C);
    INFO("matmul_transposed: max diff " << check.max_diff << ", worst diff / bound " << check.worst_ratio);
    CHECK(check.worst_ratio <= 1.0);
  }
}

TEST_CASE("matmul is exact on small integers", "[matmul]") {
  // Every partial sum is an integer below 2^24, so any order of summation is exact.
  for (Eigen::Index m : {3, 12}) {
    Mat A(m, 300), B(300, 21);
    for (Eigen::Index i = 0; i < A.size(); ++i) A.data()[i] = float(i % 7) - 3;
    for (Eigen::Index i = 0; i < B.size(); ++i) B.data()[i] = float(i % 5) - 2;
    Mat C, Ct;
    strata::matmul(A, B, C);
    strata::matmul_transposed(A, Mat(B.transpose()), Ct);
    const Mat exact = (A.cast<double>() * B.cast<double>()).cast<float>();
    INFO("m = " << m);
    CHECK((C - exact).cwiseAbs().maxCoeff() == 0.f);
    CHECK((Ct - exact).cwiseAbs().maxCoeff() == 0.f);
  }
}

TEST_CASE("matmul with an empty inner dimension gives zeros", "[matmul]") {
  for (Eigen::Index m : {3, 10}) {
    const Mat A(m, 0), B(0, 4), Bt(4, 0);
    Mat C = Mat::Constant(2, 2, 7.f);
    strata::matmul(A, B, C);
    REQUIRE(C.rows() == m);
    REQUIRE(C.cols() == 4);
    CHECK(C.cwiseAbs().maxCoeff() == 0.f);
    C = Mat::Constant(5, 5, 7.f);
    strata::matmul_transposed(A, Bt, C);
    REQUIRE(C.rows() == m);
    REQUIRE(C.cols() == 4);
    CHECK(C.cwiseAbs().maxCoeff() == 0.f);
  }
}

TEST_CASE("matmul may write over one of its operands", "[matmul]") {
  std::mt19937 rng(99);
  for (Eigen::Index m : {5, 20}) {
    const Mat A0 = random_matrix(m, 30, rng);
    const Mat B0 = random_matrix(30, 11, rng);
    INFO("m = " << m);

    Mat A = A0;
    strata::matmul(A, B0, A);  // C is A: (m, 30) becomes (m, 11)
    REQUIRE(A.rows() == m);
    REQUIRE(A.cols() == 11);
    CHECK(compare(A0, B0, false, A).worst_ratio <= 1.0);

    Mat B = B0;
    strata::matmul(A0, B, B);  // C is B
    REQUIRE(B.rows() == m);
    REQUIRE(B.cols() == 11);
    CHECK(compare(A0, B0, false, B).worst_ratio <= 1.0);

    const Mat Bt0 = B0.transpose();
    Mat Bt = Bt0;
    strata::matmul_transposed(A0, Bt, Bt);
    REQUIRE(Bt.rows() == m);
    REQUIRE(Bt.cols() == 11);
    CHECK(compare(A0, Bt0, true, Bt).worst_ratio <= 1.0);
  }
}

TEST_CASE("matmul rejects mismatched inner dimensions", "[matmul]") {
  const Mat A(2, 3), B(4, 5);
  Mat C;
  CHECK_THROWS_AS(strata::matmul(A, B, C), strata::Error);
  std::string message;
  try {
    strata::matmul(A, B, C);
  } catch (const strata::Error& e) {
    message = e.what();
  }
  CHECK(message.find("A is (2, 3), B is (4, 5)") != std::string::npos);
  CHECK_THROWS_AS(strata::matmul_transposed(A, B, C), strata::Error);
}
