// The study's features, labels and settings on a hand-set model whose answers
// are known by construction (magnet-model.h), the neurons analysis, and — with
// the hidden tag [.shipped] — both analyses on the shipped models and suites.
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <iostream>

#include "analysis/study/neurons.h"
#include "analysis/study/study-features.h"
#include "analysis/study/study.h"
#include "io/files.h"
#include "magnet-model.h"
#include "tiny-model.h"
#include "model/forward.h"

using namespace strata;
using nlohmann::json;
using strata::testing::magnet_model;
using strata::testing::magnet_suite;

namespace {

json study(const Session& session, const Suite& suite, json settings = json::object(), uint64_t seed = 3) {
  AnalysisRequest r{session, &suite, seed, settings, {}};
  return run_study(r);
}

}  // namespace

TEST_CASE("attention row metrics of uniform and one-hot rows", "[study]") {
  const std::vector<float> uniform(4, 0.25f), one_hot = {0, 0, 1, 0};
  const std::vector<double> u = attention_row_metrics(uniform.data(), 4);
  CHECK(u[0] == Approx(std::log(4.0)));  // entropy
  CHECK(u[1] == Approx(0.25));           // max weight
  CHECK(u[2] == Approx(0.25));           // weight on self (the last key)
  CHECK(u[3] == Approx(0.0).margin(1e-9));  // std
  CHECK(u[4] == Approx(0.0).margin(1e-9));  // Gini
  const std::vector<double> h = attention_row_metrics(one_hot.data(), 4);
  CHECK(h[0] == Approx(0.0).margin(1e-12));
  CHECK(h[1] == 1.0);
  CHECK(h[2] == 0.0);
  CHECK(h[3] == Approx(std::sqrt(0.25 - 0.0625)));  // population std of {0, 0, 1, 0}
  CHECK(h[4] == Approx(0.75));                      // (n − 1) / n
  // Gini of {1, 2, 3, 4}: Σ|xi − xj| over all ordered pairs = 20, / (2 n² mean) = 20 / 80
  CHECK(gini_coefficient({4, 1, 3, 2}) == Approx(0.25));
}

TEST_CASE("the features of the hand-set model are those it was built for", "[study]") {
  const Session session(magnet_model());
  const Suite suite = magnet_suite(4);
  const StudyItems items = select_study_items(session, suite, {{}, "all", 0, false}, 0, "study");
  REQUIRE(items.items.size() == 8);
  const StudyFeatures f = extract_study_features(AnalysisRequest{session, &suite}, items, {}, 0, 1);
  for (size_t i = 0; i < items.items.size(); ++i) {
    const bool reasoning = items.groups[i] == ItemGroup::Reasoning;
    const double entropy = f.layer[3][0][i];
    INFO(items.items[i]->prompt);
    if (reasoning) CHECK(entropy == Approx(std::log(6.0) * 0.5 + std::log(6.0) * 0.5).epsilon(1e-5));  // both heads uniform
    else CHECK(entropy < std::log(6.0) * 0.5 + std::log(2.0) * 0.5 + 1e-3);  // head 0 on one or two magnets
    CHECK(f.layer[5][0][i] == Approx(1.0 / (1.0 + entropy)));
    // the residual stream is the last token's embedding: A (5) or B = 2 A
    const float norm_a = session.model().weights.W_E.row(5).norm();
    CHECK(f.layer[0][0][i] == Approx(reasoning ? 2 * norm_a : norm_a).epsilon(1e-6));
    CHECK(f.layer[6][0][i] == 1.0);  // every MLP activation is gelu(0) = 0
    CHECK(f.neurons[0].row(i).isZero());
    CHECK(f.head[0][1][i] == Approx(std::log(6.0)).epsilon(1e-6));  // head 1 is uniform
  }
}

TEST_CASE("the study labels the hand-set layer and heads as constructed", "[study]") {
  const Session session(magnet_model());
  const json every_item = {{"split", "all"}, {"kinds", {"fact", "logic", "blend"}}, {"items_per_kind", 0}};
  const json r = study(session, magnet_suite(48, 4), every_item);
  INFO(r.dump(1).substr(0, 4000));
  CHECK(r["items"]["recall"] == 48);
  CHECK(r["items"]["reasoning"] == 48);
  CHECK(r["items"]["mixed"] == 4);
  CHECK(r["items"]["prompt_tokens"]["recall"] == json({{"min", 6}, {"max", 6}}));
  const json& layer = r["layers"][0];
  const json& m = layer["metrics"];
  // reasoning items: larger norm and mean (B = 2 A), higher entropy
  CHECK(m["hidden_norm"]["vote"] == "reasoning");
  CHECK(m["hidden_mean"]["vote"] == "reasoning");
  CHECK(m["attention_entropy"]["vote"] == "reasoning");
  CHECK(m["attention_entropy"]["d"].get<double>() > 0.8);
  // concentration is 1/(1 + entropy): the same measure, reported, not voting
  CHECK_FALSE(m["attention_concentration"].contains("vote"));
  CHECK(m["attention_concentration"]["d"].get<double>() < -0.8);
  CHECK(m["mlp_sparsity"]["vote"].is_null());
  CHECK(m["mlp_mean_abs"]["vote"].is_null());
  CHECK(m["mlp_mean_abs"]["p"] == 1.0);
  CHECK_FALSE(m["attention_max"].contains("vote"));
  // both groups constant up to rounding: an infinite or huge effect
  CHECK((m["hidden_norm"]["d"].is_null() || m["hidden_norm"]["d"].get<double>() > 100.0));
  CHECK(m["attention_entropy"].contains("mean_mixed"));
  CHECK(layer["votes_reasoning"] == 3);
  CHECK(layer["votes_recall"] == 0);
  CHECK(layer["label"] == "reasoning");
  CHECK(layer["consistency"] == 1.0);  // found on each of two disjoint halves, every draw
  CHECK(layer["replication_labels"].size() == 5);
  // head 0 concentrates on the magnet in recall items: max weight, std, Gini vote recall
  const json& h0 = r["heads"][0];
  CHECK(h0["layer"] == 0);
  CHECK(h0["head"] == 0);
  CHECK(h0["votes_recall"] == 3);
  CHECK(h0["votes_reasoning"] == 2);
  CHECK(h0["label"] == "recall");
  CHECK(h0["consistent"] == true);
  // head 1 is uniform on every item: nothing differs
  CHECK(r["heads"][1]["label"] == "none");
  CHECK(r["heads"][1]["metrics"]["entropy"]["d"] == 0.0);
  CHECK(r["totals"]["layers"]["reasoning"] == 1);
  CHECK(r["totals"]["heads"]["recall"] == 1);
  CHECK(r["totals"]["heads"]["none"] == 1);
  CHECK(r["labels"]["layers"] == json({"reasoning"}));
  CHECK(r["labels"]["heads"] == json({"recall", "none"}));
  // every MLP activation is zero: no neuron is task-specific
  CHECK(r["totals"]["neurons"]["task_specific"] == 0);
  CHECK(r["neurons"]["top"].empty());

  // the same items with the families swapped flip every sign and the labels
  const json s = study(session, magnet_suite(48, 0, true), {{"split", "all"}, {"items_per_kind", 0}});
  CHECK(s["layers"][0]["label"] == "recall");
  CHECK(s["heads"][0]["label"] == "reasoning");
  CHECK(s["layers"][0]["metrics"]["attention_entropy"]["d"].get<double>() ==
        Approx(-m["attention_entropy"]["d"].get<double>()));
}

TEST_CASE("a model that sees no family difference gets no label from the real contrast", "[study]") {
  // Both families' prompts are the recall generator's: the magnet heads see
  // the same prompts on either side, so whatever they do, no feature can differ.
  const Session session(magnet_model());
  Suite suite = magnet_suite(48);
  const Suite recall_prompts = magnet_suite(48);
  for (size_t i = 0; i < suite.items.size(); ++i)
    if (suite.items[i].kind == "logic") suite.items[i].prompt = recall_prompts.items[i - 1].prompt;
  const json r = study(session, suite, {{"split", "all"}, {"items_per_kind", 0}});
  CHECK(r["totals"]["layers"]["specialised"] == 0);
  CHECK(r["totals"]["heads"]["specialised"] == 0);
  CHECK(r["totals"]["neurons"]["task_specific"] == 0);
  // The nulls run beside it: halves of each family, kind against kind (one kind
  // per family here: skipped, saying why), and the random model.
  const json& nulls = r["nulls"];
  REQUIRE(nulls.size() == 5);
  CHECK(nulls[0]["name"] == "recall: two random halves");
  CHECK(nulls[0]["n"] == json({24, 24}));
  CHECK(nulls[0]["labels"]["layers"].size() == 1);
  CHECK(nulls[2]["labels"].is_null());
  CHECK(nulls[2]["skipped"] == "the items hold 1 recall kind (fact); two are needed");
  CHECK(nulls[4]["name"] == "recall vs reasoning on a randomly initialised model");
  CHECK(nulls[4]["labels"]["totals"]["layers"]["specialised"] == 0);  // same prompts, any weights
  CHECK(study(session, suite, {{"split", "all"}, {"nulls", false}}).count("nulls") == 0);
}

TEST_CASE("replication halves are disjoint, cover the contrast and keep each stratum's share", "[study]") {
  const std::vector<int> strata = {0, 0, 0, 0, 1, 1, 1, 1, 1, 1, -1, -1};
  const auto halves = replication_halves(strata, 3, 7);
  REQUIRE(halves.size() == 3);
  for (const auto& [a, b] : halves) {
    int in_a[2] = {0, 0}, in_b[2] = {0, 0};
    for (size_t i = 0; i < strata.size(); ++i) {
      CHECK_FALSE((a[i] && b[i]));
      if (strata[i] < 0) {
        CHECK_FALSE((a[i] || b[i]));
        continue;
      }
      CHECK((a[i] || b[i]));
      (a[i] ? in_a : in_b)[strata[i]] += 1;
    }
    CHECK(in_a[0] == 2);
    CHECK(in_b[0] == 2);
    CHECK(in_a[1] == 3);
    CHECK(in_b[1] == 3);
  }
  CHECK(halves[0].first != halves[1].first);  // a new draw each time
}

TEST_CASE("the study is deterministic and its thresholds are its settings", "[study]") {
  const Session session(magnet_model());
  const Suite suite = magnet_suite(24);
  const json all = {{"split", "all"}};
  CHECK(study(session, suite).dump() == study(session, suite).dump());
  // the layer has 3 votes: asking for 4 leaves it unlabelled
  CHECK(study(session, suite, {{"split", "all"}, {"layer_min_votes", 4}})["layers"][0]["label"] == "none");
  // a stricter effect-size threshold than the entropy's d removes its vote
  const double d = study(session, suite, all)["layers"][0]["metrics"]["attention_entropy"]["d"];
  const json strict = study(session, suite, {{"split", "all"}, {"layer_d", d + 1.0}});
  CHECK(strict["layers"][0]["metrics"]["attention_entropy"]["vote"].is_null());
  CHECK(strict["layers"][0]["metrics"]["hidden_norm"]["vote"] == "reasoning");  // infinite d still votes
  // the default items: recall on trained facts, reasoning on held-out items, required kinds
  const json defaults = study(session, magnet_suite(24, 4));
  CHECK(defaults["items"]["kinds"] == json::parse(R"([{"family": "recall", "kind": "fact", "n": 18, "split": "trained"},
                                                      {"family": "reasoning", "kind": "logic", "n": 6, "split": "heldout"}])"));
  CHECK(defaults["settings"]["split"] == "auto");
  CHECK(defaults["settings"]["kinds"].is_null());  // every required kind
  CHECK(defaults["settings"]["items_per_kind"] == 32);
  // subsampling keeps at most items_per_kind of each kind
  const json few = study(session, suite, {{"items_per_kind", 6}, {"replications", 3}});
  CHECK(few["items"]["by_kind"] == json({{"fact", 6}, {"logic", 6}}));
  CHECK(few["settings"]["replications"] == 3);
  CHECK(few["layers"][0]["replication_labels"].size() == 3);
  CHECK(study(session, suite, {{"split", "heldout"}})["items"]["recall"] == 6);
}

TEST_CASE("bad study, neurons and selection settings name the setting", "[study]") {
  const Session session(magnet_model());
  const Suite suite = magnet_suite(8);
  CHECK_THROWS_WITH(study(session, suite, {{"layer_alpha", 2}}),
                    Catch::Contains("study.layer_alpha: expected a number in [0.0, 1.0], found 2"));
  CHECK_THROWS_WITH(study(session, suite, {{"replications", "five"}}), Catch::Contains("study.replications: expected an integer"));
  CHECK_THROWS_WITH(study(session, suite, {{"split", "test"}}), Catch::Contains("study.split: expected one of"));
  CHECK_THROWS_WITH(study(session, suite, {{"alpha", 0.1}}), Catch::Contains("study.alpha: unknown setting"));
  CHECK_THROWS_WITH(study(session, suite, {{"folds", 5}}), Catch::Contains("study.folds: unknown setting"));
  CHECK_THROWS_WITH(study(session, suite, {{"mlp_activation", "up"}}), Catch::Contains("study.mlp_activation"));
  CHECK_THROWS_WITH(study(session, suite, {{"items_per_kind", 1}}),
                    Catch::Contains("study: items: expected at least 2 recall and 2 reasoning items"));
  CHECK_THROWS_WITH(study(session, magnet_suite(3), {{"split", "all"}}),
                    Catch::Contains("study: items: expected at least 4 recall and 4 reasoning items"));
  CHECK_THROWS_WITH(run_study(AnalysisRequest{session, nullptr}), Catch::Contains("study: needs a suite"));
  Suite too_long = magnet_suite(4);
  too_long.items[3].prompt = "f1 f2 f3 f4 f1 f2 f3 f4 f1 f2 f3 f4 f1 f2 f3 f4 A";  // 17 tokens, n_ctx 16
  CHECK_THROWS_WITH(study(session, too_long, {{"split", "all"}}), Catch::Contains("suite item \"logic-1\": run: prompt length"));
  AnalysisRequest bins{session, &suite, 0, {{"bins", 1}}, {}};
  CHECK_THROWS_WITH(run_neurons(bins), Catch::Contains("neurons.bins: expected an integer in [2, 200], found 1"));
  AnalysisRequest top{session, &suite, 0, {{"top_per_layer", 5}}, {}};
  CHECK_THROWS_WITH(run_neurons(top), Catch::Contains("neurons.top_per_layer: expected an integer in [1, 4], found 5"));
}

TEST_CASE("labels from votes: majority for layers, agreement for heads", "[study]") {
  CHECK(label_from_votes(1, 0, 2, false) == "none");
  CHECK(label_from_votes(2, 1, 2, false) == "reasoning");
  CHECK(label_from_votes(1, 2, 2, false) == "recall");
  CHECK(label_from_votes(2, 2, 2, false) == "mixed");
  CHECK(label_from_votes(2, 1, 3, true) == "mixed");  // three vote, but only two agree
  CHECK(label_from_votes(3, 2, 3, true) == "reasoning");
  CHECK(label_from_votes(0, 3, 3, true) == "recall");
  CHECK(label_from_votes(2, 0, 3, true) == "none");
}

TEST_CASE("histogram counts share the edges and count every value once", "[neurons]") {
  CHECK(histogram_counts({0, 0.5, 1, 1.5, 2}, 0, 2, 4) == std::vector<int>({1, 1, 1, 2}));
  CHECK(histogram_counts({3, 3, 3}, 3, 3, 5) == std::vector<int>({3, 0, 0, 0, 0}));
}

TEST_CASE("the neurons analysis finds the neuron built to tell the families apart", "[neurons]") {
  // B becomes A with dims 1 and 2 swapped, so the normalised last token differs between the
  // families in dim 1; neuron 2 reads that dim, every other neuron stays at 0.
  Model model = magnet_model();
  std::swap(model.weights.W_E.f32()(7, 1), model.weights.W_E.f32()(7, 2));
  model.weights.layers[0].W_in.f32()(1, 2) = 1.0f;
  const Session session(std::move(model));
  const Suite suite = magnet_suite(48);
  AnalysisRequest r{session, &suite, 5, {{"top_per_layer", 2}, {"bins", 8}, {"split", "all"}, {"items_per_kind", 0}}, {}};
  const json j = run_neurons(r);
  const json& top = j["layers"][0]["neurons"][0];
  CHECK(top["neuron"] == 2);
  CHECK(top["label"] != "none");
  CHECK(j["layers"][0]["neurons"][1]["label"] == "none");
  CHECK(top["bin_edges"].size() == 9);
  int total = 0;
  for (int c : top["recall"]["counts"]) total += c;
  CHECK(total == 48);
  CHECK(top["reasoning"]["quantiles"].size() == 5);
  CHECK(j["quantile_levels"].size() == 5);
  CHECK(j["mlp_activation"] == "blocks.{l}.mlp.hook_post");
  CHECK(j.dump() == run_neurons(r).dump());

  // the study finds the same single neuron, and it holds on both halves of every draw
  const json st = run_study(AnalysisRequest{session, &suite, 5, {{"split", "all"}}, {}});
  CHECK(st["totals"]["neurons"]["task_specific"] == 1);
  REQUIRE(st["neurons"]["top"].size() == 1);
  CHECK(st["neurons"]["top"][0]["neuron"] == 2);
  CHECK(st["neurons"]["top"][0]["consistency"] == 1.0);
  CHECK(st["neurons"]["top"][0]["label"] == top["label"]);
}

TEST_CASE("gated MLPs: the gate activation is silu(hook_pre); post is hook_post", "[study]") {
  Model model = strata::testing::tiny_model(Family::Llama, 4);
  model.tokenizer = strata::testing::magnet_tokenizer();
  const Session session(std::move(model));
  const Suite suite = magnet_suite(2);
  const StudyItems items = select_study_items(session, suite, {{}, "all", 0, false}, 0, "study");
  FeatureRequest what;
  what.layers = what.heads = false;
  const StudyFeatures gate = extract_study_features(AnalysisRequest{session, &suite}, items, what, 0, 1);
  what.mlp = MlpActivation::Post;
  const StudyFeatures post = extract_study_features(AnalysisRequest{session, &suite}, items, what, 0, 1);
  RunOptions options;
  options.capture = {{HookKind::MlpPre, 1}, {HookKind::MlpPost, 1}};
  const RunResult r = run(session.model(), items.tokens[0], options);
  const Tensor& pre = r.cache.at({HookKind::MlpPre, 1});
  const Tensor& hook_post = r.cache.at({HookKind::MlpPost, 1});
  const int64_t d = pre.shape[1], last = pre.shape[0] - 1;
  for (int64_t k = 0; k < d; ++k) {
    const float x = pre.data[last * d + k];
    CHECK(gate.neurons[1](0, k) == Approx(x / (1.0f + std::exp(-x))).margin(1e-6));
    CHECK(post.neurons[1](0, k) == hook_post.data[last * d + k]);
  }
  CHECK(mlp_activation_source(session.model().config, MlpActivation::Gate) == "silu(blocks.{l}.mlp.hook_pre)");
}

// --- the shipped models (hidden: run with [.shipped]) ------------------------------

TEST_CASE("study and neurons on the shipped models", "[.shipped]") {
  for (const std::string name : {"tiny-gpt2-world2", "tiny-llama-world2"}) {
    const std::string dir = std::string(STRATA_SOURCE_DIR) + "/models/" + name;
    const Session session(load_model_dir(dir));
    const Suite suite = parse_suite(read_file_text(dir + "/suite.json"), dir + "/suite.json");
    AnalysisRequest r{session, &suite, 0, json::object(), {}};
    auto t0 = std::chrono::steady_clock::now();
    const json s = run_study(r);
    auto t1 = std::chrono::steady_clock::now();
    const json n = run_neurons(r);
    auto t2 = std::chrono::steady_clock::now();
    std::cout << "== " << name << ": study " << std::chrono::duration<double>(t1 - t0).count() << " s, neurons "
              << std::chrono::duration<double>(t2 - t1).count() << " s\n";
    std::cout << "items " << s["items"].dump() << "\n";
    for (const json& l : s["layers"]) {
      std::cout << "layer " << l["layer"] << ": " << l["label"] << " (recall votes " << l["votes_recall"]
                << ", reasoning votes " << l["votes_reasoning"] << ", consistency " << l["consistency"] << ")";
      for (const auto& [metric, v] : l["metrics"].items())
        if (v["votes"].get<bool>()) std::cout << " " << metric << " d=" << v["d"].dump();
      std::cout << "\n";
    }
    std::cout << "heads:";
    for (const json& h : s["heads"]) std::cout << " L" << h["layer"] << "H" << h["head"] << "=" << h["label"].get<std::string>();
    std::cout << "\ntotals " << s["totals"].dump() << "\n";
    for (const json& l : n["layers"]) {
      const json& top = l["neurons"][0];
      std::cout << "neurons L" << l["layer"] << ": recall " << l["recall"] << ", reasoning " << l["reasoning"]
                << "; top neuron " << top["neuron"] << " d=" << top["d"].dump() << " " << top["label"] << "\n";
    }
  }
}
