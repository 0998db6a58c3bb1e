#include "bank/suite-builder.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "base/seeded-random.h"  // header-only: draws that are the same natively and in wasm
#include "base/error.h"

namespace strata {
namespace {

using nlohmann::json;
using Tokens = std::vector<int32_t>;

struct Candidate {
  std::string kind;
  bool recall = false;
  std::string prompt, answer, corrupt_prompt, corrupt_answer;
  json meta;
  size_t length = 0;
  size_t source = 0;  // the fact (recall) or item (reasoning) index in the bank
};

// Encodes each distinct text once (recall prompts come back as each other's
// corruptions).
class Encoder {
 public:
  explicit Encoder(const Tokenizer& tokenizer) : tokenizer_(tokenizer) {}
  const Tokens& operator()(const std::string& text) {
    auto it = cache_.find(text);
    if (it == cache_.end()) it = cache_.emplace(text, tokenizer_.encode(text, "bank text")).first;
    return it->second;
  }

 private:
  const Tokenizer& tokenizer_;
  std::unordered_map<std::string, Tokens> cache_;
};

bool is_prefix(const Tokens& prefix, const Tokens& of) {
  return prefix.size() <= of.size() && std::equal(prefix.begin(), prefix.end(), of.begin());
}

template <class T>
void shuffle(std::vector<T>& list, SeededRandom& random) {  // Fisher–Yates on the seeded draws
  for (size_t i = list.size(); i > 1; --i) std::swap(list[i - 1], list[random.index(i)]);
}

class Builder {
 public:
  Builder(const SuiteSource& source, uint64_t seed)
      : source_(source), bank_(source.bank), encode_(source.tokenizer), seed_(seed), random_(derived_seed(seed, 0)) {
    for (const auto& [name, kind] : bank_.kinds) dropped_[name] = json::object();
  }

  json build() {
    for (size_t l = 0; l < bank_.lead_ins.size(); ++l) {
      // Each fact's prompt length under this lead-in (0: its answer is not one
      // token), so that finding corruptions compares numbers, not texts.
      std::vector<size_t> lengths(bank_.facts.size(), 0);
      for (size_t f = 0; f < bank_.facts.size(); ++f)
        if (one_token(bank_.facts[f].answer)) lengths[f] = encode_(fact_prompt(f, l)).size();
      for (size_t f = 0; f < bank_.facts.size(); ++f) add_fact(f, l, lengths);
      for (size_t i = 0; i < bank_.items.size(); ++i) add_item(i, l);
    }
    match(choose_length());
    return suite();
  }

 private:
  void drop(const std::string& kind, const char* reason) {
    json& d = dropped_[kind];
    d[reason] = d.value(reason, 0) + 1;
  }

  bool one_token(const std::string& text) { return encode_(text).size() == 1; }

  std::string fact_template(size_t f, size_t l) const {
    return bank_.lead_ins[l] + bank_.kinds.at(bank_.facts[f].kind).template_text;
  }
  std::string fact_prompt(size_t f, size_t l) const { return fill_template(fact_template(f, l), bank_.facts[f].subject); }

  void add_fact(size_t f, size_t l, const std::vector<size_t>& lengths) {
    const BankFact& fact = bank_.facts[f];
    if (lengths[f] == 0) return drop(fact.kind, "answer_not_one_token");
    const std::string tmpl = fact_template(f, l);
    const std::string before = tmpl.substr(0, tmpl.find("{subject}"));
    const std::string prompt = fill_template(tmpl, fact.subject);
    const Tokens ids = encode_(prompt);
    // The text before the subject without its last space: in byte-level BPE
    // the space belongs to the subject's first token.
    const std::string lead = !before.empty() && before.back() == ' ' ? before.substr(0, before.size() - 1) : before;
    const Tokens lead_ids = lead.empty() ? Tokens{} : encode_(lead);
    const Tokens through_subject = encode_(before + fact.subject);
    if (!is_prefix(lead_ids, ids) || !is_prefix(through_subject, ids) || through_subject.size() <= lead_ids.size())
      return drop(fact.kind, "subject_not_aligned");
    std::vector<size_t> partners;
    for (size_t g = 0; g < bank_.facts.size(); ++g) {
      const BankFact& other = bank_.facts[g];
      if (lengths[g] == ids.size() && other.kind == fact.kind && other.answer != fact.answer) partners.push_back(g);
    }
    if (partners.empty()) return drop(fact.kind, "no_corruption");
    const BankFact& other = bank_.facts[partners[random_.index(partners.size())]];
    json positions = json::array();
    for (size_t p = lead_ids.size(); p < through_subject.size(); ++p) positions.push_back(p);
    candidates_.push_back({fact.kind, true, prompt, fact.answer, fill_template(tmpl, other.subject), other.answer,
                           {{"subject", fact.subject}, {"subject_positions", positions},
                            {"corrupt_subject", other.subject}, {"lead_in", l}},
                           ids.size(), f});
  }

  void add_item(size_t i, size_t l) {
    const BankItem& item = bank_.items[i];
    const std::string prompt = bank_.lead_ins[l] + item.prompt;
    const std::string corrupt_prompt = bank_.lead_ins[l] + item.corrupt_prompt;
    if (!one_token(item.answer)) return drop(item.kind, "answer_not_one_token");
    if (!one_token(item.corrupt_answer)) return drop(item.kind, "corrupt_answer_not_one_token");
    const size_t length = encode_(prompt).size();
    if (encode_(corrupt_prompt).size() != length) return drop(item.kind, "corrupt_length_differs");
    json meta = item.meta;
    meta["lead_in"] = l;
    candidates_.push_back({item.kind, false, prompt, item.answer, corrupt_prompt, item.corrupt_answer, meta, length, i});
  }

  // The length with the most kinds, then the most pairs, then the shortest.
  size_t choose_length() {
    struct At {
      std::set<std::string> kinds;
      std::set<size_t> facts, items;
    };
    std::map<size_t, At> at;
    for (const Candidate& c : candidates_) {
      At& a = at[c.length];
      a.kinds.insert(c.kind);
      (c.recall ? a.facts : a.items).insert(c.source);
    }
    size_t best = 0;
    std::tuple<size_t, size_t> best_score{0, 0};
    for (const auto& [length, a] : at) {
      lengths_[std::to_string(length)] = {{"kinds", a.kinds.size()}, {"recall", a.facts.size()}, {"reasoning", a.items.size()}};
      const std::tuple<size_t, size_t> score{a.kinds.size(), std::min(a.facts.size(), a.items.size())};
      if (score > best_score) best = length, best_score = score;  // strictly more: ties keep the shorter
    }
    if (std::get<1>(best_score) == 0)
      throw Error(source_.tokenizer_label + ": no token length has both a recall and a reasoning item of the bank "
                  "left (dropped: " + dropped_.dump() + ")");
    return best;
  }

  // Candidates of one family at the length, shuffled within each kind,
  // interleaved round-robin over the kinds in name order, each fact or item once.
  std::vector<size_t> interleaved(size_t length, bool recall) {
    std::map<std::string, std::vector<size_t>> by_kind;
    for (size_t c = 0; c < candidates_.size(); ++c)
      if (candidates_[c].length == length && candidates_[c].recall == recall) by_kind[candidates_[c].kind].push_back(c);
    for (auto& [kind, list] : by_kind) shuffle(list, random_);
    std::vector<size_t> out;
    std::set<size_t> sources;
    for (size_t round = 0;; ++round) {
      bool any = false;
      for (const auto& [kind, list] : by_kind) {
        if (round >= list.size()) continue;
        any = true;
        const Candidate& c = candidates_[list[round]];
        if (sources.insert(c.source).second) out.push_back(list[round]);
        else drop(c.kind, "duplicate");
      }
      if (!any) return out;
    }
  }

  void match(size_t length) {
    length_ = length;
    for (const Candidate& c : candidates_)
      if (c.length != length) drop(c.kind, "other_length");
    const std::vector<size_t> recall = interleaved(length, true);
    const std::vector<size_t> reasoning = interleaved(length, false);
    const size_t n = std::min(recall.size(), reasoning.size());
    for (const std::vector<size_t>* family : {&recall, &reasoning}) {
      for (size_t i = 0; i < family->size(); ++i) {
        if (i < n) selected_.push_back((*family)[i]);
        else drop(candidates_[(*family)[i]].kind, "unmatched");
      }
    }
  }

  json suite() {
    json kinds = json::object(), items = json::array(), kept = json::object();
    for (const auto& [name, kind] : bank_.kinds) {
      std::vector<size_t> of_kind;
      for (size_t c : selected_)
        if (candidates_[c].kind == name) of_kind.push_back(c);
      kept[name] = of_kind.size();
      if (of_kind.empty()) continue;
      kinds[name] = {{"family", kind.family}, {"optional", false}};
      if (kind.chance > 0) kinds[name]["chance"] = kind.chance;
      shuffle(of_kind, random_);
      for (size_t i = 0; i < of_kind.size(); ++i) {
        const Candidate& c = candidates_[of_kind[i]];
        char id[32];
        std::snprintf(id, sizeof id, "-%03zu", i);
        items.push_back({{"id", name + id}, {"kind", name}, {"family", kind.family},
                         {"split", c.recall ? "trained" : "heldout"}, {"prompt", c.prompt}, {"answer", c.answer},
                         {"corrupt_prompt", c.corrupt_prompt}, {"corrupt_answer", c.corrupt_answer}, {"meta", c.meta}});
      }
    }
    const json build = {{"bank", bank_.label}, {"bank_sha256", source_.bank_sha256},
                        {"tokenizer", source_.tokenizer_label}, {"tokenizer_sha256", source_.tokenizer_sha256},
                        {"seed", seed_}, {"kept", kept}, {"dropped", dropped_}, {"lengths", lengths_}};
    return {{"format", "strata-suite"}, {"version", 1}, {"seed", seed_}, {"prompt_tokens", length_},
            {"kinds", kinds}, {"items", items}, {"build", build}};
  }

  const SuiteSource& source_;
  const Bank& bank_;
  Encoder encode_;
  uint64_t seed_;
  SeededRandom random_;
  std::vector<Candidate> candidates_;
  std::vector<size_t> selected_;
  size_t length_ = 0;
  json dropped_ = json::object();
  json lengths_ = json::object();
};

}  // namespace

json build_nl_suite(const SuiteSource& source, uint64_t seed) {
  if (!source.tokenizer.is_byte_level_bpe())
    throw Error(source.tokenizer_label + ": not a byte-level BPE tokenizer (natural-language suites are built for "
                "GPT-2 or Qwen2 style tokenizers)");
  return Builder(source, seed).build();
}

}  // namespace strata
