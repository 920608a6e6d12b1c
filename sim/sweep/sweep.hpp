#pragma once
// Running a sweep: every configuration of the spec, grouped (sim/sweep/work_plan.hpp) so that
// each frozen student is built once per group and shared, and spread over
// the trainers given (one per GPU, or the CPU). A shard runs one part of the sweep
// (sim/sweep/work_plan.hpp); mpi/ runs the parts on MPI ranks with the same pieces.
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "sim/model/backend.hpp"
#include "sim/sweep/manifest.hpp"
#include "sim/sweep/result_directory.hpp"
#include "sim/sweep/result_schema.hpp"
#include "sim/sweep/sweep_spec.hpp"
#include "sim/sweep/work_plan.hpp"

namespace gammalab::sim {

// In a fixed order — teacher, width, seed, readout, rank, multiplier, scheme, initial
// scale, learning rate — so that a configuration's id means the same thing in every run of the
// same spec, and teacher 0's grid has the ids of a sweep of one teacher.
std::vector<Configuration> enumerate_configurations(const SweepSpec& spec);
TrainSpec train_spec_of(const SweepSpec& spec, const Configuration& configuration);

struct SweepProgress {
  std::size_t done = 0, total = 0;  // configurations, counting those finished before a resume
  std::size_t done_this_run = 0;
  double seconds = 0;               // since this run started
  int refinement_round = 0;         // 0: the grid; the total grows with each round
};

struct SweepRun {
  std::filesystem::path directory;
  bool resume = false;
  Provenance provenance;
  Shard shard;            // the whole sweep unless --shard
};

// The plan a directory's rows are held against: the configurations of its shard's grid
// (the whole grid, for shard 1/1) and those of the refinement rounds its rows lead to
// (sim/sweep/refinement.hpp). Every row must be the configuration its id names there (its
// axes, its round, the spec's horizon columns) and appear once; with `complete`, every
// configuration of the plan must have its row. InputError starting with `origin`
// (runs.csv's path) that names the row at fault, or the counts: rows held,
// configurations planned, those missing.
void check_rows_against_plan(const std::vector<RunRow>& rows, const SweepSpec& spec, const Shard& shard, bool complete,
                             const std::string& origin);
// The rows of a result directory whose manifest (read_manifest) is `manifest`, read as
// every reader reads them: each cell typed and in range (read_runs), and held against
// the plan of the manifest's spec and shard, complete as its status says.
std::vector<RunRow> read_checked_runs(const std::filesystem::path& directory, const Manifest& manifest);

// What manifest.json holds before the sweep starts; `device` says what trains it.
Manifest manifest_of(const SweepSpec& spec, const SweepRun& run, const std::string& device);
// "cpu (2 threads)", or for several trainers "2 × gpu (NVIDIA H200, FP32; …)".
std::string describe_trainers(const std::vector<TrainerBackend*>& trainers);

// The groups of `configurations` (a shard's, from configurations_of_shard) that are not
// finished yet.
std::vector<WorkGroup> pending_groups(const SweepSpec& spec, std::vector<Configuration> configurations,
                                      const std::set<std::size_t>& finished);

// Trains `groups` on `trainers`, each on its teacher's data set (`teachers`, from
// make_teacher_datasets) and its student seeds under that teacher (seed_under_teacher), with one thread per group a trainer may train at once
// (its concurrent_groups()), each taking the costliest group left whenever it is free. `one_done` gets each
// configuration's result, one call at a time, from any thread. The first failure stops
// the others from taking new groups and is rethrown.
void train_groups(const SweepSpec& spec, const std::vector<Dataset>& teachers, const std::vector<WorkGroup>& groups,
                  const std::vector<TrainerBackend*>& trainers,
                  const std::function<void(const Configuration&, const TrainResult&)>& one_done);

// Trains what is not finished yet and leaves a complete result directory.
void run_sweep(const SweepSpec& spec, const SweepRun& run, const std::vector<TrainerBackend*>& trainers,
               const std::function<void(const SweepProgress&)>& progress);

}  // namespace gammalab::sim
