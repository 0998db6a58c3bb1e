// A prompt suite (io/suite.h's format) built from the natural-language bank
// (bank.h) for one byte-level BPE tokenizer, so that the analyses compare
// recall and reasoning prompts of the same token lengths.
//
// Candidates. Recall: every fact under every template of its kind (prompt =
// template with the subject). Reasoning: every bank item. Every text is
// encoded with the tokenizer as it stands (no BOS or other added token).
//
// Filters, in this order; a candidate that fails one is dropped and counted
// under that reason and its kind:
//   answer_not_one_token          the answer is not exactly one token
//   subject_not_aligned           recall: the text before the subject, and the
//                                 prompt up to the subject's end, do not encode
//                                 to a prefix of the prompt's tokens (so the
//                                 subject has no token positions of its own)
//   no_corruption                 recall: no other fact of the kind under the
//                                 same template has a prompt of the same token
//                                 length and another one-token answer
//   corrupt_answer_not_one_token  reasoning: the corrupt answer is not one token
//   corrupt_length_differs        reasoning: the corrupt prompt's token length
//                                 is not the prompt's
// A recall candidate's corruption is drawn uniformly (seeded) among the facts
// that qualify under the third rule.
//
// Matching (fixed before it met any tokenizer; no setting but the seed):
// token lengths are taken in ascending order. At length L, the candidates
// left of each family are shuffled within each kind (seeded) and interleaved
// round-robin over the kinds in name order; recall candidates whose fact is
// already in the suite (at a shorter length, or earlier in this list) are
// left out. With n_L = min(recall left, reasoning left), the first n_L of
// each family go into the suite; the rest are dropped as
//   unmatched_length              no candidate of the other family was left
//                                 at this length
//   fact_already_used             recall: the fact is in the suite, or came
//                                 earlier in this length's list, under
//                                 another template
// So each length holds as many recall items as reasoning items, each fact is
// used at most once, and the kinds of a family share each length as evenly as
// the candidates allow. Counts are per candidate (a fact under one template
// is one candidate).
//
// The suite: items of each kind in a seeded random order, ids
// "<kind>-<NNN>"; split "trained" for recall items (their facts are in the
// text a model was pretrained on: that is why they were chosen) and
// "heldout" for reasoning items (their bindings are invented per prompt), the
// splits the analyses take by default for each family (docs/methods.md,
// "Items"). Recall items' meta: subject, subject_positions, corrupt_subject,
// template (its index); reasoning items keep the bank's meta. Beside the
// format's fields, "build" records what was built from and the counts (the
// suite parser ignores it):
//   {"bank": label, "bank_sha256", "tokenizer": label, "tokenizer_sha256",
//    "seed", "kept": {kind: n}, "dropped": {kind: {reason: n}},
//    "by_length": {"<L>": n per family}}
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "bank/bank.h"
#include "io/tokenizer.h"

namespace strata {

struct SuiteSource {
  const Bank& bank;
  std::string bank_sha256;
  const Tokenizer& tokenizer;
  std::string tokenizer_label;  // names the tokenizer in messages and in "build"
  std::string tokenizer_sha256;
};

// Throws Error (one line) for a tokenizer that is not byte-level BPE.
nlohmann::json build_nl_suite(const SuiteSource& source, uint64_t seed);

}  // namespace strata
