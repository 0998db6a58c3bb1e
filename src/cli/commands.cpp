#include "cli/commands.h"

#include <iomanip>
#include <iostream>
#include <sstream>

#include "analysis/shared/evaluate.h"
#include "bank/suite-builder.h"
#include "cli/analyze-command.h"
#include "base/error.h"
#include "base/sha256.h"
#include "io/files.h"
#include "io/suite.h"
#include "io/json-reader.h"
#include "io/tokenizer.h"
#include "model/intervention.h"
#include "model/session.h"
#include "report/report.h"
#include "io/tensor-json.h"

namespace strata::cli {
namespace {

using nlohmann::json;

void print_json(const json& j) { std::cout << j.dump() << "\n"; }

void info(const Args& args) {
  const Session session(load_model_dir(args.required("model")));
  const json j = session.info();
  if (args.has("json")) return print_json(j);
  std::cout << j["model_type"].get<std::string>() << ": " << j["n_layers"] << " layers, d_model " << j["d_model"]
            << ", " << j["n_heads"] << " heads (" << j["n_kv_heads"] << " key/value), d_mlp " << j["d_mlp"]
            << ", vocabulary " << j["d_vocab"] << ", " << j["parameters"] << " parameters\n"
            << "weights kept in " << j["weight_precision"].get<std::string>() << "\n"
            << "weights sha256 " << j["weights_sha256"].get<std::string>() << "\n";
  for (const auto& name : j["unknown_tensors"]) std::cout << "unknown tensor (not used): " << name.get<std::string>() << "\n";
}

void tokenize(const Args& args) {
  const std::string path = args.required("tokenizer");
  const Tokenizer tokenizer = Tokenizer::from_json(read_file_text(path), path);
  const std::vector<int32_t> ids = tokenizer.encode(args.required("text"), "--text");
  json tokens = json::array();
  for (int32_t id : ids) tokens.push_back(tokenizer.token(id));
  if (args.has("json")) return print_json({{"ids", ids}, {"tokens", tokens}});
  for (size_t i = 0; i < ids.size(); ++i) std::cout << ids[i] << "\t" << tokens[i].get<std::string>() << "\n";
}

RunOptions run_options(const Session& session, const Args& args) {
  json request = json::object();
  if (args.has("capture")) {
    const std::string capture = args.required("capture");
    request["capture"] = capture == "all" ? json("all") : json(split_list(capture));
  }
  RunOptions options = session.parse_run_options(request, "");  // main() prefixes "strata run:"
  if (args.has("intervene")) {
    // Read here rather than through the request, so that every message names the file.
    const std::string path = args.required("intervene");
    options.interventions =
        interventions_from_json(parse_json_strict(read_file_text(path), path), session.model().config, path);
  }
  return options;
}

void run(const Args& args) {
  const Session session(load_model_dir(args.required("model")));
  if (args.has("prompt") == args.has("token-ids")) throw Error("give exactly one of --prompt and --token-ids");
  std::vector<int32_t> ids;
  if (args.has("prompt")) {
    ids = session.tokenize(args.required("prompt"), "--prompt");
  } else {
    for (int id : parse_int_list(args.required("token-ids"), "token-ids")) ids.push_back(id);
  }
  const RunOptions options = run_options(session, args);
  const int k = args.get_int("top-k", 10, 0, 1 << 20);
  const RunResult result = session.run(ids, options);
  const std::vector<TokenProbability> top = session.top_k(result.logits, k);

  if (!args.has("json")) {
    for (const TokenProbability& t : top)
      std::cout << std::fixed << std::setprecision(4) << t.probability << "\t" << t.id << "\t" << t.token << "\n";
    return;
  }
  json tokens = json::array(), top_json = json::array(), captures = json::object();
  for (int32_t id : ids) tokens.push_back(session.token_text(id));
  for (const TokenProbability& t : top)
    top_json.push_back({{"id", t.id}, {"token", t.token}, {"probability", t.probability}, {"logit", t.logit}});
  for (const auto& [name, tensor] : result.cache.tensors) captures[name] = tensor_to_json(tensor);
  json out = {{"ids", ids}, {"tokens", tokens}, {"top_k", top_json}};
  if (args.has("logits")) {
    const auto last = result.logits.row(result.logits.rows() - 1);
    out["logits"] = std::vector<float>(last.data(), last.data() + last.size());
  }
  if (!captures.empty()) out["captures"] = captures;
  print_json(out);
}

// The model's id: its folder's name.
std::string model_id(const std::string& dir) {
  std::string d = dir;
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  const size_t slash = d.find_last_of('/');
  return slash == std::string::npos ? d : d.substr(slash + 1);
}

void eval(const Args& args) {
  const std::string dir = args.required("model");
  const Session session(load_model_dir(dir));
  const std::string suite_path = args.get("suite", join_path(dir, "suite.json"));
  const Suite suite = parse_suite(read_file_text(suite_path), suite_path);
  const Evaluation eval = evaluate_suite(session, suite, model_id(dir));
  json out = eval.summary;
  if (args.has("items")) {
    json items = json::array();
    for (size_t i = 0; i < eval.items.size(); ++i) {
      const ItemResult& r = eval.items[i];
      json row = {{"id", r.id}, {"predicted", r.predicted}, {"correct", r.correct}};
      if (suite.items[i].family == "conflict") row["memory"] = r.memory;
      items.push_back(row);
    }
    out["items"] = items;
  }
  if (args.has("json")) return print_json(out);
  const auto share = [](const json& s, const char* count) {
    std::ostringstream text;
    text << s[count].get<int>() << "/" << s["n"].get<int>() << " = " << std::fixed << std::setprecision(1)
         << 100.0 * s[count].get<double>() / s["n"].get<double>() << "%";
    return text.str();
  };
  for (const auto& [kind, k] : out["by_kind"].items())
    for (const auto& [split, s] : k["splits"].items()) {
      std::cout << kind << " (" << k["family"].get<std::string>() << ") " << split << ": ";
      if (s.contains("memory")) std::cout << "the prompt's answer " << share(s, "correct") << ", the memorised answer " << share(s, "memory") << "\n";
      else std::cout << share(s, "correct") << "\n";
    }
}

// Validates a report file in depth (the checks the page runs when it opens one).
void check_report(const Args& args) {
  const std::string path = args.required("report");
  const json report = parse_report(read_file_text(path), path);
  std::cout << path << ": a valid report of " << report["model"]["id"].get<std::string>() << " ("
            << report["analyses"].size() << " analyses)\n";
}

std::string sha256_of(const std::string& text) {
  return sha256_hex(reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

// Builds a natural-language suite from the bank for one tokenizer; the counts
// of kept and dropped items go to stderr. With --model DIR the tokenizer is the
// model's, and the items the model gets wrong are marked (io/suite.h).
void suite(const Args& args) {
  if (args.has("model") == args.has("tokenizer")) throw Error("give either --tokenizer FILE or --model DIR");
  const std::string tokenizer_path =
      args.has("model") ? join_path(args.required("model"), "tokenizer.json") : args.required("tokenizer");
  const std::string bank_path = args.get("bank", "models/nl-bank/bank.json");
  const std::string out_path = args.required("out");
  const std::string tokenizer_text = read_file_text(tokenizer_path);
  const std::string bank_text = read_file_text(bank_path);
  const Tokenizer tokenizer = Tokenizer::from_json(tokenizer_text, tokenizer_path);
  const Bank bank = parse_bank(bank_text, bank_path);
  const json built = build_nl_suite({bank, sha256_of(bank_text), tokenizer, tokenizer_path, sha256_of(tokenizer_text)},
                                    static_cast<uint64_t>(args.get_int("seed", 0, 0, 1 << 30)));
  json written = built;
  if (args.has("model")) {
    const Session session(load_model_dir(args.required("model")));
    const std::string label = out_path + " (built)";
    const Evaluation eval = evaluate_suite(session, parse_suite(built.dump(), label), model_id(args.required("model")));
    written = mark_answered_wrong(built, eval, session);
    std::cerr << out_path << ": the model answers " << eval.items.size() - written["answered_wrong"]["items"].size()
              << " of " << eval.items.size() << " items right; the others are marked answered_wrong\n";
  }
  write_file_bytes(out_path, written.dump() + "\n");
  const json& build = built["build"];
  std::cerr << out_path << ": " << built["items"].size() << " items, prompts of " << built["prompt_tokens"]
            << " tokens\n";
  for (const auto& [kind, n] : build["kept"].items()) {
    std::cerr << "  " << kind << " (" << bank.kinds.at(kind).family << "): kept " << n;
    for (const auto& [reason, count] : build["dropped"][kind].items()) std::cerr << ", " << reason << " " << count;
    std::cerr << "\n";
  }
}

}  // namespace

const std::vector<Command>& commands() {
  static const std::vector<Command> list = {
      {"info", "strata info --model DIR [--json]", {{"model"}, {"json"}}, info},
      {"tokenize", "strata tokenize --tokenizer FILE --text TEXT [--json]", {{"tokenizer", "text"}, {"json"}}, tokenize},
      {"run",
       "strata run --model DIR (--prompt TEXT | --token-ids 1,2,3) [--json] [--top-k K] [--logits]\n"
       "           [--capture HOOK,...|all] [--intervene FILE]",
       {{"model", "prompt", "token-ids", "top-k", "capture", "intervene"}, {"json", "logits"}},
       run},
      {"eval", "strata eval --model DIR [--suite FILE] [--json] [--items]", {{"model", "suite"}, {"json", "items"}}, eval},
      analyze_command(),
      {"check-report", "strata check-report --report FILE", {{"report"}, {}}, check_report},
      {"suite", "strata suite (--tokenizer FILE | --model DIR) --out FILE [--bank FILE] [--seed N]",
       {{"tokenizer", "model", "out", "bank", "seed"}, {}}, suite},
  };
  return list;
}

}  // namespace strata::cli
