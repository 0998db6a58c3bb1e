// Logistic-regression probes per layer boundary, with a control task and a
// randomly initialised model (see probes.h).
#include "analysis/study/probes.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "analysis/shared/statistics.h"
#include "analysis/study/study-features.h"
#include "base/error.h"
#include "base/seeded-random.h"
#include "model/forward.h"
#include "model/hooks.h"

namespace strata {

using nlohmann::json;

// --- the analysis ---------------------------------------------------------------

const SettingsTable& probes_settings() {
  static const SettingsTable table =
      item_selection_settings() +
      SettingsTable{number_setting("test_fraction", 0.2, 0.05, 0.5,
                                   "per kind, this share of items (at least 1) is held out for testing"),
                    number_setting("l2", 1e-3, 0.0, 100.0, "the probe's L2 penalty"),
                    integer_setting("iterations", 100, 1, 5000, "the probe's optimiser iterations"),
                    flag_setting("random_model", true, "fit the same probes on a randomly initialised model"),
                    random_std_setting()};
  return table;
}

namespace {

struct Settings {
  ItemSelection items;
  double test_fraction = 0.2;
  ProbeSettings probe;
  bool random_model = true;
  double random_std = 0.02;
  json echo;  // every setting with the value used
};

Settings read_settings(const json& settings) {
  SettingsReader r(settings, "probes", probes_settings());
  Settings s;
  s.items = read_item_selection(r);
  s.test_fraction = r.get_double("test_fraction");
  s.probe.l2 = r.get_double("l2");
  s.probe.iterations = r.get_int("iterations");
  s.random_model = r.get_bool("random_model");
  s.random_std = r.get_double("random_std");
  r.finish();
  s.echo = r.echo();
  return s;
}

// Salted seeds, so that the split, the control labels and the random weights draw independent streams.

// Per kind, ceil(fraction · n) items (at least 1, and leaving at least 1) go to the test set.
std::vector<char> test_mask(const StudyItems& items, double fraction, uint64_t seed) {
  std::map<int, std::vector<size_t>> by_kind;
  for (size_t i = 0; i < items.items.size(); ++i) by_kind[items.kind_index[i]].push_back(i);
  PortableRandom rng(salted_seed(seed, 1));
  std::vector<char> test(items.items.size(), 0);
  for (auto& [kind, members] : by_kind) {
    if (members.size() < 2) continue;
    for (size_t i = members.size(); i > 1; --i) std::swap(members[i - 1], members[rng.below(static_cast<uint32_t>(i))]);
    const size_t n_test = std::clamp<size_t>(static_cast<size_t>(std::ceil(fraction * members.size())), 1, members.size() - 1);
    for (size_t r = 0; r < n_test; ++r) test[members[r]] = 1;
  }
  return test;
}

// Residual stream at the last token of every boundary, per boundary (n_items, d_model).
std::vector<Eigen::MatrixXd> boundary_features(const Model& model, const StudyItems& items, const AnalysisRequest& request,
                                               double from, double to, const std::string& what) {
  const ModelConfig& c = model.config;
  std::vector<HookId> hooks;
  for (int l = 0; l < c.n_layers; ++l) hooks.push_back({HookKind::ResidPre, l});
  hooks.push_back({HookKind::ResidPost, c.n_layers - 1});
  RunOptions options;
  options.capture = hooks;
  const size_t n = items.items.size();
  std::vector<Eigen::MatrixXd> X(hooks.size(), Eigen::MatrixXd(n, c.d_model));
  const size_t step = std::max<size_t>(1, n / 20);
  for (size_t i = 0; i < n; ++i) {
    if (i % step == 0) request.report(from + (to - from) * static_cast<double>(i) / n, what);
    const RunResult r = run_item(model, items, i, options);
    for (size_t b = 0; b < hooks.size(); ++b) {
      const Tensor& t = r.cache.at(hooks[b]);
      const int64_t last = t.shape[0] - 1;
      for (int k = 0; k < c.d_model; ++k) X[b](i, k) = t.data[last * c.d_model + k];
    }
  }
  return X;
}

// One labelling task: labels per item (−1: not part of the task, or a class unseen in training).
struct Task {
  std::vector<std::string> classes;
  std::vector<int> label;
  std::vector<int> control;
  std::vector<char> in_task;
};

// The control labels: per type of the token the probe reads (the last one), a
// label drawn from the training labels.
std::vector<int> control_labels(const StudyItems& items, const Task& task, const std::vector<char>& test, uint64_t seed) {
  std::vector<int> train_labels;
  std::set<int32_t> types;
  auto type_of = [&](size_t i) { return items.tokens[i].back(); };
  for (size_t i = 0; i < items.items.size(); ++i) {
    if (!task.in_task[i]) continue;
    types.insert(type_of(i));
    if (!test[i]) train_labels.push_back(task.label[i]);
  }
  PortableRandom rng(seed);
  std::map<int32_t, int> drawn;
  for (int32_t t : types) drawn[t] = train_labels[rng.below(static_cast<uint32_t>(train_labels.size()))];
  std::vector<int> out(items.items.size(), -1);
  for (size_t i = 0; i < items.items.size(); ++i)
    if (task.in_task[i]) out[i] = drawn[type_of(i)];
  return out;
}

Task family_task(const StudyItems& items) {
  Task t;
  t.classes = {"recall", "reasoning"};
  for (ItemGroup g : items.groups) {
    t.in_task.push_back(g != ItemGroup::Mixed);
    t.label.push_back(g == ItemGroup::Recall ? 0 : g == ItemGroup::Reasoning ? 1 : -1);
  }
  return t;
}

Task answer_task(const StudyItems& items, const std::vector<char>& test) {
  Task t;
  std::set<std::string> seen;
  for (size_t i = 0; i < items.items.size(); ++i)
    if (!test[i]) seen.insert(items.items[i]->answer);
  t.classes.assign(seen.begin(), seen.end());
  for (const SuiteItem* item : items.items) {
    const auto it = std::lower_bound(t.classes.begin(), t.classes.end(), item->answer);
    t.in_task.push_back(1);
    t.label.push_back(it != t.classes.end() && *it == item->answer ? static_cast<int>(it - t.classes.begin()) : -1);
  }
  return t;
}

struct Split {
  std::vector<size_t> train, test;
};

Split split_task(const Task& task, const std::vector<char>& test) {
  Split s;
  for (size_t i = 0; i < task.in_task.size(); ++i) {
    if (!task.in_task[i]) continue;
    (test[i] ? s.test : s.train).push_back(i);
  }
  return s;
}

Eigen::MatrixXd rows_of(const Eigen::MatrixXd& X, const std::vector<size_t>& rows) {
  Eigen::MatrixXd out(rows.size(), X.cols());
  for (size_t r = 0; r < rows.size(); ++r) out.row(r) = X.row(rows[r]);
  return out;
}

std::vector<int> pick(const std::vector<int>& v, const std::vector<size_t>& rows) {
  std::vector<int> out;
  for (size_t r : rows) out.push_back(v[r]);
  return out;
}

double majority_accuracy(const Task& task, const Split& split) {
  if (split.train.empty() || split.test.empty()) return std::nan("");
  std::vector<int> counts(task.classes.size(), 0);
  for (size_t i : split.train) counts[task.label[i]] += 1;
  const int best = static_cast<int>(std::max_element(counts.begin(), counts.end()) - counts.begin());
  return accuracy(std::vector<int>(split.test.size(), best), pick(task.label, split.test));
}

// An accuracy, or null when there was nothing to score (never 0 for "no items").
json accuracy_json(double x) { return std::isnan(x) ? json(nullptr) : json(x); }

// The most frequent training label's test accuracy, or null with the reason.
void add_majority_accuracy(json& task_out, const Task& task, const Split& split) {
  task_out["majority_accuracy"] = accuracy_json(majority_accuracy(task, split));
  if (task_out["majority_accuracy"].is_null())
    task_out["majority_accuracy_reason"] = split.train.empty() ? "no training items" : "no test items";
}

json probe_boundary(const Eigen::MatrixXd& X, const Task& task, const Split& split, const StudyItems& items,
                    const ProbeSettings& s, bool per_family) {
  json out = json::object();
  if (split.train.empty() || split.test.empty()) {
    for (const char* key : {"train_accuracy", "test_accuracy", "control_accuracy", "selectivity"}) out[key] = nullptr;
    out["reason"] = split.train.empty() ? "no training items" : "no test items";
    return out;
  }
  const int k = static_cast<int>(task.classes.size());
  const Eigen::MatrixXd train = rows_of(X, split.train), test = rows_of(X, split.test);
  const std::vector<int> y_train = pick(task.label, split.train), y_test = pick(task.label, split.test);
  const LogisticProbe probe = fit_probe(train, y_train, k, s);
  const std::vector<int> predicted = probe_predict(probe, test);
  const LogisticProbe control = fit_probe(train, pick(task.control, split.train), k, s);
  const double test_accuracy = accuracy(predicted, y_test);
  const double control_accuracy = accuracy(probe_predict(control, test), pick(task.control, split.test));
  out = {{"train_accuracy", accuracy(probe_predict(probe, train), y_train)},
         {"test_accuracy", test_accuracy},
         {"control_accuracy", control_accuracy},
         {"selectivity", test_accuracy - control_accuracy}};
  if (per_family) {
    for (ItemGroup g : {ItemGroup::Recall, ItemGroup::Reasoning}) {
      std::vector<int> p, t;
      for (size_t r = 0; r < split.test.size(); ++r)
        if (items.groups[split.test[r]] == g) {
          p.push_back(predicted[r]);
          t.push_back(y_test[r]);
        }
      const std::string key = std::string("test_accuracy_") + group_name(g);
      out[key] = accuracy_json(accuracy(p, t));
      if (t.empty()) out[key + "_reason"] = std::string("no ") + group_name(g) + " test items";
    }
  }
  return out;
}

// Beside each trained-model probe, the same probe's test accuracy on the
// random model and the selectivity against it (null, with the reason, when
// either side has no accuracy).
void add_random_baseline(json& trained, const json& random) {
  for (size_t b = 0; b < trained.size(); ++b) {
    json& t = trained[b];
    const json& r = random[b]["test_accuracy"];
    t["random_accuracy"] = r;
    if (t["test_accuracy"].is_null() || r.is_null()) {
      t["selectivity_vs_random"] = nullptr;
      t["selectivity_vs_random_reason"] = "no test accuracy on one of the models";
    } else {
      t["selectivity_vs_random"] = t["test_accuracy"].get<double>() - r.get<double>();
    }
  }
}

}  // namespace

json run_probes(const AnalysisRequest& request) {
  const Settings s = read_settings(request.settings);
  const Suite& suite = request.require_suite("probes");
  const Model& model = request.session.model();
  request.report(0.0, "selecting items");
  const StudyItems items = select_study_items(request.session, suite, s.items, request.seed, "probes");
  const std::vector<char> test = test_mask(items, s.test_fraction, request.seed);

  Task family = family_task(items);
  Task answer = answer_task(items, test);
  family.control = control_labels(items, family, test, salted_seed(request.seed, 2));
  answer.control = control_labels(items, answer, test, salted_seed(request.seed, 3));
  const Split family_split = split_task(family, test), answer_split = split_task(answer, test);

  std::vector<std::string> boundaries;
  for (int l = 0; l < model.config.n_layers; ++l) boundaries.push_back(hook_name({HookKind::ResidPre, l}));
  boundaries.push_back(hook_name({HookKind::ResidPost, model.config.n_layers - 1}));

  // The number of probed-token types the control labels: with one (every prompt ends in the same
  // token) the control is a constant, trivially learnt, and selectivity against it says nothing.
  std::set<int32_t> types;
  for (const auto& t : items.tokens) types.insert(t.back());
  json family_out = {{"classes", family.classes}, {"control_types", types.size()}};
  json answer_out = {{"classes", answer.classes}, {"control_types", types.size()}};
  add_majority_accuracy(family_out, family, family_split);
  add_majority_accuracy(answer_out, answer, answer_split);
  auto probe_model = [&](const Model& m, const std::string& name, double from, double to) {
    const std::vector<Eigen::MatrixXd> X = boundary_features(m, items, request, from, from + (to - from) * 0.3,
                                                             "residual stream (" + name + ")");
    json fam = json::array(), ans = json::array();
    for (size_t b = 0; b < X.size(); ++b) {
      request.report(from + (to - from) * (0.3 + 0.7 * b / X.size()), "probes " + boundaries[b] + " (" + name + ")");
      json f = probe_boundary(X[b], family, family_split, items, s.probe, false);
      json a = probe_boundary(X[b], answer, answer_split, items, s.probe, true);
      f["boundary"] = a["boundary"] = boundaries[b];
      fam.push_back(f);
      ans.push_back(a);
    }
    family_out[name] = fam;
    answer_out[name] = ans;
  };
  probe_model(model, "trained", 0.0, s.random_model ? 0.5 : 1.0);
  if (s.random_model) {
    probe_model(random_copy(model, salted_seed(request.seed, 4), s.random_std), "random", 0.5, 1.0);
    add_random_baseline(family_out["trained"], family_out["random"]);
    add_random_baseline(answer_out["trained"], answer_out["random"]);
  }
  request.report(1.0, "done");

  return {{"items", describe_items(items, s.items)},
          {"train_items", std::count(test.begin(), test.end(), 0)},
          {"test_items", std::count(test.begin(), test.end(), 1)},
          {"boundaries", boundaries},
          {"control", "labels drawn per type of the probed token (the last one), from the training labels"},
          {"settings", s.echo},
          {"family", family_out},
          {"answer", answer_out}};
}

}  // namespace strata
