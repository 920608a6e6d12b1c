#pragma once
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <string>

namespace gammalab::app {

// `gammalab sweep SPEC -o DIR` and `gammalab analyze DIR`.
std::function<int()> add_sweep_command(CLI::App& app);

// What `sweep` does, for `reproduce` too: train what is unfinished, analyse, write
// summary.json, and return it.
struct SweepRequest {
  std::string spec_path, output;
  bool resume = false;
  int threads = 1;
  std::string device = "auto";
  bool quiet = false;
};
nlohmann::json sweep_and_analyse(const SweepRequest& request);
std::function<int()> add_analyze_command(CLI::App& app);

}  // namespace gammalab::app
