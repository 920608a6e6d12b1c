#pragma once
#include <CLI/CLI.hpp>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "app/model_options.hpp"

namespace gammalab::app {

// `gammalab gamma predict|solve|explain|phase|table`: the exact γ engine.
std::function<int()> add_gamma_command(CLI::App& app);

// The regions of a two-parameter diagram, as `gamma phase --json` prints them (plus
// "description" and "settle_sentence" for people).
nlohmann::json phase_document(const ModelOptions& options, const std::string& x, const std::string& y,
                              const std::string& low, const std::string& high);

}  // namespace gammalab::app
