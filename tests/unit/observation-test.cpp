// Observation analyses on models whose answers are known by construction:
// logit and tuned lens, attention rollout and flow, direct logit attribution,
// previous-token and induction scores.
#include <catch2/catch.hpp>
#include <cmath>

#include "analysis/observation/attention-flow.h"
#include "analysis/observation/attribution.h"
#include "analysis/observation/head-scores.h"
#include "analysis/observation/logit-lens.h"
#include "analysis/observation/tuned-lens.h"
#include "model/forward.h"
#include "tiny-model.h"

using namespace strata;
using strata::testing::flat;
using strata::testing::max_abs_diff;
using strata::testing::tiny_model;

namespace {

// --- hand-set models ---------------------------------------------------------

// Blocks whose outputs are zero: every boundary holds the embedding.
Model silent_blocks_model(Family family) {
  Model m = tiny_model(family, 3);
  for (LayerWeights& L : m.weights.layers) {
    L.W_O.f32().setZero();
    L.W_out.f32().setZero();
    if (L.b_O.size()) L.b_O.setZero();
    if (L.b_out.size()) L.b_out.setZero();
  }
  return m;
}

// Queries and keys of zero: every head attends uniformly to positions 0..i.
Model uniform_attention_model(Family family) {
  Model m = tiny_model(family, 5);
  for (LayerWeights& L : m.weights.layers) {
    L.W_Q.f32().setZero();
    L.W_K.f32().setZero();
    if (L.b_Q.size()) L.b_Q.setZero();
    if (L.b_K.size()) L.b_K.setZero();
  }
  return m;
}

// A two-layer GPT-2 with one-hot embeddings, built so that head 0 of layer 0
// attends to the previous token and copies its identity into dims 24..31, and
// head 0 of layer 1 attends to the position whose previous token equals the
// current token (an induction head). Heads 1 have zero weights (uniform
// attention, no output); the MLPs output zero.
//   dims 0..7: token one-hot    8..23: position one-hot    24..31: previous token
Model induction_model() {
  const float beta = 16.0f;
  Model m;
  ModelConfig& c = m.config;
  c.family = Family::Gpt2;
  c.model_type = "gpt2";
  c.n_layers = 2;
  c.d_model = 32;
  c.n_heads = c.n_kv_heads = 2;
  c.d_head = 16;
  c.d_mlp = 4;
  c.d_vocab = 8;
  c.n_ctx = 16;
  c.tied_embeddings = true;
  c.attn_qkv_bias = c.attn_out_bias = c.mlp_bias = true;
  ModelWeights& w = m.weights;
  w.W_E = Mat::Zero(8, 32);
  for (int t = 0; t < 8; ++t) w.W_E.f32()(t, t) = 1;
  w.W_pos = Mat::Zero(16, 32);
  for (int p = 0; p < 16; ++p) w.W_pos.f32()(p, 8 + p) = 1;
  for (int l = 0; l < 2; ++l) {
    LayerWeights L;
    L.ln1_w = L.ln2_w = RowVec::Ones(32);
    L.ln1_b = L.ln2_b = L.b_O = L.b_out = RowVec::Zero(32);
    L.W_Q = L.W_K = L.W_V = Mat::Zero(32, 32);
    L.b_Q = L.b_K = L.b_V = RowVec::Zero(32);
    L.W_O = Mat::Zero(32, 32);
    L.W_in = Mat::Zero(32, 4);
    L.b_in = RowVec::Zero(4);
    L.W_out = Mat::Zero(4, 32);
    w.layers.push_back(L);
  }
  LayerWeights& L0 = w.layers[0];
  for (int p = 1; p < 16; ++p) L0.W_Q.f32()(8 + p, p - 1) = beta;  // query of i looks for position i-1
  for (int p = 0; p < 16; ++p) L0.W_K.f32()(8 + p, p) = 1;
  for (int t = 0; t < 8; ++t) {
    L0.W_V.f32()(t, t) = 1;        // value: the token
    L0.W_O.f32()(t, 24 + t) = 1;   // written to the previous-token dims
  }
  LayerWeights& L1 = w.layers[1];
  for (int t = 0; t < 8; ++t) {
    L1.W_Q.f32()(t, t) = beta;     // query: the current token
    L1.W_K.f32()(24 + t, t) = 1;   // key: the previous token of that position
  }
  w.ln_f_w = RowVec::Ones(32);
  w.ln_f_b = RowVec::Zero(32);
  return m;
}

const std::vector<int32_t> kPrompt = {3, 1, 4, 1, 5, 9, 2, 6};

}  // namespace

// --- logit lens --------------------------------------------------------------

TEST_CASE("the logit lens at the last boundary is the model's output", "[lens]") {
  for (Family family : {Family::Gpt2, Family::Llama}) {
    const Model m = tiny_model(family);
    const std::vector<Mat> b = residual_boundaries(m, kPrompt);
    REQUIRE(b.size() == static_cast<size_t>(m.config.n_layers) + 1);
    const Mat logits = run(m, kPrompt).logits;
    const float diff = max_abs_diff(flat(lens_logits(m, b.back())), flat(logits));
    INFO("lens logits vs model logits, max diff " << diff);
    CHECK(diff < 1e-5f);

    LensSettings s;
    s.top_k = 3;
    s.target = 7;
    s.foil = 9;
    const LogitLensResult r = logit_lens(m, kPrompt, s);
    REQUIRE(r.cells.size() == b.size());
    CHECK(r.boundary_hooks.front() == "blocks.0.hook_resid_pre");
    CHECK(r.boundary_hooks.back() == "blocks.1.hook_resid_post");
    const Eigen::MatrixXd log_p = log_softmax_rows(logits);
    for (size_t p = 0; p < kPrompt.size(); ++p) {
      const LensCell& cell = r.cells.back()[p];
      Eigen::Index argmax;
      logits.row(p).maxCoeff(&argmax);
      CHECK(cell.top[0].id == argmax);
      CHECK(cell.top[0].prob == Approx(std::exp(log_p(p, argmax))).margin(1e-6));
      CHECK(cell.target_prob == Approx(std::exp(log_p(p, 7))).margin(1e-6));
      CHECK(cell.target_rank == 1 + (logits.row(p).array() > logits(p, 7)).count());
      CHECK(cell.foil_prob == Approx(std::exp(log_p(p, 9))).margin(1e-6));
      CHECK(cell.foil_rank == 1 + (logits.row(p).array() > logits(p, 9)).count());
      CHECK(cell.kl_to_final == Approx(0.0).margin(1e-6));
      CHECK(cell.top[0].prob >= cell.top[1].prob);
      CHECK(cell.top[1].prob >= cell.top[2].prob);
    }
  }
}

TEST_CASE("the logit lens normalises each boundary with its own statistics", "[lens]") {
  const Model m = tiny_model(Family::Gpt2);
  const std::vector<Mat> b = residual_boundaries(m, kPrompt);
  // boundary 0 is the embedding plus positions: LayerNorm it by hand, row by row
  Mat by_hand(kPrompt.size(), m.config.d_vocab);
  for (size_t p = 0; p < kPrompt.size(); ++p) {
    const RowVec h = m.weights.W_E.row(kPrompt[p]) + m.weights.W_pos.row(p);
    const RowVec centred = h.array() - h.mean();
    const float scale = std::sqrt(centred.squaredNorm() / m.config.d_model + m.config.norm_eps);
    const RowVec normed = (centred / scale).cwiseProduct(m.weights.ln_f_w) + m.weights.ln_f_b;
    by_hand.row(p) = normed * m.weights.W_E.f32().transpose();
  }
  const float diff = max_abs_diff(flat(lens_logits(m, b[0])), flat(by_hand));
  INFO("boundary 0 lens vs hand LayerNorm, max diff " << diff);
  CHECK(diff < 1e-4f);
}

TEST_CASE("with silent blocks every boundary's lens is the output", "[lens]") {
  for (Family family : {Family::Gpt2, Family::Llama}) {
    const Model m = silent_blocks_model(family);
    LensSettings s;
    s.positions = {0, 5, 7};
    const LogitLensResult r = logit_lens(m, kPrompt, s);
    for (size_t l = 0; l < r.cells.size(); ++l) {
      CHECK(r.mean_kl_to_final[l] == Approx(0.0).margin(1e-6));
      for (size_t i = 0; i < s.positions.size(); ++i) CHECK(r.cells[l][i].top[0].id == r.cells.back()[i].top[0].id);
    }
    const nlohmann::json j = to_json(r);
    CHECK(j["positions"] == nlohmann::json({0, 5, 7}));
    CHECK(j["boundaries"].size() == 3);
    CHECK(j["boundaries"][0]["cells"].size() == 3);
  }
}

TEST_CASE("logit lens settings are checked", "[lens]") {
  const Model m = tiny_model(Family::Gpt2);
  LensSettings s;
  s.target = 20;
  CHECK_THROWS_WITH(logit_lens(m, kPrompt, s), Catch::Contains("lens: target: expected a token id in [0, 20), found 20"));
  s.target.reset();
  s.positions = {8};
  CHECK_THROWS_WITH(logit_lens(m, kPrompt, s), Catch::Contains("lens: position: expected [0, 8), found 8"));
}

TEST_CASE("the logit lens of a model computing NaN is an error, not rank 1 and KL 0", "[lens][non-finite]") {
  Model m = tiny_model(Family::Gpt2);
  m.weights.W_E.f32()(kPrompt[0], 0) = NAN;  // bypasses the load-time check, as a corrupted model in memory would
  LensSettings s;
  s.target = 3;
  CHECK_THROWS_WITH(logit_lens(m, kPrompt, s), Catch::Contains("non-finite logits (NaN at position 0"));
  // The lens's own projection refuses a non-finite residual stream (the tuned lens reaches it directly).
  const Model clean = tiny_model(Family::Gpt2);
  std::vector<Mat> boundaries = residual_boundaries(clean, kPrompt);
  boundaries[1](2, 3) = INFINITY;
  CHECK_THROWS_WITH(lens_from_residuals(clean, boundaries, boundaries.back(), s),
                    "lens: the residual stream gives non-finite logits");
}

// --- tuned lens --------------------------------------------------------------

TEST_CASE("the ridge fit recovers a known affine map", "[tuned-lens]") {
  std::mt19937 rng(7);
  std::normal_distribution<double> normal(0.0, 1.0);
  const int n = 200, d = 6;
  Eigen::MatrixXd X(n, d), A(d, d);
  Eigen::RowVectorXd b(d);
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < d; ++k) X(i, k) = normal(rng);
  for (int i = 0; i < d; ++i) {
    b[i] = normal(rng);
    for (int k = 0; k < d; ++k) A(i, k) = normal(rng);
  }
  const Eigen::MatrixXd Y = (X * A).rowwise() + b;
  Mat A_fit;
  RowVec b_fit;
  fit_affine_ridge(X, Y, 1e-9, A_fit, b_fit);
  CHECK((A_fit.cast<double>() - A).cwiseAbs().maxCoeff() < 1e-4);
  CHECK((b_fit.cast<double>() - b).cwiseAbs().maxCoeff() < 1e-4);
  // a strong ridge pulls the map to the identity
  fit_affine_ridge(X, Y, 1e9, A_fit, b_fit);
  CHECK((A_fit.cast<double>() - Eigen::MatrixXd::Identity(d, d)).cwiseAbs().maxCoeff() < 1e-5);
}

TEST_CASE("the KL fit undoes a distortion of the residual that least squares is not asked about", "[tuned-lens]") {
  // X is the final residual stream seen through a known invertible affine
  // distortion, so X M + c gives back p_final exactly. From the identity the
  // KL to the output is large; Adam on the KL must bring it most of the way
  // down, through LayerNorm (GPT-2) and RMSNorm (LLaMA) alike.
  for (Family family : {Family::Gpt2, Family::Llama}) {
    INFO((family == Family::Gpt2 ? "gpt2" : "llama"));
    const Model m = tiny_model(family, 5);
    std::mt19937 rng(3);
    std::vector<int32_t> tokens(16);
    for (int32_t& t : tokens) t = static_cast<int32_t>(rng() % 20);
    const Mat H = residual_boundaries(m, tokens).back();
    const Eigen::MatrixXd log_p = log_softmax_rows(lens_logits(m, H));
    const int d = static_cast<int>(H.cols());
    Mat distortion = Mat::Identity(d, d);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (int k = 0; k < d; ++k) distortion(k, k) = 0.3f + 0.15f * static_cast<float>(k % 5);
    RowVec shift(d);
    for (int k = 0; k < d; ++k) shift[k] = normal(rng);
    Mat X = H * distortion;
    X.rowwise() += shift;
    Mat A = Mat::Identity(d, d);
    RowVec b = RowVec::Zero(d);
    const auto [start, end] = fit_affine_kl(m, X, log_p, 400, 2e-2, A, b);
    INFO("KL from " << start << " to " << end);
    CHECK(start > 0.05);
    CHECK(end < 0.1 * start);
    // No steps: nothing moves.
    Mat A0 = Mat::Identity(d, d);
    RowVec b0 = RowVec::Zero(d);
    const auto [s0, e0] = fit_affine_kl(m, X, log_p, 0, 1e-3, A0, b0);
    CHECK(s0 == e0);
    CHECK(A0 == Mat::Identity(d, d));
  }
}

TEST_CASE("the KL fit from the least-squares start only improves the fitted objective", "[tuned-lens]") {
  for (Family family : {Family::Gpt2, Family::Llama}) {
    const Model m = tiny_model(family, 11);
    std::mt19937 rng(1);
    std::vector<std::vector<int32_t>> prompts;
    for (int k = 0; k < 30; ++k) {
      std::vector<int32_t> p(12);
      for (int32_t& t : p) t = static_cast<int32_t>(rng() % 20);
      prompts.push_back(p);
    }
    TunedLensFitSettings least_squares;
    least_squares.objective = TunedLensObjective::LeastSquares;
    const TunedLensFit ls = fit_tuned_lens(m, prompts, least_squares);
    const TunedLensFit kl = fit_tuned_lens(m, prompts);
    CHECK(ls.kl_start.empty());
    CHECK(ls.lens.fit == "least-squares-to-final-residual");
    CHECK(kl.lens.fit == "kl-from-least-squares");
    REQUIRE(kl.kl_start.size() == 2);
    for (int l = 0; l < 2; ++l) {
      INFO("boundary " << l << ": least squares " << ls.quality.kl_tuned_lens[l] << ", KL fit " << kl.quality.kl_tuned_lens[l]);
      CHECK(kl.kl_start[l] == Approx(ls.quality.kl_tuned_lens[l]).epsilon(1e-3));  // the start is the least-squares map
      CHECK(kl.kl_end[l] < kl.kl_start[l]);
      CHECK(kl.quality.kl_tuned_lens[l] < ls.quality.kl_tuned_lens[l]);
      CHECK(kl.quality.kl_tuned_lens[l] <= kl.quality.kl_logit_lens[l]);
    }
    // Deterministic: the same prompts give the same maps.
    const TunedLensFit again = fit_tuned_lens(m, prompts);
    CHECK(max_abs_diff(flat(again.lens.A[1]), flat(kl.lens.A[1])) == 0.0f);
  }
}

TEST_CASE("the tuned lens of silent blocks is the identity", "[tuned-lens]") {
  const Model m = silent_blocks_model(Family::Llama);
  TunedLensFitSettings least_squares;
  least_squares.objective = TunedLensObjective::LeastSquares;
  const TunedLensFit fit = fit_tuned_lens(m, {kPrompt, {1, 2, 3, 4, 5}}, least_squares);
  for (int l = 0; l < m.config.n_layers; ++l) {
    CHECK((fit.lens.A[l] - Mat::Identity(16, 16)).cwiseAbs().maxCoeff() < 1e-4f);
    CHECK(fit.lens.b[l].cwiseAbs().maxCoeff() < 1e-4f);
  }
  CHECK(fit.quality.n_positions == 13);
  for (double kl : fit.quality.kl_tuned_lens) CHECK(kl == Approx(0.0).margin(1e-6));
  // The KL fit starts at the optimum and stays there (Adam's steps on a zero
  // gradient move the map by at most steps · learning_rate, and not the output).
  const TunedLensFit kl = fit_tuned_lens(m, {kPrompt, {1, 2, 3, 4, 5}});
  CHECK(kl.kl_end.size() == static_cast<size_t>(m.config.n_layers));
  for (double k : kl.quality.kl_tuned_lens) CHECK(k == Approx(0.0).margin(1e-5));
}

TEST_CASE("the tuned lens fits, reports its quality, and round-trips through safetensors", "[tuned-lens]") {
  for (Family family : {Family::Gpt2, Family::Llama}) {
    const Model m = tiny_model(family, 11);
    std::mt19937 rng(1);
    std::vector<std::vector<int32_t>> prompts;
    for (int k = 0; k < 40; ++k) {
      std::vector<int32_t> p(12);
      for (int32_t& t : p) t = static_cast<int32_t>(rng() % 20);
      prompts.push_back(p);
    }
    const TunedLensFit fit = fit_tuned_lens(m, prompts);
    const TunedLensQuality& q = fit.quality;
    REQUIRE(q.kl_logit_lens.size() == 3);
    CHECK(q.kl_logit_lens.back() == Approx(0.0).margin(1e-9));
    CHECK(q.kl_tuned_lens.back() == Approx(0.0).margin(1e-9));
    INFO("boundary 1 KL: logit lens " << q.kl_logit_lens[1] << ", tuned lens " << q.kl_tuned_lens[1]);
    CHECK(q.kl_tuned_lens[1] < q.kl_logit_lens[1]);  // 480 positions, 16 dims: the fit must help

    const std::vector<uint8_t> bytes = save_tuned_lens(fit.lens, m.config);
    const SafetensorsFile file(bytes, "lens.safetensors");
    REQUIRE(file.find("tuned_lens.0.weight") != nullptr);
    REQUIRE(file.find("tuned_lens.1.bias") != nullptr);
    CHECK(file.metadata().at("format") == "strata-tuned-lens");
    // stored as nn.Linear [out, in]
    CHECK(file.read_f32("tuned_lens.0.weight").data[1] == fit.lens.A[0](1, 0));
    const TunedLens loaded = load_tuned_lens(file, m.config);
    for (int l = 0; l < m.config.n_layers; ++l) {
      CHECK(max_abs_diff(flat(loaded.A[l]), flat(fit.lens.A[l])) == 0.0f);
      CHECK(max_abs_diff(flat(loaded.b[l]), flat(fit.lens.b[l])) == 0.0f);
    }
    const LogitLensResult r = tuned_lens(m, loaded, kPrompt);
    CHECK(r.lens == "tuned");
    CHECK(r.mean_kl_to_final.back() == Approx(0.0).margin(1e-6));
    CHECK(to_json(q)["kl_tuned_lens"].size() == 3);
  }
}

TEST_CASE("a tuned lens for another model is refused", "[tuned-lens]") {
  const Model m = tiny_model(Family::Gpt2);
  const TunedLensFit fit = fit_tuned_lens(m, {kPrompt});
  const SafetensorsFile file(save_tuned_lens(fit.lens, m.config), "lens.safetensors");
  ModelConfig wider = m.config;
  wider.d_model = 32;
  CHECK_THROWS_WITH(load_tuned_lens(file, wider),
                    Catch::Contains("lens.safetensors: tuned_lens.0.weight: expected [32, 32], found [16, 16]"));
  ModelConfig deeper = m.config;
  deeper.n_layers = 3;
  CHECK_THROWS_WITH(load_tuned_lens(file, deeper), Catch::Contains("lens.safetensors: tensors: expected 6"));
}

// --- attention rollout and flow ------------------------------------------------

TEST_CASE("uniform attention gives the rollout computed by hand", "[flow]") {
  // A = causal uniform; Â = (A + I)/2 row-normalised:
  //   [1 0 0; 1/4 3/4 0; 1/6 1/6 2/3]
  // R_1 = Â Â = [1 0 0; 7/16 9/16 0; 23/72 17/72 32/72]
  const Mat hat = (Mat(3, 3) << 1, 0, 0, 0.25, 0.75, 0, 1.0 / 6, 1.0 / 6, 2.0 / 3).finished();
  const Mat r1 = (Mat(3, 3) << 1, 0, 0, 7.0 / 16, 9.0 / 16, 0, 23.0 / 72, 17.0 / 72, 32.0 / 72).finished();
  for (Family family : {Family::Gpt2, Family::Llama}) {
    const Model m = uniform_attention_model(family);
    const std::vector<Mat> a = residual_attention(m, {4, 2, 9});
    CHECK(max_abs_diff(flat(a[0]), flat(hat)) < 1e-6f);
    const AttentionRollout r = attention_rollout(m, {4, 2, 9});
    REQUIRE(r.rollout.size() == 2);
    CHECK(max_abs_diff(flat(r.rollout[0]), flat(hat)) < 1e-6f);
    const float diff = max_abs_diff(flat(r.rollout[1]), flat(r1));
    INFO("rollout vs hand, max diff " << diff);
    CHECK(diff < 1e-6f);
    CHECK(to_json(r)["rollout"][1]["shape"] == nlohmann::json({3, 3}));
  }
}

TEST_CASE("attention flow on a two-layer graph matches the max-flow by hand", "[flow]") {
  // From the output node (2, 2): edges to (1, 0..2) carry 1/6, 1/6, 2/3.
  //   to (0,0): 1/6 via (1,0) + min(1/6, 1/4) via (1,1) + min(2/3, 1/6) via (1,2) = 1/2
  //   to (0,1): min(1/6, 3/4) + min(2/3, 1/6) = 1/3
  //   to (0,2): min(2/3, 2/3) = 2/3
  // normalised by 3/2: [1/3, 2/9, 4/9] (the rollout gives [23/72, 17/72, 32/72]).
  const Model m = uniform_attention_model(Family::Gpt2);
  const AttentionFlow f = attention_flow(m, {4, 2, 9});
  REQUIRE(f.flow.rows() == 3);
  CHECK(f.layer == 2);
  const RowVec raw2 = (RowVec(3) << 0.5f, 1.0f / 3, 2.0f / 3).finished();
  const RowVec flow2 = (RowVec(3) << 1.0f / 3, 2.0f / 9, 4.0f / 9).finished();
  CHECK(max_abs_diff(flat(f.raw.row(2)), flat(raw2)) < 1e-6f);
  CHECK(max_abs_diff(flat(f.flow.row(2)), flat(flow2)) < 1e-6f);
  // position 0 can only reach token 0; position 1: to (0,0) 1/4 + min(3/4, 1/4) = 1/2, to (0,1) 3/4
  CHECK(max_abs_diff(flat(f.flow.row(0)), {1, 0, 0}) < 1e-6f);
  CHECK(max_abs_diff(flat(f.flow.row(1)), {0.4f, 0.6f, 0}) < 1e-6f);

  AttentionFlowSettings one_layer;
  one_layer.layer = 1;
  one_layer.positions = {2};
  const AttentionFlow f1 = attention_flow(m, {4, 2, 9}, one_layer);
  CHECK(max_abs_diff(flat(f1.flow), {1.0f / 6, 1.0f / 6, 2.0f / 3}) < 1e-6f);  // one layer: flow is Â
  one_layer.layer = 3;
  CHECK_THROWS_WITH(attention_flow(m, {4, 2, 9}, one_layer), Catch::Contains("attention flow: layer: expected [1, 2]"));
}

TEST_CASE("attention flow counts capacities where the rollout multiplies them", "[flow]") {
  // Â_0 = [1 0; 1/2 1/2], Â_1 = [1 0; 1/2 1/2]; output node (2, 1).
  //   rollout row 1: 1/2 [1 0] + 1/2 [1/2 1/2] = [3/4 1/4]
  //   flow to (0,0): min(1/2, 1) via (1,0) + min(1/2, 1/2) via (1,1) = 1; to (0,1): min(1/2, 1/2) = 1/2
  //   normalised: [2/3 1/3]
  const Mat a = (Mat(2, 2) << 1, 0, 0.5, 0.5).finished();
  AttentionFlowSettings s;
  s.positions = {1};
  const AttentionFlow f = flow_from_residual_attention({a, a}, s);
  CHECK(max_abs_diff(flat(f.raw), {1.0f, 0.5f}) < 1e-6f);
  CHECK(max_abs_diff(flat(f.flow), {2.0f / 3, 1.0f / 3}) < 1e-6f);
  const AttentionRollout r = rollout_from_residual_attention({a, a});
  CHECK(max_abs_diff(flat(r.rollout[1].row(1)), {0.75f, 0.25f}) < 1e-6f);
}

// --- direct logit attribution ---------------------------------------------------

TEST_CASE("direct logit attributions sum exactly to the logit and the logit difference", "[attribution]") {
  for (Family family : {Family::Gpt2, Family::Llama}) {
    const Model m = tiny_model(family, 9);
    for (int position : {-1, 2}) {
      AttributionSettings s;
      s.position = position;
      s.answer = 13;
      s.foil = 4;
      const LogitAttribution a = direct_logit_attribution(m, kPrompt, s);
      const bool gpt2 = family == Family::Gpt2;
      const size_t per_layer = m.config.n_heads + (gpt2 ? 2 : 1);
      CHECK(a.components.size() == 1 + (gpt2 ? 2 : 0) + per_layer * m.config.n_layers);
      CHECK(a.position == (position < 0 ? 7 : 2));
      const Mat logits = run(m, kPrompt).logits;
      CHECK(a.model_logit == Approx(logits(a.position, 13)).margin(1e-6));
      INFO("sum " << a.sum_logit << " vs model " << a.model_logit);
      CHECK(a.sum_logit == Approx(a.model_logit).margin(1e-4));
      CHECK(a.sum_logit_diff == Approx(a.model_logit_diff).margin(1e-4));
      CHECK(a.model_logit_diff == Approx(logits(a.position, 13) - logits(a.position, 4)).margin(1e-5));
    }
  }
}

TEST_CASE("heads whose output projection is zero get zero attribution", "[attribution]") {
  Model m = tiny_model(Family::Llama, 4);
  m.weights.layers[1].W_O.f32().middleRows(2 * 4, 4).setZero();  // head 2 of layer 1
  AttributionSettings s;
  s.answer = 5;
  const LogitAttribution a = direct_logit_attribution(m, kPrompt, s);
  bool found = false;
  for (const Component& c : a.components)
    if (c.kind == ComponentKind::Head && c.layer == 1 && c.head == 2) {
      found = true;
      CHECK(c.label == "L1H2");
      CHECK(c.logit == 0.0);
    }
  CHECK(found);
  CHECK(a.sum_logit == Approx(a.model_logit).margin(1e-4));
  const nlohmann::json j = to_json(a);
  CHECK(j["foil"].is_null());
  CHECK(j["components"][0]["kind"] == "embed");
  s.foil = 20;
  CHECK_THROWS_WITH(direct_logit_attribution(m, kPrompt, s), Catch::Contains("attribution: foil: expected"));
}

// --- head scores ---------------------------------------------------------------

TEST_CASE("score_pattern reads previous-token and induction diagonals", "[heads]") {
  // offset 1 (BOS), period 3, n = 7; head 0 attends to i-1, head 1 to i-T+1 on the
  // second repeat (and to itself elsewhere).
  const int n = 7, T = 3;
  Tensor pattern{{2, n, n}, std::vector<float>(2 * n * n, 0.0f)};
  auto at = [&](int h, int q, int k) -> float& { return pattern.data[(h * n + q) * n + k]; };
  at(0, 0, 0) = 1;
  for (int i = 1; i < n; ++i) at(0, i, i - 1) = 1;
  for (int i = 0; i < n; ++i) at(1, i, i >= 1 + T ? i - T + 1 : i) = 1;
  std::vector<double> prev, ind;
  score_pattern(pattern, T, 1, prev, ind);
  CHECK(prev[0] == Approx(1.0));
  CHECK(ind[1] == Approx(1.0));
  CHECK(prev[1] == Approx(0.0));
  CHECK(ind[0] == Approx(0.0));  // i-1 is never i-T+1 for T = 3
}

TEST_CASE("a hand-built previous-token head and induction head score close to 1", "[heads]") {
  const Model m = induction_model();
  const std::vector<int32_t> seq = {7, 3, 1, 4, 0, 6, 3, 1, 4, 0, 6};  // BOS 7, period 5 of distinct tokens
  const HeadScores s = head_scores_on_sequences(m, {seq}, 5, 1);
  INFO("previous-token L0H0 " << s.previous_token(0, 0) << ", induction L1H0 " << s.induction(1, 0));
  CHECK(s.previous_token(0, 0) > 0.99f);
  CHECK(s.induction(1, 0) > 0.99f);
  CHECK(s.induction(0, 0) < 0.01f);
  CHECK(s.previous_token(1, 0) < 0.5f);
  // heads 1 attend uniformly: A[i, j] = 1/(i+1)
  double prev = 0, ind = 0;
  for (int i = 1; i < 11; ++i) prev += 1.0 / (i + 1);
  for (int i = 6; i < 11; ++i) ind += 1.0 / (i + 1);
  for (int l = 0; l < 2; ++l) {
    CHECK(s.previous_token(l, 1) == Approx(prev / 10).margin(1e-6));
    CHECK(s.induction(l, 1) == Approx(ind / 5).margin(1e-6));
  }
}

TEST_CASE("repeated random sequences are seeded and repeat", "[heads]") {
  const Model m = induction_model();
  HeadScoreSettings s;
  s.period = 7;
  s.n_sequences = 3;
  s.seed = 42;
  s.bos = 7;
  s.token_max = 7;
  const auto a = repeated_random_sequences(m.config, s);
  CHECK(a == repeated_random_sequences(m.config, s));
  REQUIRE(a.size() == 3);
  for (const auto& seq : a) {
    REQUIRE(seq.size() == 15);
    CHECK(seq[0] == 7);
    for (int i = 1; i <= 7; ++i) {
      CHECK(seq[i] == seq[i + 7]);
      CHECK(seq[i] >= 0);
      CHECK(seq[i] < 7);
    }
  }
  s.seed = 43;
  CHECK(a != repeated_random_sequences(m.config, s));
  const HeadScores scores = head_scores(m, s);
  CHECK(scores.offset == 1);
  CHECK(scores.previous_token(0, 0) > 0.99f);
  CHECK(to_json(scores)["induction"]["shape"] == nlohmann::json({2, 2}));
  s.period = 8;
  CHECK_THROWS_WITH(head_scores(m, s), Catch::Contains("expected at most n_ctx = 16, found 17"));
}
