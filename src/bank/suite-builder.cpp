#include "bank/suite-builder.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <unordered_map>
#include <vector>

#include "analysis/seeded-random.h"  // header-only: draws that are the same natively and in wasm
#include "base/error.h"

namespace strata {
namespace {

using nlohmann::json;
using Tokens = std::vector<int32_t>;

struct Candidate {
  std::string kind;
  std::string family;
  std::string prompt, answer, corrupt_prompt, corrupt_answer;
  json meta;
  size_t length = 0;
  int fact = -1;  // recall: index into bank.facts
};

// Encodes each distinct text once (recall prompts are encoded again as
// corruptions of each other).
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
      : source_(source), encode_(source.tokenizer), seed_(seed), random_(derived_seed(seed, 0)) {
    for (const auto& [name, kind] : source.bank.kinds) dropped_[name] = json::object();
  }

  json build() {
    for (const auto& [name, kind] : source_.bank.kinds) {
      if (kind.family == "recall") add_recall(name, kind);
    }
    for (const BankItem& item : source_.bank.items) add_reasoning(item);
    match();
    return suite();
  }

 private:
  void drop(const std::string& kind, const char* reason) {
    json& d = dropped_[kind];
    d[reason] = d.value(reason, 0) + 1;
  }

  bool one_token(const std::string& text) { return encode_(text).size() == 1; }

  void add_recall(const std::string& name, const BankKind& kind) {
    const std::vector<BankFact>& facts = source_.bank.facts;
    for (size_t t = 0; t < kind.templates.size(); ++t) {
      const std::string& tmpl = kind.templates[t];
      const std::string before = tmpl.substr(0, tmpl.find("{subject}"));
      for (size_t f = 0; f < facts.size(); ++f) {
        const BankFact& fact = facts[f];
        if (fact.kind != name) continue;
        const std::string prompt = fill_template(tmpl, fact.subject);
        const Tokens ids = encode_(prompt);
        if (!one_token(fact.answer)) { drop(name, "answer_not_one_token"); continue; }
        // The text before the subject without its last space: the space
        // belongs to the subject's first token in byte-level BPE.
        const std::string lead = !before.empty() && before.back() == ' ' ? before.substr(0, before.size() - 1) : before;
        const Tokens lead_ids = lead.empty() ? Tokens{} : encode_(lead);
        const Tokens through_subject = encode_(before + fact.subject);
        if (!is_prefix(lead_ids, ids) || !is_prefix(through_subject, ids) || through_subject.size() <= lead_ids.size()) {
          drop(name, "subject_not_aligned");
          continue;
        }
        std::vector<size_t> partners;
        for (size_t g = 0; g < facts.size(); ++g) {
          if (g == f || facts[g].kind != name || !one_token(facts[g].answer)) continue;
          if (facts[g].answer == fact.answer) continue;  // byte-level BPE is lossless: other text, other tokens
          if (encode_(fill_template(tmpl, facts[g].subject)).size() == ids.size()) partners.push_back(g);
        }
        if (partners.empty()) { drop(name, "no_corruption"); continue; }
        const BankFact& other = facts[partners[random_.index(partners.size())]];
        json positions = json::array();
        for (size_t p = lead_ids.size(); p < through_subject.size(); ++p) positions.push_back(p);
        candidates_.push_back({name, "recall", prompt, fact.answer, fill_template(tmpl, other.subject), other.answer,
                               {{"subject", fact.subject}, {"subject_positions", positions},
                                {"corrupt_subject", other.subject}, {"template", t}},
                               ids.size(), static_cast<int>(f)});
      }
    }
  }

  void add_reasoning(const BankItem& item) {
    const std::string& kind = item.kind;
    if (!one_token(item.answer)) return drop(kind, "answer_not_one_token");
    if (!one_token(item.corrupt_answer)) return drop(kind, "corrupt_answer_not_one_token");
    const size_t length = encode_(item.prompt).size();
    if (encode_(item.corrupt_prompt).size() != length) return drop(kind, "corrupt_length_differs");
    candidates_.push_back({kind, "reasoning", item.prompt, item.answer, item.corrupt_prompt, item.corrupt_answer,
                           item.meta, length, -1});
  }

  // Candidates of one family at one length, shuffled within each kind and
  // interleaved round-robin over the kinds in name order.
  std::vector<size_t> interleaved(const std::vector<size_t>& at_length, const std::string& family) {
    std::map<std::string, std::vector<size_t>> by_kind;
    for (size_t c : at_length)
      if (candidates_[c].family == family) by_kind[candidates_[c].kind].push_back(c);
    for (auto& [kind, list] : by_kind) shuffle(list, random_);
    std::vector<size_t> out;
    for (size_t round = 0;; ++round) {
      bool any = false;
      for (const auto& [kind, list] : by_kind)
        if (round < list.size()) out.push_back(list[round]), any = true;
      if (!any) return out;
    }
  }

  void match() {
    std::map<size_t, std::vector<size_t>> by_length;
    for (size_t c = 0; c < candidates_.size(); ++c) by_length[candidates_[c].length].push_back(c);
    std::set<int> used_facts;
    for (const auto& [length, at_length] : by_length) {
      std::vector<size_t> recall;
      for (size_t c : interleaved(at_length, "recall")) {
        if (used_facts.count(candidates_[c].fact)) drop(candidates_[c].kind, "fact_already_used");
        else recall.push_back(c), used_facts.insert(candidates_[c].fact);
      }
      const std::vector<size_t> reasoning = interleaved(at_length, "reasoning");
      const size_t n = std::min(recall.size(), reasoning.size());
      for (size_t i = n; i < recall.size(); ++i) {
        used_facts.erase(candidates_[recall[i]].fact);  // free for another template at a longer length
        drop(candidates_[recall[i]].kind, "unmatched_length");
      }
      for (size_t i = n; i < reasoning.size(); ++i) drop(candidates_[reasoning[i]].kind, "unmatched_length");
      for (size_t i = 0; i < n; ++i) selected_.push_back(recall[i]), selected_.push_back(reasoning[i]);
      if (n > 0) by_length_[std::to_string(length)] = {{"recall", n}, {"reasoning", n}};
    }
  }

  json suite() {
    const Bank& bank = source_.bank;
    json kinds = json::object(), items = json::array(), kept = json::object();
    for (const auto& [name, kind] : bank.kinds) {
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
        items.push_back({{"id", name + id}, {"kind", name}, {"family", c.family},
                         {"split", c.family == "recall" ? "trained" : "heldout"}, {"prompt", c.prompt},
                         {"answer", c.answer}, {"corrupt_prompt", c.corrupt_prompt},
                         {"corrupt_answer", c.corrupt_answer}, {"meta", c.meta}});
      }
    }
    if (items.empty())
      throw Error(source_.tokenizer_label + ": no item of the bank survives for this tokenizer (dropped: " +
                  dropped_.dump() + ")");
    const json build = {{"bank", bank.label}, {"bank_sha256", source_.bank_sha256},
                        {"tokenizer", source_.tokenizer_label}, {"tokenizer_sha256", source_.tokenizer_sha256},
                        {"seed", seed_}, {"kept", kept}, {"dropped", dropped_}, {"by_length", by_length_}};
    return {{"format", "strata-suite"}, {"version", 1}, {"seed", seed_}, {"kinds", kinds}, {"items", items},
            {"build", build}};
  }

  const SuiteSource& source_;
  Encoder encode_;
  uint64_t seed_;
  SeededRandom random_;
  std::vector<Candidate> candidates_;
  std::vector<size_t> selected_;
  json dropped_ = json::object();
  json by_length_ = json::object();
};

}  // namespace

json build_nl_suite(const SuiteSource& source, uint64_t seed) {
  if (!source.tokenizer.is_byte_level_bpe())
    throw Error(source.tokenizer_label + ": not a byte-level BPE tokenizer (natural-language suites are built for "
                "GPT-2 or Qwen2 style tokenizers)");
  return Builder(source, seed).build();
}

}  // namespace strata
