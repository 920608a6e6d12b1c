#include "app/merge_command.hpp"

#include <filesystem>
#include <iostream>
#include <memory>

#include "app/cli_support.hpp"
#include "app/sweep_command.hpp"
#include "sim/analysis.hpp"
#include "sim/shard_merge.hpp"

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
    const std::filesystem::path output = o->output;
    if (std::filesystem::exists(output)) reject("-o", output.string() + " already exists; choose another directory");
    // Built beside its destination and renamed into place when complete, analysis
    // included: a refused or failed merge leaves nothing behind.
    std::filesystem::path staging = output;
    staging += ".merging";
    std::filesystem::remove_all(staging);
    std::vector<std::filesystem::path> parts(o->parts.begin(), o->parts.end());
    nlohmann::json summary;
    try {
      sim::merge_shards(parts, staging);
      summary = analyse_result_directory(staging);
    } catch (...) {
      std::filesystem::remove_all(staging);
      throw;
    }
    std::filesystem::rename(staging, output);
    if (!o->quiet) std::cout << sim::describe_analysis(summary) << "merged " << parts.size() << " shards into " << output.string() << "\n";
    return 0;
  };
}

}  // namespace gammalab::app
