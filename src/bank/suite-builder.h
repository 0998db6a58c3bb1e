// A prompt suite (io/suite.h's format) built from the natural-language bank
// (bank.h) for one byte-level BPE tokenizer, so that the analyses compare
// recall and reasoning prompts of one token length.
//
// Candidates. Every fact and every reasoning item under every lead-in of the
// bank: recall prompt = lead-in + template with the subject; reasoning prompt
// (and corrupt prompt) = lead-in + the item's. Texts are encoded with the
// tokenizer as they stand (no BOS or other added token).
//
// Filters, in this order; a candidate that fails one is dropped and counted
// under that reason and its kind:
//   answer_not_one_token          the answer is not exactly one token
//   subject_not_aligned           recall: the text before the subject, and the
//                                 prompt up to the subject's end, do not encode
//                                 to a prefix of the prompt's tokens (so the
//                                 subject has no token positions of its own)
//   no_corruption                 recall: no other fact of the kind under the
//                                 same lead-in has a prompt of the same token
//                                 length and another one-token answer
//   corrupt_answer_not_one_token  reasoning: the corrupt answer is not one token
//   corrupt_length_differs        reasoning: the corrupt prompt's token length
//                                 is not the prompt's
// A recall candidate's corruption is drawn uniformly (seeded) among the facts
// that qualify under the third rule. (The bank refuses an item whose two
// answers are the same text; byte-level BPE encodes other text to other
// tokens.)
//
// Matching (the same for every tokenizer; no setting but the seed). The
// sweeps need one prompt length for every item (io/suite.h), so the suite has
// one: of the token lengths with candidates left, the one at which the most
// kinds have candidates, then the most pairs (the fewer of the distinct facts
// and distinct reasoning items there), then the shortest. At that length the
// candidates of each family are shuffled within each kind (seeded) and
// interleaved round-robin over the kinds in name order, leaving out a fact or
// item already earlier in the list (under another lead-in); with n = the
// shorter list's length, the first n of each family go into the suite. The
// other candidates are dropped as
//   other_length                  their prompt has another token length
//   duplicate                     their fact or item is earlier in the list
//   unmatched                     past the first n of their family
// So the suite holds as many recall as reasoning items, all of one token
// length, each fact and item at most once, the kinds of a family as evenly
// as the candidates allow. Counts are per candidate (a fact or item under one
// lead-in is one candidate).
//
// The suite: items of each kind in a seeded random order, ids
// "<kind>-<NNN>"; split "trained" for recall items (their facts are in the
// text a model was pretrained on: that is why they were chosen) and
// "heldout" for reasoning items (their bindings are invented per prompt), the
// splits the analyses take by default for each family (docs/methods.md,
// "Items"). Recall items' meta: subject, subject_positions, corrupt_subject,
// lead_in (its index); reasoning items' meta: the bank's, and lead_in.
// "prompt_tokens" is the common length, as in the shipped suites. Beside the
// format's fields, "build" records what it was built from and the counts
// (the suite parser ignores both):
//   {"bank": label, "bank_sha256", "tokenizer": label, "tokenizer_sha256",
//    "seed", "kept": {kind: n}, "dropped": {kind: {reason: n}},
//    "lengths": {"<L>": {"kinds", "recall", "reasoning"}}}   (distinct facts
//                                  and items with a candidate left at L)
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
