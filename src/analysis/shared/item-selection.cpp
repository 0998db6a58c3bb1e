// The one item selection of the analyses over the suite (item-selection.h).
#include "analysis/shared/item-selection.h"

#include <algorithm>
#include <set>

#include "base/error.h"
#include "base/seeded-random.h"

namespace strata {

namespace {

// The purpose (base/seeded-random.h derived_seed) of kind k's draw is kSelectionPurpose + k.
constexpr uint64_t kSelectionPurpose = 0x6974'656d'7300ull;  // "items"

}  // namespace

SettingsTable item_selection_settings(const std::string& kinds_default, bool with_items_per_kind) {
  std::vector<Setting> rows = {
      names_setting("kinds", "the kinds to run on; default " + kinds_default),
      choice_setting("split", "auto", {"auto", "all", "trained", "heldout"},
                     "\"auto\" asks recall and conflict kinds about trained facts (a held-out fact cannot be known) "
                     "and every other family about held-out items")};
  if (with_items_per_kind)
    rows.push_back(integer_setting("items_per_kind", kDefaultItemsPerKind, 0, 1000000,
                                   "at most N items of each kind, drawn with the request's seed (0: every item)"));
  rows.push_back(answered_setting());
  return SettingsTable(std::move(rows));
}

ItemSelection read_item_selection(SettingsReader& settings, bool with_items_per_kind) {
  ItemSelection s;
  s.kinds = settings.get_names("kinds");
  s.split = settings.get_choice("split");
  if (with_items_per_kind) s.items_per_kind = settings.get_int("items_per_kind");
  s.keep_answered_wrong = read_keep_answered_wrong(settings);
  return s;
}

nlohmann::json to_json(const ItemSelection& selection) {
  nlohmann::json echo = {{"items_per_kind", selection.items_per_kind},
                         {"kinds", selection.kinds.empty() ? nlohmann::json(nullptr) : nlohmann::json(selection.kinds)},
                         {"split", selection.split}};
  if (selection.keep_answered_wrong) echo["answered"] = "all";
  return echo;
}

std::string split_for_family(const ItemSelection& selection, const std::string& family) {
  if (selection.split != "auto") return selection.split;
  return family == "recall" || family == "conflict" ? "trained" : "heldout";
}

int32_t single_token(const Session& session, const std::string& text, const std::string& where) {
  const std::vector<int32_t> ids = session.tokenize(text);
  if (ids.size() != 1) fail_expected(where, "a single token", std::to_string(ids.size()) + " tokens");
  return ids[0];
}

SelectedItems select_suite_items(const Session& session, const Suite& suite, const ItemSelection& selection,
                                 uint64_t seed, const std::string& analysis, size_t offset) {
  for (const std::string& name : selection.kinds)
    if (!suite.kinds.count(name)) throw Error(analysis + ".kinds: \"" + name + "\" is not a kind of this suite");
  const std::set<std::string>& wrong = answered_wrong(session, suite, selection.keep_answered_wrong);
  const bool marked = !selection.keep_answered_wrong && !suite.answered_wrong.weights_sha256.empty();

  SelectedItems out;
  uint64_t kind_number = 0;
  for (const auto& [name, kind] : suite.kinds) {  // the suite's order, whatever order the setting gave
    const uint64_t purpose = kSelectionPurpose + kind_number++;
    const bool named = std::count(selection.kinds.begin(), selection.kinds.end(), name) > 0;
    if (selection.kinds.empty() ? kind.optional : !named) continue;
    SelectedKind k{name, kind.family, split_for_family(selection, kind.family), {}, marked ? 0 : -1};
    size_t in_split = 0;
    for (size_t i = 0; i < suite.items.size(); ++i) {
      const SuiteItem& item = suite.items[i];
      if (item.kind != name || (k.split != "all" && item.split != k.split)) continue;
      ++in_split;
      if (wrong.count(item.id)) ++k.answered_wrong;
      else k.items.push_back(i);
    }
    // By default a kind with no item in its split is passed over, and one the
    // model answers no item of is left out and named: neither is an error.
    if (selection.kinds.empty() && in_split == 0) continue;
    if (marked) out.answered_wrong[name] = k.answered_wrong;
    if (selection.kinds.empty() && k.items.empty()) {
      out.all_wrong_kinds.push_back(name);
      continue;
    }
    SeededRandom rng(derived_seed(seed, purpose));
    for (size_t i = k.items.size(); i > 1; --i) std::swap(k.items[i - 1], k.items[rng.index(i)]);
    const size_t from = std::min(offset, k.items.size());
    const size_t n = selection.items_per_kind > 0 ? static_cast<size_t>(selection.items_per_kind) : k.items.size();
    k.items = std::vector<size_t>(k.items.begin() + from, k.items.begin() + std::min(k.items.size(), from + n));
    std::sort(k.items.begin(), k.items.end());
    if (k.items.empty())
      throw Error(analysis + ": kind \"" + name + "\" has no " + (k.split == "all" ? "" : k.split + " ") + "items" +
                  (offset ? " after the first " + std::to_string(offset) : std::string()) +
                  (k.answered_wrong > 0 ? " the model answers right (" + std::to_string(k.answered_wrong) +
                                              " answered wrong are left out)"
                                        : std::string()) +
                  " (settings kinds, split, items_per_kind)");
    out.kinds.push_back(std::move(k));
  }
  if (out.kinds.empty() && !out.all_wrong_kinds.empty())
    throw Error(analysis + ": the model answers no item of any kind right (the suite marks them answered_wrong), "
                "and the analyses use the items a model answers right");
  if (out.kinds.empty())
    throw Error(analysis + ".kinds: the suite has no kind that is not optional with items in the split; name the kinds");
  return out;
}

}  // namespace strata
