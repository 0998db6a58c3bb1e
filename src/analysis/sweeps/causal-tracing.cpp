// Causal tracing: subject noise, clean and corrupted caches, restored runs.
#include "analysis/sweeps/causal-tracing.h"

#include <algorithm>
#include <cmath>

#include "analysis/sweeps/sweep-budget.h"
#include "base/seeded-random.h"
#include "base/error.h"

namespace strata {

using nlohmann::json;

namespace {

std::vector<int> subject_positions(const SweepItem& item, int64_t n_pos) {
  const std::string where = "suite item \"" + item.item->id + "\": meta.subject_positions";
  const json& meta = item.item->meta;
  if (!meta.is_object() || !meta.contains("subject_positions"))
    throw Error(where + ": missing (causal tracing needs the subject's token positions)");
  const json& list = meta["subject_positions"];
  const std::string expected = "a non-empty array of distinct positions in [0, " + std::to_string(n_pos) + ")";
  if (!list.is_array() || list.empty()) fail_expected(where, expected, list.dump());
  std::vector<int> out;
  for (const json& p : list) {
    if (!p.is_number_integer() || p.get<int64_t>() < 0 || p.get<int64_t>() >= n_pos ||
        std::count(out.begin(), out.end(), p.get<int>()))
      fail_expected(where, expected, list.dump());
    out.push_back(p.get<int>());
  }
  std::sort(out.begin(), out.end());
  return out;
}

double answer_probability(const RowVec& logits, int32_t answer) {
  const double max = logits.maxCoeff();
  double total = 0;
  for (Eigen::Index i = 0; i < logits.size(); ++i) total += std::exp(static_cast<double>(logits[i]) - max);
  return std::exp(static_cast<double>(logits[answer]) - max) / total;
}

// Would the restoration change the corrupted run? Not when every restored
// state already holds its clean value (a position before the subject: causal
// attention keeps the noise out of it); then the restored run is the
// corrupted run and need not be run.
bool restores_anything(const std::vector<Intervention>& restore, const ActivationCache& corrupted) {
  for (const Intervention& iv : restore) {
    const Tensor& before = corrupted.at(iv.hook);
    Tensor after = before;
    apply_intervention(iv, after.data.data(), after.shape);
    if (after.data != before.data) return true;
  }
  return false;
}

// The recall kinds of the suite that are not optional.
std::vector<std::string> recall_kinds(const Suite& suite) {
  std::vector<std::string> out;
  for (const auto& [name, kind] : suite.kinds)
    if (kind.family == "recall" && !kind.optional) out.push_back(name);
  if (out.empty()) throw Error("causal-tracing.kinds: the suite has no recall kind that is not optional; name the kinds");
  return out;
}

}  // namespace

json TraceSite::to_json() const {
  json j = {{"level", level}, {"position", position}, {"label", label}};
  j[level == "resid" ? "boundary" : "layer"] = layer;
  json hook_names = json::array(), layers = json::array();
  for (const HookId& h : hooks) {
    hook_names.push_back(hook_name(h));
    layers.push_back(h.layer);
  }
  j["hooks"] = hook_names;
  if (level != "resid") j["layers"] = layers;
  return j;
}

std::vector<TraceSite> trace_sites(const ModelConfig& config, int64_t n_pos, const std::vector<std::string>& levels,
                                   int window) {
  std::vector<TraceSite> out;
  for (const std::string level : {"resid", "mlp", "attn"}) {
    if (std::find(levels.begin(), levels.end(), level) == levels.end()) continue;
    const int layers = level == "resid" ? config.n_layers + 1 : config.n_layers;
    for (int l = 0; l < layers; ++l)
      for (int p = 0; p < n_pos; ++p) {
        TraceSite s{level, l, p, {}, {}};
        if (level == "resid") {
          s.hooks = {boundary_hook(config, l)};
          s.label = "resid " + std::to_string(l) + " @" + std::to_string(p);
        } else {
          const int lo = std::max(0, l - window / 2), hi = std::min(config.n_layers, l + (window + 1) / 2);
          for (int k = lo; k < hi; ++k) s.hooks.push_back({level == "mlp" ? HookKind::MlpOut : HookKind::AttnOut, k});
          s.label = "L" + std::to_string(lo) + (hi - lo > 1 ? "-" + std::to_string(hi - 1) : "") + " " + level + " @" +
                    std::to_string(p);
        }
        out.push_back(std::move(s));
      }
  }
  return out;
}

const SettingsTable& causal_tracing_settings() {
  static const SettingsTable table =
      item_selection_settings("the recall kinds that are not optional") +
      SettingsTable{number_setting("noise", 3.0, 0.0, 100.0,
                                   "the noise on the subject's embeddings, in multiples of the embeddings' std"),
                    integer_setting("samples", 2, 1, 100, "noise draws per item"),
                    name_list_setting("levels", {"resid", "mlp", "attn"}, {"resid", "mlp", "attn"},
                                      "the states restored"),
                    per_model_integer_setting("window", 1, 1, 1024,
                                              "layers restored together around each layer (mlp, attn); at most "
                                              "the model's layers"),
                    reuse_cache_setting(), budget_setting(), shard_setting()};
  return table;
}

json run_causal_tracing(const AnalysisRequest& request) {
  const Suite& suite = request.require_suite("causal-tracing");
  SettingsReader settings(request.settings, "causal-tracing", causal_tracing_settings());
  ItemSelection selection = read_item_selection(settings);
  const double budget_seconds = read_budget_seconds(settings);
  const double noise = settings.get_double("noise");
  const int samples = settings.get_int("samples");
  const std::vector<std::string> levels = settings.get_names("levels");
  const Model& model = request.session.model();
  const ModelConfig& c = model.config;
  const int window = settings.get_int("window", 1, 1, c.n_layers);
  const bool reuse_cache = settings.get_bool("reuse_cache");
  const std::pair<int, int> shard = settings.get_shard();
  settings.finish();
  const bool kinds_given = !selection.kinds.empty();
  if (!kinds_given) selection.kinds = recall_kinds(suite);

  ItemSet items = select_items(request.session, suite, selection, request.seed, "causal-tracing");
  const std::vector<TraceSite> sites = trace_sites(c, items.n_pos, levels, window);
  // per item: a clean run, a corrupted run per sample, and a restored run per site and sample
  const std::optional<json> budget =
      fit_to_budget(request.session, suite, selection, request.seed, items,
                    static_cast<double>((sites.size() + 1) * samples + 1), budget_seconds, "causal-tracing");
  const size_t n_items = items.items.size();
  std::vector<std::vector<int>> subjects;
  for (const SweepItem& item : items.items) subjects.push_back(subject_positions(item, items.n_pos));

  // Clean runs: what a restoration copies back, and the subject embeddings.
  request.report(0.0, "clean runs");
  RunOptions clean_options;
  clean_options.last_logits_only = true;
  clean_options.capture = boundary_hooks(c);
  clean_options.capture.push_back({HookKind::Embed, -1});
  for (int l = 0; l < c.n_layers; ++l) {
    if (std::count(levels.begin(), levels.end(), "mlp")) clean_options.capture.push_back({HookKind::MlpOut, l});
    if (std::count(levels.begin(), levels.end(), "attn")) clean_options.capture.push_back({HookKind::AttnOut, l});
  }
  std::vector<ActivationCache> clean;
  std::vector<double> p_clean;
  double sum = 0, sum_sq = 0;
  int64_t count = 0;
  for (size_t i = 0; i < n_items; ++i) {
    RunResult r = run(model, items.items[i].tokens, clean_options);
    p_clean.push_back(answer_probability(r.logits.row(r.logits.rows() - 1), items.items[i].answer));
    const Tensor& embed = r.cache.at({HookKind::Embed, -1});
    for (int p : subjects[i])
      for (int64_t k = 0; k < c.d_model; ++k) {
        const double x = embed.data[static_cast<size_t>(p * c.d_model + k)];
        sum += x;
        sum_sq += x * x;
        ++count;
      }
    clean.push_back(std::move(r.cache));
  }
  const double mean = sum / static_cast<double>(count);
  const double sigma = std::sqrt(std::max(0.0, sum_sq / static_cast<double>(count) - mean * mean));
  const double nu = noise * sigma;

  // Corrupted runs: one noise draw per item and sample.
  request.report(0.0, "corrupted runs");
  SeededRandom rng(derived_seed(request.seed, 2));
  std::vector<std::vector<Intervention>> noised(n_items);      // [item][sample]
  std::vector<std::vector<Boundaries>> corrupted(n_items);     // [item][sample], when reuse_cache
  std::vector<std::vector<ActivationCache>> corrupted_states(n_items);  // what a restoration overwrites
  std::vector<std::vector<double>> p_corrupt(n_items);
  for (size_t i = 0; i < n_items; ++i)
    for (int s = 0; s < samples; ++s) {
      Intervention iv;
      iv.hook = {HookKind::Embed, -1};
      iv.op = InterventionOp::Patch;
      iv.positions = subjects[i];
      iv.value = clean[i].at(iv.hook);
      for (int p : subjects[i])
        for (int64_t k = 0; k < c.d_model; ++k)
          iv.value.data[static_cast<size_t>(p * c.d_model + k)] += static_cast<float>(nu * rng.normal());
      RunOptions options;
      options.last_logits_only = true;
      options.interventions = {iv};
      if (reuse_cache) options.capture = clean_options.capture;
      RunResult r = run(model, items.items[i].tokens, options);
      p_corrupt[i].push_back(answer_probability(r.logits.row(r.logits.rows() - 1), items.items[i].answer));
      if (reuse_cache) {
        corrupted[i].push_back(boundaries_from(r.cache, c));
        corrupted_states[i].push_back(std::move(r.cache));
      }
      noised[i].push_back(std::move(iv));
    }

  // Per item: IE and restored probability, averaged over its samples.
  auto summary = [&](const std::vector<double>& per_item) {
    json by_kind = json::object();
    double all = 0;
    for (const KindGroup& k : items.kinds) {
      double s = 0;
      for (size_t i : k.items) s += per_item[i];
      by_kind[k.name] = s / static_cast<double>(k.items.size());
      all += s;
    }
    return json{{"by_kind", by_kind}, {"all", all / static_cast<double>(n_items)}};
  };

  const json units = sweep_units(
      request, sites.size(), shard, [&](size_t u) { return "restoring " + sites[u].label; },
      [&](size_t u) {
        const TraceSite& site = sites[u];
        std::vector<double> effect(n_items, 0.0), restored(n_items, 0.0);
        for (size_t i = 0; i < n_items; ++i) {
          std::vector<Intervention> restore;
          for (const HookId& h : site.hooks) {
            Intervention iv;
            iv.hook = h;
            iv.op = InterventionOp::Patch;
            iv.positions = {site.position};
            iv.value = clean[i].at(h);
            restore.push_back(std::move(iv));
          }
          for (int s = 0; s < samples; ++s) {
            double p = p_corrupt[i][s];
            if (!reuse_cache || restores_anything(restore, corrupted_states[i][s])) {
              const RowVec logits = intervened_last_logits(model, items.items[i].tokens, restore,
                                                           reuse_cache ? &corrupted[i][s] : nullptr, {noised[i][s]});
              p = answer_probability(logits, items.items[i].answer);
            }
            restored[i] += p / samples;
            effect[i] += (p - p_corrupt[i][s]) / samples;
          }
        }
        json unit = site.to_json();
        unit["indirect_effect"] = summary(effect);
        unit["restored_prob"] = summary(restored);
        return unit;
      });

  std::vector<double> p_corrupt_mean(n_items, 0.0);
  for (size_t i = 0; i < n_items; ++i)
    for (double p : p_corrupt[i]) p_corrupt_mean[i] += p / samples;
  json baseline = {{"by_kind", json::object()}};
  const json clean_summary = summary(p_clean), corrupt_summary = summary(p_corrupt_mean);
  for (const KindGroup& k : items.kinds)
    baseline["by_kind"][k.name] = {{"n", k.items.size()},
                                   {"p_clean", clean_summary["by_kind"][k.name]},
                                   {"p_corrupt", corrupt_summary["by_kind"][k.name]}};
  baseline["all"] = {{"n", n_items}, {"p_clean", clean_summary["all"]}, {"p_corrupt", corrupt_summary["all"]}};
  json subject_fraction = json::array();
  for (int64_t p = 0; p < items.n_pos; ++p) {
    int covered = 0;
    for (const std::vector<int>& s : subjects) covered += std::count(s.begin(), s.end(), p) ? 1 : 0;
    subject_fraction.push_back(static_cast<double>(covered) / static_cast<double>(n_items));
  }

  json echo = sweep_echo(selection, reuse_cache, shard);
  if (!kinds_given) echo["kinds"] = nullptr;
  echo["noise"] = noise;
  echo["samples"] = samples;
  echo["levels"] = levels;
  echo["window"] = window;
  return with_budget({{"settings", echo},
                      {"items", items_json(items)},
                      {"embedding_std", sigma},
                      {"noise_std", nu},
                      {"subject_fraction", subject_fraction},
                      {"baseline", baseline},
                      {"n_units", sites.size()},
                      {"units", units}},
                     budget_seconds, budget);
}

}  // namespace strata
