// Head scores (Olsson et al. 2022) on repeated random tokens: a sequence
// r_0 … r_{T−1} r_0 … r_{T−1} of period T, optionally after a BOS token.
// With o the offset of the first repeat (1 with BOS, else 0) and A a head's
// pattern [query, key]:
//   previous-token score = mean over i ≥ 1 of A[i, i−1]          (every position with a predecessor)
//   induction score      = mean over i in [o+T, o+2T) of A[i, i−T+1]   (the second repeat)
// averaged over n_sequences sequences. Tokens are drawn uniformly from
// [token_min, token_max) with a seeded std::mt19937, by rejection on its raw
// 32-bit output, so the same seed gives the same tokens on every platform.
// What it can and cannot show: docs/methods.md, "Head scores".
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "model/model.h"
#include "tensor/tensor.h"

namespace strata {

struct HeadScoreSettings {
  int period = 20;                // T; the analysis defaults to 20 or, when 2T (+1) exceeds n_ctx, the longest that fits
  int n_sequences = 4;
  uint32_t seed = 0;
  std::optional<int32_t> bos;     // a token put before the two repeats
  int32_t token_min = 0;
  int32_t token_max = -1;         // exclusive; -1: d_vocab
};

struct HeadScores {
  int period = 0;
  int offset = 0;                             // 1 with BOS
  Mat previous_token;                         // (n_layers, n_heads)
  Mat induction;                              // (n_layers, n_heads)
  std::vector<std::vector<int32_t>> sequences;  // the token sequences scored
};

HeadScores head_scores(const Model& model, const HeadScoreSettings& settings = {});

// The scores on given sequences, each `offset` tokens then two repeats of period T.
HeadScores head_scores_on_sequences(const Model& model, const std::vector<std::vector<int32_t>>& sequences,
                                    int period, int offset);

// One pattern tensor [n_heads, pos, pos] → per head (previous-token, induction).
void score_pattern(const Tensor& pattern, int period, int offset, std::vector<double>& previous_token,
                   std::vector<double>& induction);

// The random repeated sequences head_scores runs on.
std::vector<std::vector<int32_t>> repeated_random_sequences(const ModelConfig& config, const HeadScoreSettings& settings);

nlohmann::json to_json(const HeadScores& scores);

}  // namespace strata
