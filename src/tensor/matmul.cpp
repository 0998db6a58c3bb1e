// The kernels behind matmul() and matmul_transposed().
//
// Native builds use Eigen's product. The wasm build has a micro-kernel of its
// own written with wasm SIMD intrinsics: Eigen 3.4 has no wasm backend, and
// through its SSE path (translated to wasm SIMD by Emscripten) it reaches
// about 20 GFLOP/s on a 256^3 f32 product in node, against about 30 for the
// kernel below (scripts/bench-matmul.sh measures both). Even there, products
// with fewer than kMinKernelRows rows are left to Eigen: for them packing B
// costs as much as the kernel saves, and Eigen's matrix-vector path wins.
// A B kept in 16 bits (F16, BF16) goes through the kernel at any height: its
// panels are widened as they are packed, so B is never widened whole.
#include "tensor/matmul.h"

#include <algorithm>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/parallel.h"

#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

namespace strata {
namespace {

void check_inner(const char* what, const Mat& A, Eigen::Index b_rows, Eigen::Index b_cols,
                 Eigen::Index b_inner) {
  if (A.cols() != b_inner) {
    fail_expected(std::string(what) + ": A is (" + std::to_string(A.rows()) + ", " +
                      std::to_string(A.cols()) + "), B is (" + std::to_string(b_rows) + ", " +
                      std::to_string(b_cols) + ")",
                  "B's inner dimension " + std::to_string(A.cols()), std::to_string(b_inner));
  }
}

#ifdef __wasm_simd128__
// --- wasm SIMD kernel ---------------------------------------------------
// C (m, n) = A (m, k) * op(B), op(B)(p, j) = B(p, j) or B(j, p). Blocked as in
// GotoBLAS: for each block of kNc columns and kKc inner indices, op(B) is
// packed into panels of kNr columns (zero-padded), each kKc x kNr and
// contiguous; a kMr x kNr tile of C is then accumulated in 8 registers from
// one A value splatted per row and two vectors of the panel per step. Eight
// accumulators plus two B vectors and one A splat fit x86-64's 16 vector
// registers, which is what V8 maps wasm SIMD values to. Measured in node:
// 4x8 ~30, 6x8 ~24, 4x12 ~26, 2x16 ~30 GFLOP/s; unrolling the k loop slowed it.

constexpr int kMr = 4;
constexpr int kNr = 8;
constexpr long kKc = 256;  // a panel is kKc * kNr floats = 8 KB, well inside L1
constexpr long kNc = 512;  // a packed block is kKc * kNc floats = 512 KB, inside L2

struct Operand {
  const float* data;
  long ld;          // row stride of the stored matrix
  bool transposed;  // op(B)(p, j) = data[j * ld + p] instead of data[p * ld + j]
  bool pack = false;  // pack even when it could be read in place (the columns left over)
  // A 16-bit B (F16 or BF16): its values, used instead of `data`, are widened as they are packed.
  const uint16_t* bits = nullptr;
  Precision precision = Precision::F32;
};

// Packs op(B)(k0 .. k0+kc, j0 .. j0+nc) into panels of kNr columns; value(i)
// is B's i-th stored value as f32.
template <class Value>
void pack_panels_of(const Operand& B, long k0, long kc, long j0, long nc, float* out, Value value) {
  for (long jp = 0; jp < nc; jp += kNr) {
    const long width = std::min<long>(kNr, nc - jp);
    float* panel = out + (jp / kNr) * kc * kNr;
    for (long p = 0; p < kc; ++p) {
      float* row = panel + p * kNr;
      for (long j = 0; j < width; ++j) {
        const long col = j0 + jp + j, inner = k0 + p;
        row[j] = value(B.transposed ? col * B.ld + inner : inner * B.ld + col);
      }
      std::fill(row + width, row + kNr, 0.f);
    }
  }
}

// The same for an untransposed B, whose panel rows are kNr consecutive values
// of a row of B: whole(i, row) writes the panel row that starts at B's i-th
// stored value; a narrower last panel is widened value by value.
template <class Whole, class Value>
void pack_rows_of(const Operand& B, long k0, long kc, long j0, long nc, float* out, Whole whole, Value value) {
  for (long jp = 0; jp < nc; jp += kNr) {
    const long width = std::min<long>(kNr, nc - jp);
    float* panel = out + (jp / kNr) * kc * kNr;
    for (long p = 0; p < kc; ++p) {
      const long at = (k0 + p) * B.ld + j0 + jp;
      float* row = panel + p * kNr;
      if (width == kNr) {
        whole(at, row);
      } else {
        for (long j = 0; j < width; ++j) row[j] = value(at + j);
        std::fill(row + width, row + kNr, 0.f);
      }
    }
  }
}

// An F32 panel row is two vectors of B's row.
void pack_f32_rows(const Operand& B, long k0, long kc, long j0, long nc, float* out) {
  pack_rows_of(B, k0, kc, j0, nc, out, [&](long at, float* row) {
    wasm_v128_store(row, wasm_v128_load(B.data + at));
    wasm_v128_store(row + 4, wasm_v128_load(B.data + at + 4));
  }, [&](long i) { return B.data[i]; });
}

// A BF16 value is the top half of an f32, so eight are widened at once by a
// zero-extension and a shift.
void pack_bf16_rows(const Operand& B, long k0, long kc, long j0, long nc, float* out) {
  pack_rows_of(B, k0, kc, j0, nc, out, [&](long at, float* row) {
    const v128_t h = wasm_v128_load(B.bits + at);
    wasm_v128_store(row, wasm_i32x4_shl(wasm_u32x4_extend_low_u16x8(h), 16));
    wasm_v128_store(row + 4, wasm_i32x4_shl(wasm_u32x4_extend_high_u16x8(h), 16));
  }, [&](long i) { return bf16_to_f32(B.bits[i]); });
}

// The same for a transposed F32 B, whose panel rows are columns of kNr rows
// of B: 4 x 4 blocks of B transposed in registers, four panel rows at a time.
void pack_f32_columns(const Operand& B, long k0, long kc, long j0, long nc, float* out) {
  const auto f32 = [&](long i) { return B.data[i]; };
  for (long jp = 0; jp < nc; jp += kNr) {
    float* panel = out + (jp / kNr) * kc * kNr;
    if (nc - jp < kNr) {
      pack_panels_of(B, k0, kc, j0 + jp, nc - jp, panel, f32);
      continue;
    }
    const long whole = kc - kc % 4;
    for (long p = 0; p < whole; p += 4)
      for (long half = 0; half < kNr; half += 4) {
        const float* in = B.data + (j0 + jp + half) * B.ld + k0 + p;
        const v128_t r0 = wasm_v128_load(in), r1 = wasm_v128_load(in + B.ld);
        const v128_t r2 = wasm_v128_load(in + 2 * B.ld), r3 = wasm_v128_load(in + 3 * B.ld);
        const v128_t low01 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), low23 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5);
        const v128_t high01 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7), high23 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
        float* row = panel + p * kNr + half;
        wasm_v128_store(row, wasm_i32x4_shuffle(low01, low23, 0, 1, 4, 5));
        wasm_v128_store(row + kNr, wasm_i32x4_shuffle(low01, low23, 2, 3, 6, 7));
        wasm_v128_store(row + 2 * kNr, wasm_i32x4_shuffle(high01, high23, 0, 1, 4, 5));
        wasm_v128_store(row + 3 * kNr, wasm_i32x4_shuffle(high01, high23, 2, 3, 6, 7));
      }
    if (whole < kc) pack_panels_of(B, k0 + whole, kc - whole, j0 + jp, kNr, panel + whole * kNr, f32);
  }
}

void pack_panels(const Operand& B, long k0, long kc, long j0, long nc, float* out) {
  switch (B.precision) {
    case Precision::F32:
      if (B.transposed) pack_f32_columns(B, k0, kc, j0, nc, out);
      else pack_f32_rows(B, k0, kc, j0, nc, out);
      break;
    case Precision::BF16:
      if (B.transposed) pack_panels_of(B, k0, kc, j0, nc, out, [&](long i) { return bf16_to_f32(B.bits[i]); });
      else pack_bf16_rows(B, k0, kc, j0, nc, out);
      break;
    case Precision::F16: pack_panels_of(B, k0, kc, j0, nc, out, [&](long i) { return f16_to_f32(B.bits[i]); }); break;
  }
}

// C[0..MR, 0..width) (+)= A[0..MR, 0..kc) * panel; `accumulate` adds to C
// instead of overwriting it (every inner block after the first).
// The panel's rows are `panel_ld` floats apart: kNr in a packed block, B's
// row stride when the panel is read from B in place.
template <int MR>
void tile(const float* A, long lda, const float* panel, long panel_ld, long kc, float* C, long ldc, long width,
          bool accumulate) {
  v128_t c0[MR], c1[MR];
  for (int r = 0; r < MR; ++r) c0[r] = c1[r] = wasm_f32x4_splat(0.f);
  for (long p = 0; p < kc; ++p) {
    const v128_t b0 = wasm_v128_load(panel + p * panel_ld);
    const v128_t b1 = wasm_v128_load(panel + p * panel_ld + 4);
    for (int r = 0; r < MR; ++r) {
      const v128_t a = wasm_v128_load32_splat(A + r * lda + p);
      c0[r] = wasm_f32x4_add(c0[r], wasm_f32x4_mul(a, b0));
      c1[r] = wasm_f32x4_add(c1[r], wasm_f32x4_mul(a, b1));
    }
  }
  alignas(16) float t[kNr];
  for (int r = 0; r < MR; ++r) {
    float* c = C + r * ldc;
    if (width == kNr) {
      if (accumulate) {
        c0[r] = wasm_f32x4_add(c0[r], wasm_v128_load(c));
        c1[r] = wasm_f32x4_add(c1[r], wasm_v128_load(c + 4));
      }
      wasm_v128_store(c, c0[r]);
      wasm_v128_store(c + 4, c1[r]);
    } else {
      wasm_v128_store(t, c0[r]);
      wasm_v128_store(t + 4, c1[r]);
      for (long j = 0; j < width; ++j) c[j] = accumulate ? c[j] + t[j] : t[j];
    }
  }
}

// The panels of one inner block: panel j (columns j*kNr ..) starts at
// base + j * step and its rows are `ld` floats apart.
struct Panels {
  const float* base;
  long step, ld;
};

template <int MR>
void tile_row(const float* A, long lda, const Panels& panels, long kc, float* C, long ldc, long nc,
              bool accumulate) {
  for (long jp = 0; jp < nc; jp += kNr)
    tile<MR>(A, lda, panels.base + (jp / kNr) * panels.step, panels.ld, kc, C + jp, ldc, std::min<long>(kNr, nc - jp),
             accumulate);
}

// All rows of C for one inner block: full tiles of kMr rows, then the rest.
void block(long m, const float* A, long lda, const Panels& panels, long kc, float* C, long ldc,
           long nc, bool accumulate) {
  long i = 0;
  for (; i + kMr <= m; i += kMr) tile_row<kMr>(A + i * lda, lda, panels, kc, C + i * ldc, ldc, nc, accumulate);
  const float* a = A + i * lda;
  float* c = C + i * ldc;
  switch (m - i) {
    case 1: tile_row<1>(a, lda, panels, kc, c, ldc, nc, accumulate); break;
    case 2: tile_row<2>(a, lda, panels, kc, c, ldc, nc, accumulate); break;
    case 3: tile_row<3>(a, lda, panels, kc, c, ldc, nc, accumulate); break;
    default: break;
  }
}

// Products with at most this many rows read an untransposed B in place
// instead of packing it: each panel would serve at most kMaxUnpackedRows / kMr
// row tiles, too few to repay the copy (the forward pass of a 16-token prompt
// packed every weight matrix once per product).
constexpr long kMaxUnpackedRows = 32;

// C (m, n) = A (m, k) * op(B), all row-major with row strides lda and ldc.
// C must not overlap A or B.
void simd_product(long m, long n, long k, const float* A, long lda, const Operand& B, float* C, long ldc) {
  if (k == 0) {
    for (long i = 0; i < m; ++i) std::fill(C + i * ldc, C + i * ldc + n, 0.f);
    return;
  }
  if (!B.transposed && !B.pack && !B.bits && m <= kMaxUnpackedRows && n >= kNr) {
    const long n_full = n - n % kNr;  // whole panels read in place; the rest packed below
    for (long j0 = 0; j0 < n_full; j0 += kNc) {
      const long nc = std::min(kNc, n_full - j0);
      for (long k0 = 0; k0 < k; k0 += kKc) {
        const long kc = std::min(kKc, k - k0);
        block(m, A + k0, lda, Panels{B.data + k0 * B.ld + j0, kNr, B.ld}, kc, C + j0, ldc, nc, k0 > 0);
      }
    }
    if (n_full < n) simd_product(m, n - n_full, k, A, lda, Operand{B.data + n_full, B.ld, false, true}, C + n_full, ldc);
    return;
  }
  thread_local std::vector<float> packed;
  packed.resize(static_cast<size_t>(kKc * (kNc + kNr)));
  for (long j0 = 0; j0 < n; j0 += kNc) {
    const long nc = std::min(kNc, n - j0);
    for (long k0 = 0; k0 < k; k0 += kKc) {
      const long kc = std::min(kKc, k - k0);
      pack_panels(B, k0, kc, j0, nc, packed.data());
      block(m, A + k0, lda, Panels{packed.data(), kc * kNr, kNr}, kc, C + j0, ldc, nc, k0 > 0);
    }
  }
}

// C (m, n) = A (m, k) * op(B) from PackedB's panels, each of all `depth` rows
// of op(B). Each panel serves every row of A before the next is read, so it
// stays in the first-level cache (simd_product streams its whole block of
// panels past each row tile). Every tile sums as in simd_product, so the
// result is the same bit for bit.
void packed_product(long m, long n, long k, const float* A, long lda, const float* panels, long depth, float* C,
                    long ldc) {
  for (long jp = 0; jp < n; jp += kNr)
    for (long k0 = 0; k0 < k; k0 += kKc) {
      const Panels panel{panels + (jp / kNr) * depth * kNr + k0 * kNr, 0, kNr};
      block(m, A + k0, lda, panel, std::min(kKc, k - k0), C + jp, ldc, std::min<long>(kNr, n - jp), k0 > 0);
    }
}

#endif  // __wasm_simd128__

// Products with fewer rows are left to Eigen in the wasm build.
constexpr long kMinKernelRows = 8;

// Computes into a fresh matrix when C is also an operand, so that resizing C
// cannot destroy the input.
template <class Product>
void into(const Mat& A, const Mat& B, Mat& C, Eigen::Index rows, Eigen::Index cols, Product product) {
  if (&C == &A || &C == &B) {
    Mat result(rows, cols);
    product(result);
    C.swap(result);
    return;
  }
  C.resize(rows, cols);
  product(C);
}

// Computes C's columns in parts over the thread pool when the product is
// large enough: part(j0, width) computes columns [j0, j0 + width). Parts are
// whole kernel panels wide, and every column is computed exactly as in one
// call, so the result does not depend on the thread count.
template <class Part>
void by_columns(long m, long n, long k, Part part) {
  constexpr long kPanel = 8;
  const long panels = (n + kPanel - 1) / kPanel;
  const long parts = std::min(tasks_for(2.0 * m * n * k), panels);
  if (parts <= 1) {
    part(0, n);
    return;
  }
  const long width = (panels + parts - 1) / parts * kPanel;
  parallel_for((n + width - 1) / width, [&](long t) {
    const long j0 = t * width;
    part(j0, std::min(width, n - j0));
  });
}

// C = A * op(B) on strided storage: the wasm kernel for products of at least
// kMinKernelRows rows, Eigen otherwise (and in native builds).
void strided_product(long m, long n, long k, const float* A, long lda, const float* B, long ldb, bool b_transposed,
                     float* C, long ldc) {
#ifdef __wasm_simd128__
  if (m >= kMinKernelRows) {
    simd_product(m, n, k, A, lda, Operand{B, ldb, b_transposed}, C, ldc);
    return;
  }
#endif
  using Stride = Eigen::OuterStride<>;
  Eigen::Map<const Mat, 0, Stride> a(A, m, k, Stride(lda));
  Eigen::Map<Mat, 0, Stride> c(C, m, n, Stride(ldc));
  if (b_transposed) c.noalias() = a * Eigen::Map<const Mat, 0, Stride>(B, n, k, Stride(ldb)).transpose();
  else c.noalias() = a * Eigen::Map<const Mat, 0, Stride>(B, k, n, Stride(ldb));
}

// The same, split over the thread pool when that pays. Products of fewer than
// kMinKernelRows rows stay whole (they are quick, and Eigen's blocking would
// differ between parts and whole).
void split_product(long m, long n, long k, const float* A, long lda, const float* B, long ldb, bool b_transposed,
                   float* C, long ldc) {
  if (m < kMinKernelRows) {
    strided_product(m, n, k, A, lda, B, ldb, b_transposed, C, ldc);
    return;
  }
  by_columns(m, n, k, [&](long j0, long width) {
    const float* b = b_transposed ? B + j0 * ldb : B + j0;
    strided_product(m, width, k, A, lda, b, ldb, b_transposed, C + j0, ldc);
  });
}

// C = A * op(B) with B's values 16 bits wide (row stride ldb). The wasm kernel
// widens B as it packs its panels, for products of any height. Elsewhere B is
// widened kWidenColumns columns of op(B) at a time into a scratch matrix for
// Eigen; products of fewer than kMinKernelRows rows are then not split over
// the threads, as in split_product.
void half_product(long m, long n, long k, const float* A, long lda, const uint16_t* B, Precision precision, long ldb,
                  bool b_transposed, float* C, long ldc) {
  auto part = [&](long j0, long width) {
    const uint16_t* b = b_transposed ? B + j0 * ldb : B + j0;
#ifdef __wasm_simd128__
    Operand op{nullptr, ldb, b_transposed, true, b, precision};
    simd_product(m, width, k, A, lda, op, C + j0, ldc);
#else
    constexpr long kWidenColumns = 256;
    thread_local std::vector<float> scratch;
    scratch.resize(static_cast<size_t>(k * std::min(kWidenColumns, width)));
    for (long jb = 0; jb < width; jb += kWidenColumns) {
      const long nb = std::min(kWidenColumns, width - jb);
      if (b_transposed)
        for (long j = 0; j < nb; ++j) widen(precision, b + (jb + j) * ldb, k, scratch.data() + j * k);
      else
        for (long p = 0; p < k; ++p) widen(precision, b + p * ldb + jb, nb, scratch.data() + p * nb);
      strided_product(m, nb, k, A, lda, scratch.data(), b_transposed ? k : nb, b_transposed, C + j0 + jb, ldc);
    }
#endif
  };
#ifndef __wasm_simd128__
  if (m < kMinKernelRows) {
    part(0, n);
    return;
  }
#endif
  by_columns(m, n, k, part);
}

// C = A * op(B) for a weight matrix B of any precision.
void weight_product(const char* what, const Mat& A, const WeightMatrix& B, bool b_transposed, Mat& C) {
  const Eigen::Index inner = b_transposed ? B.cols() : B.rows(), cols = b_transposed ? B.rows() : B.cols();
  check_inner(what, A, B.rows(), B.cols(), inner);
  Mat result(A.rows(), cols);  // fresh: C may be A
  if (A.rows() > 0 && cols > 0)
    half_product(A.rows(), cols, A.cols(), A.data(), A.cols(), B.bits(), B.precision(), B.cols(), b_transposed,
                 result.data(), result.cols());
  C.swap(result);
}

}  // namespace

void matmul(const Mat& A, const WeightMatrix& B, Mat& C) {
  if (B.is_f32()) matmul(A, B.f32(), C);
  else weight_product("matmul", A, B, false, C);
}

void matmul_transposed(const Mat& A, const WeightMatrix& B, Mat& C) {
  if (B.is_f32()) matmul_transposed(A, B.f32(), C);
  else weight_product("matmul_transposed", A, B, true, C);
}

void matmul(const Mat& A, const Mat& B, Mat& C) {
  check_inner("matmul", A, B.rows(), B.cols(), B.rows());
  into(A, B, C, A.rows(), B.cols(), [&](Mat& out) {
    split_product(A.rows(), B.cols(), A.cols(), A.data(), A.cols(), B.data(), B.cols(), false, out.data(), out.cols());
  });
}

void matmul_strided(long m, long n, long k, const float* A, long lda, const float* B, long ldb, bool b_transposed,
                    float* C, long ldc) {
  if (m == 0 || n == 0) return;
  split_product(m, n, k, A, lda, B, ldb, b_transposed, C, ldc);
}

void PackedB::pack(long k, [[maybe_unused]] long n, const float* B, long ldb, bool b_transposed) {
  b_ = B;
  ldb_ = ldb;
  k_ = k;
  transposed_ = b_transposed;
#ifdef __wasm_simd128__
  panels_.resize(static_cast<size_t>((n + kNr - 1) / kNr * k * kNr));
  pack_panels(Operand{B, ldb, b_transposed}, 0, k, 0, n, panels_.data());
#endif
}

void PackedB::multiply(long m, long n, long k, const float* A, long lda, float* C, long ldc) const {
  if (m == 0 || n == 0) return;
#ifdef __wasm_simd128__
  if (m >= kMinKernelRows && k > 0) {
    packed_product(m, n, k, A, lda, panels_.data(), k_, C, ldc);
    return;
  }
#endif
  strided_product(m, n, k, A, lda, b_, ldb_, transposed_, C, ldc);
}

void matmul_transposed(const Mat& A, const Mat& B, Mat& C) {
  check_inner("matmul_transposed", A, B.rows(), B.cols(), B.cols());
  into(A, B, C, A.rows(), B.rows(), [&](Mat& out) {
    split_product(A.rows(), B.rows(), A.cols(), A.data(), A.cols(), B.data(), B.cols(), true, out.data(), out.cols());
  });
}

}  // namespace strata
