#pragma once
#include <CLI/CLI.hpp>

#include <functional>

namespace gammalab::app {

// `gammalab reproduce NAME`: a paper's figure in one command — the experiment's spec,
// its sweep, the analysis, the figure, and the verdict.
std::function<int()> add_reproduce_command(CLI::App& app);

}  // namespace gammalab::app
