#include "experiments/model_choice.hpp"

#include <algorithm>

#include "gamma/input_error.hpp"
#include "gamma/rank.hpp"
#include "gamma/scheme.hpp"
#include "gamma/vocabulary.hpp"

namespace gammalab::experiments {

namespace {

class ParameterReader {
 public:
  explicit ParameterReader(const std::vector<std::string>& forced_free) : forced_free_(forced_free) {}

  // The value of one exponent option: a number, or the parameter itself when 'free'.
  gamma::MaxAffine read(const std::string& option, const std::string& parameter, const std::optional<std::string>& text,
                        const gamma::Exponent& fallback) {
    bool forced = std::find(forced_free_.begin(), forced_free_.end(), parameter) != forced_free_.end();
    if (forced && text) reject(option, "is an axis of this diagram and so is free; leave it out");
    if (forced || (text && *text == "free")) {
      if (std::find(free_.begin(), free_.end(), parameter) == free_.end()) free_.push_back(parameter);
      return gamma::MaxAffine::parameter(parameter);
    }
    if (!text) return fallback;
    try {
      return gamma::parse_exponent(*text);
    } catch (const InputError& e) {
      reject(option, std::string(e.what()) + "; or 'free' to leave it symbolic");
    }
  }
  bool is_forced(const std::string& parameter) const {
    return std::find(forced_free_.begin(), forced_free_.end(), parameter) != forced_free_.end();
  }
  const std::vector<std::string>& free() const { return free_; }

 private:
  std::vector<std::string> forced_free_;
  std::vector<std::string> free_;
};

}  // namespace

gamma::Rational multiplier_option(const std::string& text) {
  try {
    return gamma::parse_multiplier(text);
  } catch (const InputError& e) {
    reject("--multiplier", e.what());
  }
}

ModelOptions model_options_from(const std::function<std::optional<std::string>(const std::string& name)>& given) {
  ModelOptions o;
  o.scheme = given("scheme").value_or("");
  if (o.scheme.empty()) reject("--scheme", "choose a scheme: " + gamma::scheme_names());
  if (auto text = given("setting")) o.setting = parse_term(gamma::settings(), "--setting", *text);
  if (auto text = given("readout")) o.readout = parse_term(gamma::readouts(), "--readout", *text);
  if (auto text = given("optimizer")) o.optimizer = parse_term(gamma::optimizers(), "--optimizer", *text);
  o.eta = given("eta");
  o.eta_A = given("eta_A");
  o.eta_B = given("eta_B");
  o.ratio = given("ratio");
  o.sigma_A = given("sigma_A");
  o.sigma_B = given("sigma_B");
  o.alpha = given("alpha");
  o.subtract = given("subtract_initial");
  o.rho = given("rho");
  o.multiplier = given("multiplier");
  return o;
}

ModelChoice choose_model(const ModelOptions& o, const std::vector<std::string>& forced_free) {
  ModelChoice choice;
  gamma::LoraModel& model = choice.model;
  bool custom = gamma::is_custom_scheme(o.scheme);
  const gamma::Scheme* preset = nullptr;
  if (!custom) {
    try {
      preset = &gamma::find_scheme(o.scheme);
    } catch (const InputError& e) {
      reject("--scheme", e.what());
    }
  }
  ParameterReader reader(forced_free);
  if (custom && (!o.sigma_A || !o.sigma_B) && !reader.is_forced("sigma_A") && !reader.is_forced("sigma_B"))
    reject(o.sigma_A ? "--sigma-B" : "--sigma-A", "the custom scheme needs both --sigma-A and --sigma-B");

  if (o.subtract && !gamma::same_name(*o.subtract, "on") && !gamma::same_name(*o.subtract, "off"))
    reject("--subtract-initial", "'" + *o.subtract + "' is not accepted; accepted: on, off");
  model.setting = o.setting;
  if (o.readout && model.setting != gamma::Setting::Network)
    reject("--readout", "applies to --setting network only (the module setting has no readout)");
  model.readout = o.readout.value_or(gamma::Readout::Standard);
  model.optimizer = o.optimizer;

  const gamma::Exponent unset = gamma::Exponent::zero_quantity();
  // A learning rate nobody gave stays free: solve and phase want it so; predict checks below.
  bool both_rates_given = (o.eta_A || reader.is_forced("eta_A")) && (o.eta_B || reader.is_forced("eta_B"));
  if (both_rates_given && o.eta) reject("--eta", "is not used when both --eta-A and --eta-B are given");
  if (o.ratio && o.eta_B) reject("--ratio", "sets γ[η_B] from γ[η]; give either --ratio or --eta-B");
  gamma::MaxAffine eta;
  // (An axis of the diagram is free already: only a value the user gave is refused.)
  if (!both_rates_given) eta = reader.read("--eta", "eta", reader.is_forced("eta") ? o.eta : o.eta.value_or("free"), unset);
  model.eta_A = (o.eta_A || reader.is_forced("eta_A")) ? reader.read("--eta-A", "eta_A", o.eta_A, unset) : eta;
  if (o.eta_B || reader.is_forced("eta_B")) {
    model.eta_B = reader.read("--eta-B", "eta_B", o.eta_B, unset);
  } else {
    model.eta_B = eta;
    if (o.ratio) {
      try {
        model.eta_B = eta + gamma::MaxAffine(gamma::parse_exponent(*o.ratio));
      } catch (const InputError& e) {
        reject("--ratio", e.what());
      }
    }
  }
  choice.shared_learning_rate = !o.eta_A && !o.eta_B && !o.ratio && !reader.is_forced("eta_A") && !reader.is_forced("eta_B");

  // The rank first: a scheme's σ may depend on it (Init[B]'s B₀ ~ N(0, 1/r)).
  if (reader.is_forced("rho") || (o.rho && *o.rho == "free")) {
    model.rank = reader.read("--rho", "rho", reader.is_forced("rho") ? o.rho : std::optional<std::string>("free"), unset).forms().front();
  } else if (o.rho) {
    try {
      model.rank = gamma::parse_rank_exponent(*o.rho);
    } catch (const InputError& e) {
      reject("--rho", e.what());
    }
  }
  if (o.multiplier) model.multiplier = multiplier_option(*o.multiplier);
  model.sigma_A = preset && !o.sigma_A && !reader.is_forced("sigma_A") ? preset->sigma_A_at(model.rank)
                                                                        : reader.read("--sigma-A", "sigma_A", o.sigma_A, unset);
  model.sigma_B = preset && !o.sigma_B && !reader.is_forced("sigma_B") ? preset->sigma_B_at(model.rank)
                                                                        : reader.read("--sigma-B", "sigma_B", o.sigma_B, unset);
  model.alpha = reader.read("--alpha", "alpha", o.alpha, gamma::Exponent(0));
  model.subtract_initial_product = o.subtract ? gamma::same_name(*o.subtract, "on") : (preset && preset->subtracts_initial_product);

  choice.title = preset ? preset->title : "custom";
  if (preset && (o.sigma_A || o.sigma_B)) choice.title += " with its σ overridden";
  choice.free_parameters = reader.free();
  return choice;
}

namespace {
std::string ascii(const gamma::MaxAffine& g) { return g.to_string(gamma::Notation::Ascii); }
std::string text(const gamma::MaxAffine& g) { return g.to_string(gamma::Notation::Text); }
std::string setting_name(const gamma::LoraModel& m) {
  if (m.setting == gamma::Setting::Module) return gamma::settings().name(m.setting);
  return gamma::settings().name(m.setting) + ", " + gamma::readouts().title(m.readout);
}
}  // namespace

nlohmann::json ModelChoice::to_json() const {
  return {{"scheme", title},
          {"setting", gamma::settings().name(model.setting)},
          {"readout", model.setting == gamma::Setting::Module ? nlohmann::json(nullptr)
                                                               : nlohmann::json(gamma::readouts().name(model.readout))},
          {"optimizer", gamma::optimizers().name(model.optimizer)},
          {"sigma_A", ascii(model.sigma_A)},
          {"sigma_B", ascii(model.sigma_B)},
          {"eta_A", ascii(model.eta_A)},
          {"eta_B", ascii(model.eta_B)},
          {"alpha", ascii(model.alpha)},
          {"rho", model.rank.to_string(gamma::Notation::Ascii)},
          {"multiplier", gamma::multiplier_name(model.multiplier)},
          {"subtract_initial_product", model.subtract_initial_product},
          {"free_parameters", free_parameters}};
}

std::string ModelChoice::describe() const {
  return title + " — " + setting_name(model) + ", " + gamma::optimizers().title(model.optimizer) +
         "; γ[σ_A] = " + text(model.sigma_A) + ", γ[σ_B] = " + text(model.sigma_B) + ", γ[η_A] = " + text(model.eta_A) +
         ", γ[η_B] = " + text(model.eta_B) + ", γ[α] = " + text(model.alpha) + ", " + gamma::multiplier_title(model.multiplier) + ", r = n^" +
         model.rank.to_string(gamma::Notation::Text) +
         (model.subtract_initial_product ? ", B₀A₀ subtracted" : "");
}

}  // namespace gammalab::experiments
