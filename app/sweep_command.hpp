#pragma once
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace gammalab::app {

// `gammalab sweep SPEC -o DIR` and `gammalab analyze DIR`.
std::function<int()> add_sweep_command(CLI::App& app);
std::function<int()> add_analyze_command(CLI::App& app);

// What `sweep` does, for `reproduce` too.
struct SweepRequest {
  std::string spec_path, output;
  bool resume = false;
  int threads = 1;
  std::string device = "auto";
  bool quiet = false;
  int gpus = 0;               // at most this many GPUs of this host; 0: every visible one
  std::string shard = "1/1";  // --shard i/k
  bool mpi = false;           // --mpi: this process is one rank of an MPI job
};

enum class SweepOutcome {
  Whole,        // this process wrote a whole sweep's directory (analyse it)
  Shard,        // this process wrote one shard's directory (merge it with the others)
  OtherRank,    // an MPI rank other than 0: its part went to rank 0
  Stopped,      // an MPI rank other than 0, told by rank 0 that the run was refused
};

// Trains what is unfinished and leaves a complete directory (or shard, or — on MPI
// ranks other than 0 — nothing). Every check of the request and the spec comes before
// anything is written.
SweepOutcome run_sweep_request(const SweepRequest& request);

// Reads the spec kept in a result directory's manifest, writes summary.json and
// returns it (with `loss` and `bootstrap` overriding the spec's analysis).
nlohmann::json analyse_result_directory(const std::filesystem::path& directory, const std::optional<std::string>& loss = {},
                                        std::optional<int> bootstrap = {});

// A whole sweep, trained and analysed: what `reproduce` runs.
nlohmann::json sweep_and_analyse(const SweepRequest& request);

}  // namespace gammalab::app
