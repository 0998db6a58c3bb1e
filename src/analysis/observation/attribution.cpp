// Direct logit attribution at one position: split the final residual into
// component outputs, pass each through the linearised final norm, and project
// it on the answer's (and answer − foil's) unembedding row.
#include "analysis/observation/attribution.h"

#include <cmath>

#include "base/error.h"
#include "model/forward.h"

namespace strata {

namespace {

using Vec = Eigen::RowVectorXd;

Vec row_of(const Tensor& t, int64_t row, int64_t width) {
  return Eigen::Map<const RowVec>(t.data.data() + row * width, width).cast<double>();
}

// The final norm's scale s on the full residual, as the forward pass computes it.
double final_scale(const ModelConfig& c, const Vec& resid) {
  const double d = static_cast<double>(resid.size());
  if (c.family == Family::Gpt2) {
    const double mean = resid.mean();
    return std::sqrt((resid.array() - mean).square().sum() / d + c.norm_eps);
  }
  return std::sqrt(resid.squaredNorm() / d + c.norm_eps);
}

// Reads one component's output through the linearised final norm.
class Projector {
 public:
  Projector(const Model& model, double scale, const AttributionSettings& s)
      : center_(model.config.family == Family::Gpt2) {
    const WeightMatrix& W_U = model.weights.unembedding();
    const Vec w = model.weights.ln_f_w.cast<double>();
    answer_dir_ = w.cwiseProduct(W_U.row(s.answer).cast<double>()) / scale;
    if (s.foil) diff_dir_ = w.cwiseProduct((W_U.row(s.answer) - W_U.row(*s.foil)).cast<double>()) / scale;
    else diff_dir_ = Vec::Zero(w.size());
  }
  void add(std::vector<Component>& out, ComponentKind kind, int layer, int head, std::string label, Vec c) const {
    if (center_) c.array() -= c.mean();
    out.push_back({kind, layer, head, std::move(label), c.dot(answer_dir_), c.dot(diff_dir_)});
  }

 private:
  bool center_;
  Vec answer_dir_, diff_dir_;
};

void check_settings(const Model& model, const std::vector<int32_t>& tokens, const AttributionSettings& s,
                    int position) {
  const int vocab = model.config.d_vocab;
  const std::string range = "a token id in [0, " + std::to_string(vocab) + ")";
  if (s.answer < 0 || s.answer >= vocab) fail_expected("attribution: answer", range, std::to_string(s.answer));
  if (s.foil && (*s.foil < 0 || *s.foil >= vocab)) fail_expected("attribution: foil", range, std::to_string(*s.foil));
  if (position < 0 || position >= static_cast<int>(tokens.size()))
    fail_expected("attribution: position", "[0, " + std::to_string(tokens.size()) + ")", std::to_string(s.position));
}

RunOptions capture_options(const ModelConfig& c) {
  RunOptions o;
  o.capture.push_back({HookKind::Embed, -1});
  if (c.family == Family::Gpt2) o.capture.push_back({HookKind::PosEmbed, -1});
  for (int l = 0; l < c.n_layers; ++l) {
    o.capture.push_back({HookKind::Z, l});
    o.capture.push_back({HookKind::MlpOut, l});
  }
  o.capture.push_back({HookKind::ResidPost, c.n_layers - 1});
  return o;
}

}  // namespace

const char* component_kind_name(ComponentKind kind) {
  switch (kind) {
    case ComponentKind::Embed: return "embed";
    case ComponentKind::PosEmbed: return "pos_embed";
    case ComponentKind::Head: return "head";
    case ComponentKind::AttnBias: return "attn_bias";
    case ComponentKind::Mlp: return "mlp";
    case ComponentKind::FinalNormBias: return "final_norm_bias";
  }
  return "?";
}

LogitAttribution direct_logit_attribution(const Model& model, const std::vector<int32_t>& tokens,
                                          const AttributionSettings& settings) {
  const ModelConfig& c = model.config;
  const ModelWeights& w = model.weights;
  const int p = settings.position < 0 ? static_cast<int>(tokens.size()) - 1 : settings.position;
  check_settings(model, tokens, settings, p);
  const RunResult r = run(model, tokens, capture_options(c));
  const int64_t d = c.d_model, dh = c.d_head;

  LogitAttribution out;
  out.position = p;
  out.answer = settings.answer;
  out.foil = settings.foil;
  out.final_scale = final_scale(c, row_of(r.cache.at({HookKind::ResidPost, c.n_layers - 1}), p, d));
  const Projector project(model, out.final_scale, settings);
  std::vector<Component>& comps = out.components;

  project.add(comps, ComponentKind::Embed, -1, -1, "embed", row_of(r.cache.at({HookKind::Embed, -1}), p, d));
  if (c.family == Family::Gpt2)
    project.add(comps, ComponentKind::PosEmbed, -1, -1, "pos_embed", row_of(r.cache.at({HookKind::PosEmbed, -1}), p, d));
  for (int l = 0; l < c.n_layers; ++l) {
    const LayerWeights& L = w.layers[l];
    const Vec z = row_of(r.cache.at({HookKind::Z, l}), p, c.n_heads * dh);
    const std::string prefix = "L" + std::to_string(l);
    for (int h = 0; h < c.n_heads; ++h)
      project.add(comps, ComponentKind::Head, l, h, prefix + "H" + std::to_string(h),
                  z.segment(h * dh, dh) * L.W_O.row_block(h * dh, dh).cast<double>());
    if (L.b_O.size()) project.add(comps, ComponentKind::AttnBias, l, -1, prefix + " attn bias", L.b_O.cast<double>());
    project.add(comps, ComponentKind::Mlp, l, -1, prefix + " mlp", row_of(r.cache.at({HookKind::MlpOut, l}), p, d));
  }
  if (w.ln_f_b.size()) {
    const WeightMatrix& W_U = w.unembedding();
    const double bias_logit = w.ln_f_b.cast<double>().dot(W_U.row(settings.answer).cast<double>());
    const double bias_diff =
        settings.foil ? w.ln_f_b.cast<double>().dot((W_U.row(settings.answer) - W_U.row(*settings.foil)).cast<double>())
                      : 0.0;
    comps.push_back({ComponentKind::FinalNormBias, -1, -1, "final norm bias", bias_logit, bias_diff});
  }

  for (const Component& comp : comps) {
    out.sum_logit += comp.logit;
    out.sum_logit_diff += comp.logit_diff;
  }
  out.model_logit = r.logits(p, settings.answer);
  if (settings.foil) out.model_logit_diff = r.logits(p, settings.answer) - r.logits(p, *settings.foil);
  return out;
}

nlohmann::json to_json(const LogitAttribution& result) {
  nlohmann::json comps = nlohmann::json::array();
  for (const Component& c : result.components) {
    nlohmann::json j = {{"kind", component_kind_name(c.kind)}, {"label", c.label}, {"logit", c.logit}};
    if (c.layer >= 0) j["layer"] = c.layer;
    if (c.head >= 0) j["head"] = c.head;
    if (result.foil) j["logit_diff"] = c.logit_diff;
    comps.push_back(std::move(j));
  }
  nlohmann::json j = {{"position", result.position},
                      {"answer", result.answer},
                      {"final_scale", result.final_scale},
                      {"components", std::move(comps)},
                      {"sum_logit", result.sum_logit},
                      {"model_logit", result.model_logit}};
  j["foil"] = result.foil ? nlohmann::json(*result.foil) : nlohmann::json(nullptr);
  if (result.foil) {
    j["sum_logit_diff"] = result.sum_logit_diff;
    j["model_logit_diff"] = result.model_logit_diff;
  }
  return j;
}

}  // namespace strata
