#pragma once
// A sweep as a job: the request (spec file, result directory, device, threads, shard,
// MPI), the choice of trainers, the training, and the analysis of a result directory.
// `gammalab sweep`, `analyze` and `reproduce` are thin layers over these.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gamma/vocabulary.hpp"
#include "sim/analysis/analysis.hpp"
#include "sim/sweep/sweep.hpp"
#include "sim/sweep/sweep_spec.hpp"

namespace gammalab::experiments {

// Where a sweep trains: the GPU when one is usable (auto), or the one named.
enum class DeviceChoice { Auto, Cpu, Gpu };
inline const gamma::Vocabulary<DeviceChoice>& device_choices() {
  static const gamma::Vocabulary<DeviceChoice> vocabulary(
      "device", {{DeviceChoice::Auto, "auto", "the GPU when one is usable, else the CPU", {}},
                 {DeviceChoice::Cpu, "cpu", "the CPU", {}},
                 {DeviceChoice::Gpu, "gpu", "the GPU", {}}});
  return vocabulary;
}

// A CPU thread count given as --threads: from 1 to 1024.
void check_threads(int threads);
// The default thread count: every core of this machine.
int default_threads();

// What `sweep` does, for `reproduce` too.
struct SweepRequest {
  std::string spec_path, output;
  bool resume = false;
  int threads = 1;
  DeviceChoice device = DeviceChoice::Auto;
  bool quiet = false;
  int gpus = 0;               // at most this many GPUs of this host; 0: every visible one
  std::string shard = "1/1";  // --shard i/k
  bool mpi = false;           // --mpi: this process is one rank of an MPI job
  bool dry_run = false;       // --dry-run: the estimate, and nothing trained or written
};

// What a sweep will take, stated before anything is written: its configurations, the
// memory of its most demanding group on the device chosen against what that device
// has, and its arithmetic with a rough time at an assumed rate (never measured at run
// time, so an estimate, and the text says so).
struct SweepEstimate {
  std::string text;     // in words, a line each: what `sweep` prints before training and --dry-run prints alone
  std::string refusal;  // empty when the memory fits; else why not (the key, what needs how much, what is available) and what to do
};

enum class SweepOutcome {
  Whole,        // this process wrote a whole sweep's directory (analyse it)
  Shard,        // this process wrote one shard's directory (merge it with the others)
  OtherRank,    // an MPI rank other than 0: its part went to rank 0
  Stopped,      // an MPI rank other than 0, told by rank 0 that the run was refused
  DryRun,       // --dry-run: the estimate was given; nothing was trained or written
};

// Trains what is unfinished and leaves a complete directory (or shard, or — on MPI
// ranks other than 0 — nothing). Every check of the request and the spec comes before
// anything is written, the estimate's memory last: `estimated` gets the estimate (on
// rank 0 only, under MPI), then a spec whose memory cannot fit the device is refused
// (InputError) and --dry-run stops.
// `progress` is called as configurations finish (on rank 0 only, under MPI).
SweepOutcome run_sweep_request(const SweepRequest& request, const std::function<void(const sim::SweepProgress&)>& progress,
                               const std::function<void(const SweepEstimate&)>& estimated);

// InputError naming DIR unless the manifest is of a whole sweep (not one shard of it):
// what analyze and report read.
void require_whole_sweep(const std::filesystem::path& directory, const sim::Manifest& manifest);
// How this program names itself in the manifests it writes: its version and the commit
// it was built from.
sim::Provenance this_program();

// Reads the spec kept in a result directory's manifest, writes summary.json and
// returns it (with `loss` and `bootstrap` overriding the spec's analysis). It holds the
// directory as a writer does (sim::DirectoryLock): refused, naming the process, while a
// sweep or another analysis holds it. Rows that fail any reader's check are refused
// (sim::read_checked_runs), a complete directory's missing rows included.
nlohmann::json analyse_result_directory(const std::filesystem::path& directory, std::optional<sim::LossStatistic> loss = {},
                                        std::optional<int> bootstrap = {});
// `analyze --split-seeds`: the two halves of the seeds analysed apart (sim/analysis/analysis.hpp),
// written to DIR/split-seeds.json.
sim::SeedHalves analyse_seed_halves_of_directory(const std::filesystem::path& directory,
                                                 std::optional<sim::LossStatistic> loss = {}, std::optional<int> bootstrap = {});

// A whole sweep's summary.json as `report` sets it out, read under a lock for reading
// after every check of the rows: refused where there is none, or where it is not the
// analysis of the rows and status there (a sweep completed or resumed after it).
sim::SweepSummary summary_for_report(const std::filesystem::path& directory);

// What every reader checks before it uses a whole or sharded result directory (Python's
// load()): held for reading, its manifest's types, its checksums and its rows against
// the plan. InputError starting with `field`.
void check_result_directory(const std::filesystem::path& directory, const std::string& field);

// Joins the shards of a sweep into `output`, analysed. Built beside its destination in
// OUT.merging, made exclusively (an existing one is another merge's, and never
// touched), and renamed into place when complete unless another merge took the name
// meanwhile: a refused or failed merge leaves nothing behind, and of two merges into one
// OUT exactly one succeeds.
nlohmann::json merge_and_analyse(const std::vector<std::filesystem::path>& parts, const std::filesystem::path& output);

// A whole sweep, trained and analysed: what `reproduce` runs.
nlohmann::json sweep_and_analyse(const SweepRequest& request, const std::function<void(const sim::SweepProgress&)>& progress);

}  // namespace gammalab::experiments
