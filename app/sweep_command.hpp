#pragma once
#include <CLI/CLI.hpp>

#include <functional>

namespace gammalab::app {

// `gammalab sweep SPEC -o DIR` and `gammalab analyze DIR`.
std::function<int()> add_sweep_command(CLI::App& app);
std::function<int()> add_analyze_command(CLI::App& app);

}  // namespace gammalab::app
