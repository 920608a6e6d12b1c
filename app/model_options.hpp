#pragma once
// The options that describe a LoRA model to the γ engine, shared by every
// `gammalab gamma` subcommand, and their translation into a gamma::LoraModel.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "gamma/lora_dynamics.hpp"
#include "gamma/scheme.hpp"

namespace gammalab::app {

struct ModelOptions {
  std::string scheme;
  std::string setting = "module";
  std::optional<std::string> readout;
  std::string optimizer = "adam";
  std::optional<std::string> eta, eta_A, eta_B, ratio, sigma_A, sigma_B, alpha, subtract;
};

void add_model_options(CLI::App& command, ModelOptions& options);

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

inline const std::vector<std::string> kParameterNames = {"eta", "eta_A", "eta_B", "sigma_A", "sigma_B", "alpha"};

}  // namespace gammalab::app
