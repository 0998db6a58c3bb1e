// Which suite items an analysis runs on: one vocabulary and one rule for every
// analysis over the suite (the rows of item_selection_settings):
//
//   kinds           the kinds, by name; by default every kind the suite does
//                   not mark optional (and, when the suite marks the items the
//                   model answers wrong, that has an item it answers right)
//   split           "auto" asks recall and conflict kinds about trained facts
//                   (a held-out fact cannot be known) and every other family
//                   about held-out items; or "all", "trained", "heldout"
//   items_per_kind  at most N items of each kind, drawn with the request's
//                   seed (0: every item)
//   answered        "right" leaves out the items the suite marks as answered
//                   wrong by the loaded model; "all" keeps them
//
// Per kind, the items in its split that are kept are put in one order drawn
// from the seed and the kind (not from the other kinds asked for); an analysis
// takes the first N of that order, or the slice after an offset (the circuits'
// nested item sets), and gets them back in suite order. So a smaller N draws a
// subset of a larger one, which is what a time budget's cut relies on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/analysis.h"
#include "analysis/settings.h"

namespace strata {

inline constexpr int kDefaultItemsPerKind = 32;

inline constexpr const char* kEveryRequiredKind =
    "every kind of the suite that is not marked optional (and, when the suite marks the items the model answers "
    "wrong, has an item it answers right)";

struct ItemSelection {
  std::vector<std::string> kinds;  // empty: every required kind
  std::string split = "auto";      // "auto" | "all" | "trained" | "heldout"
  int items_per_kind = kDefaultItemsPerKind;  // 0: every item
  bool keep_answered_wrong = false;            // "answered": "all"
};

// The rows kinds (documented with `kinds_default`), split, items_per_kind
// (without it for an analysis that sizes its own item sets) and answered.
SettingsTable item_selection_settings(const std::string& kinds_default = kEveryRequiredKind,
                                      bool with_items_per_kind = true);
ItemSelection read_item_selection(SettingsReader& settings, bool with_items_per_kind = true);

// The echo: {"kinds": [...] or null, "split", "items_per_kind", "answered": "all" (only then)}.
nlohmann::json to_json(const ItemSelection& selection);

// The split the items of `family` are drawn from ("trained", "heldout" or "all").
std::string split_for_family(const ItemSelection& selection, const std::string& family);

// The one token `text` tokenizes to; throws naming `where` when it is not one token.
int32_t single_token(const Session& session, const std::string& text, const std::string& where);

struct SelectedKind {
  std::string name, family, split;
  std::vector<size_t> items;  // indices into Suite::items, in suite order
  int answered_wrong = -1;    // the kind's items in its split left out as answered wrong; -1: the suite has no marks
};

struct SelectedItems {
  std::vector<SelectedKind> kinds;           // in the suite's order of kinds (by name)
  std::vector<std::string> all_wrong_kinds;  // default kinds left out: the model answers none of their items
  // {kind: items in its split left out as answered wrong} for the kinds above
  // and all_wrong_kinds; null when the suite has no marks (or "answered" is "all")
  nlohmann::json answered_wrong;
};

// The items of each kind, after skipping the first `offset` of its drawn
// order. Throws naming `analysis` and the setting when a kind is unknown, when
// a kind has no item left, or when no kind is left at all.
SelectedItems select_suite_items(const Session& session, const Suite& suite, const ItemSelection& selection,
                                 uint64_t seed, const std::string& analysis, size_t offset = 0);

}  // namespace strata
