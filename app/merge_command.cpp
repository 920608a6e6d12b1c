#include "app/merge_command.hpp"

#include <filesystem>
#include <iostream>
#include <memory>

#include "app/cli_support.hpp"
#include "experiments/sweep_job.hpp"
#include "sim/analysis/analysis.hpp"

namespace gammalab::app {

std::function<int()> add_merge_command(CLI::App& app) {
  struct Options {
    std::vector<std::string> parts;
    std::string output;
    bool quiet = false;
  };
  auto o = std::make_shared<Options>();
  auto* command = app.add_subcommand("merge", "Join the shards of a sweep (sweep --shard i/k) into one analysed result directory");
  command->add_option("DIR", o->parts, "Every shard's result directory, in any order")->required();
  command->add_option("-o,--output", o->output, "The merged result directory to create")->required();
  command->add_flag("--quiet", o->quiet, "No analysis printout");
  return [o] {
    const std::vector<std::filesystem::path> parts(o->parts.begin(), o->parts.end());
    const nlohmann::json summary = experiments::merge_and_analyse(parts, o->output);
    if (!o->quiet) std::cout << sim::describe_analysis(summary) << "merged " << parts.size() << " shards into " << o->output << "\n";
    return 0;
  };
}

}  // namespace gammalab::app
