#pragma once
// Running a sweep: every (scheme, width, seed, learning rate) of the spec, grouped by
// (width, seed) so that each frozen student is built once and shared.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "sim/backend.hpp"
#include "sim/result_directory.hpp"
#include "sim/sweep_spec.hpp"

namespace gammalab::sim {

// In a fixed order — width, then seed, then scheme, then learning rate — so that a
// configuration's id means the same thing in every run of the same spec.
std::vector<Configuration> enumerate_configurations(const SweepSpec& spec);
TrainSpec train_spec_of(const SweepSpec& spec, const Configuration& configuration);

struct SweepProgress {
  std::size_t done = 0, total = 0;  // configurations, counting those finished before a resume
  std::size_t done_this_run = 0;
  double seconds = 0;               // since this run started
};

struct SweepRun {
  std::filesystem::path directory;
  bool resume = false;
  std::string spec_text;  // the file as written, kept in the manifest
  nlohmann::json provenance;  // program version, git revision, command line
};

// Trains what is not finished yet and leaves a complete result directory.
void run_sweep(const SweepSpec& spec, const SweepRun& run, TrainerBackend& backend,
               const std::function<void(const SweepProgress&)>& progress);

}  // namespace gammalab::sim
