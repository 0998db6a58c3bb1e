// The shipped tiny-gpt2-world2, loaded once per test program: its id, its
// folder, its session and its suite (the file as JSON, and parsed).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "io/files.h"
#include "io/suite.h"
#include "model/model.h"
#include "model/session.h"

namespace strata::testing {

inline const std::string kShippedId = "tiny-gpt2-world2";
inline const std::string kShippedDir = std::string(STRATA_SOURCE_DIR) + "/models/" + kShippedId;

inline const Session& shipped_session() {
  static const Session session(load_model_dir(kShippedDir));
  return session;
}

inline nlohmann::json shipped_suite_json() { return nlohmann::json::parse(read_file_text(kShippedDir + "/suite.json")); }

inline const Suite& shipped_suite() {
  static const Suite suite = parse_suite(read_file_text(kShippedDir + "/suite.json"), "suite.json");
  return suite;
}

}  // namespace strata::testing
