#pragma once
#include <CLI/CLI.hpp>

#include <functional>

namespace gammalab::app {

// `gammalab gamma predict|solve|explain|phase|table|mlp`: the exact γ engine.
std::function<int()> add_gamma_command(CLI::App& app);

}  // namespace gammalab::app
