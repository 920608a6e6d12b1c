#pragma once
#include <CLI/CLI.hpp>

#include <functional>

namespace gammalab::app {

// `gammalab coordcheck`: measured exponents of every quantity beside the engine's.
std::function<int()> add_coordcheck_command(CLI::App& app);

}  // namespace gammalab::app
