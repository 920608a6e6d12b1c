#pragma once
// A LoRA model as a user describes it to the γ engine — a scheme and exponents as
// text, any of them 'free' — and its translation into a gamma::LoraModel. The command
// line (app/model_options.cpp) and the experiments fill the same request.
#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gamma/input_error.hpp"
#include "gamma/lora_dynamics.hpp"
#include "gamma/scheme.hpp"

namespace gammalab::experiments {

struct ModelOptions {
  std::string scheme;
  gamma::Setting setting = gamma::Setting::Module;
  std::optional<gamma::Readout> readout;
  gamma::Optimizer optimizer = gamma::Optimizer::Adam;
  std::optional<std::string> eta, eta_A, eta_B, ratio, sigma_A, sigma_B, alpha, subtract, rho, multiplier;
};

// A model with its free parameters in a fixed order, ready for the engine.
struct ModelChoice {
  gamma::LoraModel model;
  std::string title;                        // "Init[A]", or "custom"
  std::vector<std::string> free_parameters;  // "eta", "sigma_A", …
  bool shared_learning_rate = false;         // η_A = η_B = η: a "maximal stable γ[η]" exists
  nlohmann::json to_json() const;
  std::string describe() const;  // one line for people
};

// `forced_free` names parameters to leave symbolic whatever the options say (phase's axes).
ModelChoice choose_model(const ModelOptions& options, const std::vector<std::string>& forced_free = {});

inline const std::vector<std::string> kParameterNames = {"eta", "eta_A", "eta_B", "sigma_A", "sigma_B", "alpha", "rho"};
// The model options by the CLI's names without dashes, as the Python module and the
// page's API receive them: `given(name)` is the text a user gave, or nothing. A missing
// scheme or a bad term is refused as the CLI refuses it, naming the option.
inline const std::vector<std::string> kModelOptionNames = {"scheme", "setting", "readout", "optimizer", "eta", "eta_A",
                                                           "eta_B", "ratio", "sigma_A", "sigma_B", "alpha", "subtract_initial",
                                                           "rho", "multiplier"};
// A term of a vocabulary given for `option`, refused as the command line refuses it.
template <class Value>
Value parse_term(const gamma::Vocabulary<Value>& vocabulary, const std::string& option, const std::string& text) {
  try {
    return vocabulary.parse(text);
  } catch (const InputError& e) {
    reject(option, e.what());
  }
}

// The multiplier's κ given for --multiplier, refused as the command line refuses it.
gamma::Rational multiplier_option(const std::string& text);

ModelOptions model_options_from(const std::function<std::optional<std::string>(const std::string& name)>& given);

// "eta, eta_A, …, alpha"
inline std::string parameter_names() {
  std::string text;
  for (const auto& name : kParameterNames) text += (text.empty() ? "" : ", ") + name;
  return text;
}

}  // namespace gammalab::experiments
