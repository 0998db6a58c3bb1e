// Weight matrices kept in a file's 16-bit precision: widening is exact, the
// products with them equal the products with their f32 values, and a 16-bit
// checkpoint loads without being widened and runs as its f32 upcast does.
#include <catch2/catch.hpp>
#include <cstring>
#include <random>
#include <vector>

#include "base/error.h"
#include "base/parallel.h"
#include "io/files.h"
#include "model/forward.h"
#include "model/model.h"
#include "random-matrix.h"
#include "tensor/matmul.h"
#include "tensor/weight-matrix.h"

using namespace strata;

namespace {

// Random 16-bit values of magnitude about 2^-4 .. 2^4 (both signs): the top
// half of a random f32 for BF16; sign, exponent 11..19 and mantissa for F16.
std::vector<uint16_t> random_bits(Precision precision, size_t count, std::mt19937& rng) {
  std::vector<uint16_t> bits(count);
  std::uniform_real_distribution<float> value(-16.f, 16.f);
  std::uniform_int_distribution<int> exponent(11, 19), mantissa(0, 1023), sign(0, 1);
  for (uint16_t& b : bits) {
    if (precision == Precision::BF16) {
      const float f = value(rng);
      uint32_t u;
      std::memcpy(&u, &f, sizeof u);
      b = static_cast<uint16_t>(u >> 16);
    } else {
      b = static_cast<uint16_t>((sign(rng) << 15) | (exponent(rng) << 10) | mantissa(rng));
    }
  }
  return bits;
}

// Small integers -3 .. 3, exact in either 16-bit format.
std::vector<uint16_t> integer_bits(Precision precision, size_t count) {
  static const uint16_t kBf16[] = {0xC040, 0xC000, 0xBF80, 0x0000, 0x3F80, 0x4000, 0x4040};
  static const uint16_t kF16[] = {0xC200, 0xC000, 0xBC00, 0x0000, 0x3C00, 0x4000, 0x4200};
  std::vector<uint16_t> bits(count);
  for (size_t i = 0; i < count; ++i) bits[i] = (precision == Precision::BF16 ? kBf16 : kF16)[(i * 5 + i / 7) % 7];
  return bits;
}

const char* name_of(Precision precision) { return precision == Precision::BF16 ? "BF16" : "F16"; }

}  // namespace

TEST_CASE("a 16-bit weight matrix widens exactly, by rows, column blocks and transpose", "[weights]") {
  // BF16: 1, -2, 3.140625, the smallest subnormal; F16: 1, -2, 65504, the smallest subnormal.
  const WeightMatrix bf16(Precision::BF16, 2, 2, {0x3F80, 0xC000, 0x4049, 0x0001});
  const WeightMatrix f16(Precision::F16, 2, 2, {0x3C00, 0xC000, 0x7BFF, 0x0001});
  const Mat b = bf16.widened(), f = f16.widened();
  CHECK(b(0, 0) == 1.f);
  CHECK(b(0, 1) == -2.f);
  CHECK(b(1, 0) == 3.140625f);
  CHECK(b(1, 1) == std::ldexp(1.f, -133));
  CHECK(f(0, 0) == 1.f);
  CHECK(f(1, 0) == 65504.f);
  CHECK(f(1, 1) == std::ldexp(1.f, -24));
  CHECK(bf16.bytes() == 8);
  // Rounding to BF16: nearest, ties to even.
  CHECK(f32_to_bf16(1.0f) == 0x3F80);
  CHECK(f32_to_bf16(3.140625f) == 0x4049);
  CHECK(f32_to_bf16(bf16_to_f32(0x3F80) + std::ldexp(1.f, -8)) == 0x3F80);   // halfway: to the even 0x3F80
  CHECK(f32_to_bf16(bf16_to_f32(0x3F81) + std::ldexp(1.f, -8)) == 0x3F82);   // halfway: to the even 0x3F82
  CHECK(f32_to_bf16(1.0f + std::ldexp(1.f, -7) * 0.75f) == 0x3F81);          // nearer the next
  CHECK(f32_to_bf16(-2.0f) == 0xC000);
  CHECK(WeightMatrix(Mat::Zero(2, 2)).bytes() == 16);

  std::mt19937 rng(5);
  const WeightMatrix w(Precision::BF16, 5, 7, random_bits(Precision::BF16, 35, rng));
  const Mat full = w.widened();
  CHECK(w.row(3) == full.row(3));
  CHECK(w.row_block(1, 3) == full.middleRows(1, 3));
  const WeightMatrix cols = w.column_block(2, 4);
  CHECK(cols.precision() == Precision::BF16);
  CHECK(cols.widened() == full.middleCols(2, 4));
  const WeightMatrix t = w.transposed();
  CHECK(t.rows() == 7);
  CHECK(t.widened() == full.transpose());

  CHECK_THROWS_AS(w.f32(), Error);
  CHECK_THROWS_AS(WeightMatrix(Mat::Zero(1, 1)).bits(), Error);
  CHECK_THROWS_AS(WeightMatrix(Precision::BF16, 2, 3, {1, 2}), Error);
}

TEST_CASE("products with a 16-bit weight matrix equal products with its f32 values", "[weights][matmul]") {
  std::mt19937 rng(17);
  for (Precision precision : {Precision::BF16, Precision::F16}) {
    // Rows below, at and above the kernel's limits (8 rows; 32 read B in place
    // when it is f32), and shapes with partial panels and several inner blocks.
    for (Eigen::Index m : {1, 3, 8, 20, 33, 70})
      for (auto [k, n] : std::vector<std::pair<Eigen::Index, Eigen::Index>>{{5, 1}, {300, 9}, {513, 600}, {64, 1030}}) {
        const Mat A = random_matrix(m, k, rng);
        const WeightMatrix B(precision, k, n, random_bits(precision, static_cast<size_t>(k * n), rng));
        const WeightMatrix Bt(precision, n, k, random_bits(precision, static_cast<size_t>(k * n), rng));
        Mat C, C32, Ct, Ct32;
        matmul(A, B, C);
        matmul(A, B.widened(), C32);
        matmul_transposed(A, Bt, Ct);
        matmul_transposed(A, Bt.widened(), Ct32);
        INFO(name_of(precision) << " " << m << "x" << k << "x" << n);
        REQUIRE(C.rows() == m);
        REQUIRE(C.cols() == n);
        REQUIRE(Ct.cols() == n);
        // The same products summed in at most another order: far inside float rounding of sums this size.
        const double scale = 16.0 * k;
        CHECK((C - C32).cwiseAbs().maxCoeff() <= 1e-6 * scale);
        CHECK((Ct - Ct32).cwiseAbs().maxCoeff() <= 1e-6 * scale);
      }
    // On small integers every order of summation is exact.
    const Mat A = Mat::NullaryExpr(12, 300, [](Eigen::Index i, Eigen::Index j) { return float((i * 3 + j) % 7) - 3; });
    const WeightMatrix B(precision, 300, 21, integer_bits(precision, 300 * 21));
    Mat C, Ct;
    matmul(A, B, C);
    matmul_transposed(A, B.transposed(), Ct);
    const Mat exact = (A.cast<double>() * B.widened().cast<double>()).cast<float>();
    CHECK((C - exact).cwiseAbs().maxCoeff() == 0.f);
    CHECK((Ct - exact).cwiseAbs().maxCoeff() == 0.f);
  }
}

TEST_CASE("a product with a 16-bit weight matrix is the same at every thread count", "[weights][parallel]") {
  std::mt19937 rng(3);
  const WeightMatrix B(Precision::BF16, 256, 1000, random_bits(Precision::BF16, 256 * 1000, rng));
  for (Eigen::Index m : {1, 16, 64}) {
    const Mat A = random_matrix(m, 256, rng);
    set_thread_count(1);
    Mat one, one_t;
    matmul(A, B, one);
    matmul_transposed(A, B.transposed(), one_t);
    for (int threads = 2; threads <= 4; ++threads) {
      set_thread_count(threads);
      Mat many, many_t;
      matmul(A, B, many);
      matmul_transposed(A, B.transposed(), many_t);
      INFO(m << " rows, " << threads << " threads");
      CHECK(many == one);
      CHECK(many_t == one_t);
    }
  }
  set_thread_count(1);
}

TEST_CASE("a BF16 checkpoint keeps its matrices 16 bits wide and runs as its f32 upcast", "[weights][parity]") {
  const std::string dir = std::string(STRATA_SOURCE_DIR) + "/tests/data/parity/gpt2-bf16";
  const Model model = load_model_dir(dir);
  const LayerWeights& L = model.weights.layers[0];
  for (const WeightMatrix* w : {&model.weights.W_E, &model.weights.W_pos, &L.W_Q, &L.W_K, &L.W_V, &L.W_O, &L.W_in, &L.W_out})
    CHECK(w->precision() == Precision::BF16);
  CHECK(weight_precision(model.weights) == "BF16");

  Model upcast = load_model_dir(dir);
  for (WeightMatrix* w : {&upcast.weights.W_E, &upcast.weights.W_pos}) *w = w->widened();
  for (LayerWeights& layer : upcast.weights.layers)
    for (WeightMatrix* w : {&layer.W_Q, &layer.W_K, &layer.W_V, &layer.W_O, &layer.W_in, &layer.W_out}) *w = w->widened();
  CHECK(weight_precision(upcast.weights) == "F32");
  Model mixed = load_model_dir(dir);
  mixed.weights.layers[0].W_in = mixed.weights.layers[0].W_in.widened();
  CHECK(weight_precision(mixed.weights) == "F32, BF16");

  RunOptions options;
  options.capture_all = true;
  for (const std::vector<int32_t>& tokens : {std::vector<int32_t>{5, 17, 2}, std::vector<int32_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}}) {
    const RunResult kept = run(model, tokens, options), wide = run(upcast, tokens, options);
    INFO(tokens.size() << " tokens");
    CHECK((kept.logits - wide.logits).cwiseAbs().maxCoeff() <= 1e-5f);
    for (const auto& [name, tensor] : kept.cache.tensors) {
      const std::vector<float>& other = wide.cache.tensors.at(name).data;
      float diff = 0;
      for (size_t i = 0; i < other.size(); ++i) diff = std::max(diff, std::fabs(tensor.data[i] - other[i]));
      INFO(name);
      CHECK(diff <= 1e-5f);
    }
  }
}

TEST_CASE("a non-finite 16-bit weight is refused at load, naming the tensor and its flat index", "[weights][non-finite]") {
  const std::string dir = std::string(STRATA_SOURCE_DIR) + "/tests/data/parity/gpt2-bf16";
  const std::vector<uint8_t> bytes = read_file_bytes(dir + "/model.safetensors");
  const SafetensorsFile file(bytes, "probe");
  const TensorInfo* wte = file.find("transformer.wte.weight") ? file.find("transformer.wte.weight") : file.find("wte.weight");
  REQUIRE(wte != nullptr);
  REQUIRE(wte->dtype == DType::BF16);
  uint64_t header = 0;
  std::memcpy(&header, bytes.data(), 8);
  for (const auto& [bits, name] : std::vector<std::pair<uint16_t, std::string>>{{0x7FC0, "NaN"}, {0x7F80, "+Inf"}, {0xFF80, "-Inf"}}) {
    ModelFiles files;
    files.label = "m";
    files.config_json = read_file_text(dir + "/config.json");
    files.safetensors = bytes;
    std::memcpy(files.safetensors.data() + 8 + header + wte->begin + 2 * 29, &bits, 2);
    CHECK_THROWS_WITH(load_model(std::move(files)),
                      "m/model.safetensors: tensor \"" + wte->name + "\": non-finite value " + name + " at flat index 29");
  }
}
