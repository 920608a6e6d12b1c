#pragma once
// How a sweep's work is divided. The unit of work is a group: the configurations that
// share one frozen student (same width and seed), which every backend trains together.
// Groups differ in cost by orders of magnitude (a 2^13 group costs 64 times a 2^7
// one), so work is divided by floating-point operations, never by count:
//
//   * between parts that cannot talk (shards of a job array, MPI ranks), by the
//     longest-processing-time rule: groups in decreasing cost, each to the part with
//     the least work so far. Every process computes the same plan from the spec alone.
//   * between GPUs of one process, dynamically: each takes the costliest group left
//     when it is free, which is the same rule applied online.
#include <cstdint>
#include <string>
#include <vector>

#include "sim/result_directory.hpp"
#include "sim/sweep_spec.hpp"

namespace gammalab::sim {

struct WorkGroup {
  int width;
  std::uint64_t seed;
  Readout readout;
  std::vector<Configuration> members;  // in configuration-id order
  double flops;                        // to train every member
};

// Training one configuration of this width: lora_step_flops (N·n·(10r + 5) for the
// forward pass, loss and both gradients) times the steps.
double training_flops(const SweepSpec& spec, int width);

// The configurations grouped by (width, seed, readout), in the order of their first member.
std::vector<WorkGroup> group_configurations(const SweepSpec& spec, const std::vector<Configuration>& configurations);

// Groups divided into `parts` lists (indices into `groups`) of nearly equal FLOPs by
// the longest-processing-time rule; ties go to the lower index, so the plan is the
// same in every process. Each list is in decreasing cost.
std::vector<std::vector<std::size_t>> balance_by_flops(const std::vector<WorkGroup>& groups, int parts);

// `--shard i/k`: part i (counted from 1) of k.
struct Shard {
  int index = 1, count = 1;
  bool whole() const { return count == 1; }
  std::string text() const { return std::to_string(index) + "/" + std::to_string(count); }
};
// InputError naming --shard and the accepted form unless `text` is "i/k" with 1 ≤ i ≤ k.
Shard parse_shard(const std::string& text);

// The configurations of one shard: the spec's groups balanced over `shard.count` parts,
// taking part `shard.index`. Computed over the whole spec, so a resumed shard is the
// same shard.
std::vector<Configuration> configurations_of_shard(const SweepSpec& spec, const Shard& shard);

}  // namespace gammalab::sim
