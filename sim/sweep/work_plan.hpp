#pragma once
// How a sweep's work is divided. The unit of work is a group: the configurations that
// share one frozen student and data set (same width, teacher, seed and readout) and one adapter shape (same
// rank and multiplier: the GPU trains a group as one batch of r × n adapters with one
// scale), which every backend trains together.
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

#include "sim/sweep/result_directory.hpp"
#include "sim/sweep/sweep_spec.hpp"

namespace gammalab::sim {

struct WorkGroup {
  int width;
  int teacher;
  std::uint64_t seed;  // as the spec gives it; the student's is seed_under_teacher(seed, teacher)
  Readout readout;
  int rank;
  std::string multiplier;
  std::vector<Configuration> members;  // in configuration-id order
  double flops;                        // to train every member
};

// Training one configuration of this width and rank: lora_step_flops (N·n·(10r + 5) for
// the forward pass, loss and both gradients) times the steps.
double training_flops(const SweepSpec& spec, int width, int rank);

// The memory the CPU backend (sim/model/backend.cpp) holds while it trains a group of this
// width: one frozen student, which the group's workers (threads) share, and one
// configuration in training per worker. In bytes of doubles, counting the terms of size
// N·n and n² (N = N_train + N_test, the splits' rows):
//   student (sim/model/student.cpp): W_h, n², and Z and H of both splits, 2·N·n; where a
//     scheme fits or decomposes W_h (its initialiser's reads_frozen_weight), 6·n² more
//     for an SVD's factors and Eigen's workspace, which the student keeps (PiSSA, MiLoRA;
//     a bound for IniLoRA). Freezing a split needs its pre-activation besides, less than
//     one worker's share, which is only taken after it.
//   per worker (sim/model/trainer.cpp, sim/model/lora_network.cpp): the configuration's own copy of
//     H₀ for both splits, N·n, and a step's H' and the ReLU'd copy its product with w_out
//     reads, 2·N_train·n; or, where a scheme reads W_h, IniLoRA's fit before training
//     (its residual and B·A, 2·n²) when that is larger; and the adapter at rank r, which
//     at ranks in the hundreds is of the same order: A and B, their gradients and
//     Adam's two moments, 8·n·r, and the N × r products of both splits and their
//     gradient, 3·N·r.
// W_in (n·d) is left out. This is an estimate to refuse what cannot fit, not an
// allocator's count.
struct CpuMemory {
  double student = 0, per_worker = 0;
  double with_workers(int workers) const { return student + workers * per_worker; }
};
CpuMemory cpu_memory_bytes(const SweepSpec& spec, int width, int rank);

// The configurations grouped by (width, teacher, seed, readout, rank, multiplier), in the order of
// their first member.
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
// InputError naming the shard option (request_names) and the accepted form unless `text` is "i/k" with 1 ≤ i ≤ k.
Shard parse_shard(const std::string& text);

// The configurations of one shard: the spec's groups balanced over `shard.count` parts,
// taking part `shard.index`. Computed over the whole spec, so a resumed shard is the
// same shard.
std::vector<Configuration> configurations_of_shard(const SweepSpec& spec, const Shard& shard);

}  // namespace gammalab::sim
