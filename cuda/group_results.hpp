#pragma once
// A GPU group's results in the CPU trainer's terms (sim/model/trainer.cpp): from what the
// device recorded, each configuration's TrainResult, with the divergence and recording
// rules of sim/model/training_rules.hpp.
#include <vector>

#include "sim/model/trainer.hpp"

namespace gammalab::cuda {

// What a group's run brought back from the device, all per configuration c of C:
// history[(t − 1)·C + c] the training loss at step t (before its update); diverged[c]
// the step at which c diverged (0: never); the losses after the last update; at the
// recorded steps record_steps[i], record_*[i·C + c]; at the horizon spec.horizons[i]
// (where the group's steps reached it, as the CPU trainer walks them),
// horizon_rms[i·C + c] the RMS of the adapter's output (sim::HorizonRecord::rms_Z_B);
// the final factors (with keep_factors), A (C·R) × n and B (C·n) × R at the stored rank
// R (cuda/group_memory.cuh: stored_rank), of which the first `rank` columns are the
// adapter's.
struct GroupRecord {
  int rank = 0, stored_rank = 0, width = 0;
  std::vector<float> history;
  std::vector<int> diverged;
  std::vector<float> final_train, final_test;
  std::vector<int> record_steps;
  std::vector<float> record_test, norm_A, norm_B;
  std::vector<float> horizon_rms;
  std::vector<float> A, B;
  std::vector<double> fit_residual;
};

std::vector<sim::TrainResult> assemble_results(const sim::TrainSpec& spec, const GroupRecord& record);

}  // namespace gammalab::cuda
