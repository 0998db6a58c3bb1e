#include "analysis/analysis.h"

#include "base/error.h"

namespace strata {

using nlohmann::json;

const Suite& AnalysisRequest::require_suite(const std::string& analysis) const {
  if (!suite) throw Error(analysis + ": needs a suite (--suite FILE)");
  return *suite;
}

const std::set<std::string>& answered_wrong(const Session& session, const Suite& suite, bool keep) {
  static const std::set<std::string> none;
  if (keep) return none;
  const AnsweredWrong& marks = suite.answered_wrong;
  const std::string& loaded = session.model().weights_sha256;
  if (!marks.weights_sha256.empty() && marks.weights_sha256 != loaded)
    throw Error(suite.label + ": answered_wrong: the items were marked for the model whose weights' SHA-256 is " +
                marks.weights_sha256.substr(0, 12) + "…, not the loaded one (" + loaded.substr(0, 12) +
                "…); build the suite for this model (strata suite --model DIR)");
  return marks.ids;
}

}  // namespace strata
