// Previous-token and induction scores of every head, from the attention
// patterns of runs over repeated random-token sequences.
#include "analysis/observation/head-scores.h"

#include <random>
#include <string>

#include "base/error.h"
#include "base/seeded-random.h"
#include "model/forward.h"
#include "io/tensor-json.h"

namespace strata {

namespace {

void check_settings(const ModelConfig& c, const HeadScoreSettings& s, int32_t token_max) {
  if (s.period < 2) fail_expected("head scores: period", ">= 2", std::to_string(s.period));
  const int64_t length = 2 * static_cast<int64_t>(s.period) + (s.bos ? 1 : 0);
  if (length > c.n_ctx)
    fail_expected("head scores: sequence length (2 * period" + std::string(s.bos ? " + 1)" : ")"),
                  "at most n_ctx = " + std::to_string(c.n_ctx), std::to_string(length));
  if (s.n_sequences < 1) fail_expected("head scores: n_sequences", ">= 1", std::to_string(s.n_sequences));
  if (s.token_min < 0 || token_max > c.d_vocab || s.token_min >= token_max)
    fail_expected("head scores: token range", "0 <= token_min < token_max <= " + std::to_string(c.d_vocab),
                  "[" + std::to_string(s.token_min) + ", " + std::to_string(token_max) + ")");
  if (s.bos && (*s.bos < 0 || *s.bos >= c.d_vocab))
    fail_expected("head scores: bos", "a token id in [0, " + std::to_string(c.d_vocab) + ")", std::to_string(*s.bos));
}

}  // namespace

std::vector<std::vector<int32_t>> repeated_random_sequences(const ModelConfig& config, const HeadScoreSettings& s) {
  const int32_t token_max = s.token_max < 0 ? config.d_vocab : s.token_max;
  check_settings(config, s, token_max);
  std::mt19937 rng(s.seed);
  const uint32_t range = static_cast<uint32_t>(token_max - s.token_min);
  std::vector<std::vector<int32_t>> out;
  for (int k = 0; k < s.n_sequences; ++k) {
    std::vector<int32_t> period(s.period);
    for (int32_t& t : period) t = s.token_min + static_cast<int32_t>(uniform_below(rng, range));
    std::vector<int32_t> seq;
    if (s.bos) seq.push_back(*s.bos);
    seq.insert(seq.end(), period.begin(), period.end());
    seq.insert(seq.end(), period.begin(), period.end());
    out.push_back(std::move(seq));
  }
  return out;
}

void score_pattern(const Tensor& pattern, int period, int offset, std::vector<double>& previous_token,
                   std::vector<double>& induction) {
  if (pattern.shape.size() != 3 || pattern.shape[1] != pattern.shape[2])
    fail_expected("head scores: pattern shape", "[n_heads, pos, pos]", shape_to_string(pattern.shape));
  const int64_t heads = pattern.shape[0], n = pattern.shape[1];
  if (offset < 0 || period < 2 || offset + 2 * static_cast<int64_t>(period) > n)
    fail_expected("head scores: offset + 2 * period", "at most the sequence length " + std::to_string(n),
                  std::to_string(offset + 2 * static_cast<int64_t>(period)));
  previous_token.assign(heads, 0.0);
  induction.assign(heads, 0.0);
  for (int64_t h = 0; h < heads; ++h) {
    const float* a = pattern.data.data() + h * n * n;  // a[q * n + k]
    for (int64_t i = 1; i < n; ++i) previous_token[h] += a[i * n + i - 1];
    previous_token[h] /= static_cast<double>(n - 1);
    for (int64_t i = offset + period; i < offset + 2 * period; ++i) induction[h] += a[i * n + i - period + 1];
    induction[h] /= static_cast<double>(period);
  }
}

HeadScores head_scores_on_sequences(const Model& model, const std::vector<std::vector<int32_t>>& sequences,
                                    int period, int offset) {
  const ModelConfig& c = model.config;
  if (sequences.empty()) throw Error("head scores: no sequences to score");
  HeadScores out;
  out.period = period;
  out.offset = offset;
  out.sequences = sequences;
  Eigen::MatrixXd prev = Eigen::MatrixXd::Zero(c.n_layers, c.n_heads), ind = prev;
  RunOptions options;
  for (int l = 0; l < c.n_layers; ++l) options.capture.push_back({HookKind::Pattern, l});
  std::vector<double> p, q;
  for (const auto& seq : sequences) {
    const RunResult r = run(model, seq, options);
    for (int l = 0; l < c.n_layers; ++l) {
      score_pattern(r.cache.at({HookKind::Pattern, l}), period, offset, p, q);
      for (int h = 0; h < c.n_heads; ++h) {
        prev(l, h) += p[h];
        ind(l, h) += q[h];
      }
    }
  }
  const double n = static_cast<double>(sequences.size());
  out.previous_token = (prev / n).cast<float>();
  out.induction = (ind / n).cast<float>();
  return out;
}

HeadScores head_scores(const Model& model, const HeadScoreSettings& settings) {
  return head_scores_on_sequences(model, repeated_random_sequences(model.config, settings), settings.period,
                                  settings.bos ? 1 : 0);
}

nlohmann::json to_json(const HeadScores& scores) {
  return {{"period", scores.period},
          {"offset", scores.offset},
          {"previous_token", tensor_to_json(tensor_of(scores.previous_token))},
          {"induction", tensor_to_json(tensor_of(scores.induction))},
          {"sequences", scores.sequences}};
}

}  // namespace strata
