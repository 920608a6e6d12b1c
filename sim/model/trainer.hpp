#pragma once
// Training one LoRA configuration on a frozen student: only A and B move. A run ends
// early, recorded as diverged with its step, when the loss becomes NaN, infinite or
// larger than the bound — never a crash, never a NaN passed on to a figure.
#include <Eigen/Dense>

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sim/model/lora_init.hpp"
#include "sim/model/lora_network.hpp"
#include "sim/model/optimizer.hpp"
#include "sim/model/student.hpp"

namespace gammalab::sim {

struct TrainSpec {
  InitSpec init;
  int rank = 4;
  double alpha = 4;  // the adapter multiplier's numerator; α = r makes α/r = 1 under LoRA
  // κ of the adapter's scale α/r^κ: 1 for LoRA (Hu et al.), 1/2 for rsLoRA (Kalajdzievski).
  double multiplier_exponent = 1;
  double lr_A = 1e-3, lr_B = 1e-3;
  OptimizerSpec optimizer;
  ScheduleSpec schedule;
  int steps = 1000;
  int batch_size = 0;  // 0: full batch
  std::uint64_t seed = 0;  // the adapter's initialisation and the batch order
  double divergence_bound = 1e6;
  int record_every = 0;  // 0: no curve
  int last_k = 50;       // the "mean of the last K train losses" statistic
  bool keep_factors = false;  // return the final A and B (for CPU–GPU parity checks)
  // The horizons at which stability is judged (ascending, each in 1 … steps): the
  // theory's exponents hold at a fixed step while a run trains many, so the analysis
  // reads its stability criteria after a few numbers of steps, not only at the end.
  std::vector<int> horizons;
};

// What a run has seen by step h of a horizon, both trainers alike (sim/model/training_rules.hpp
// says at which parameters): the two stability criteria of the analysis read these.
struct HorizonRecord {
  int step = 0;                      // the horizon h
  double max_train_loss = INFINITY;  // the largest per-step train loss of steps 1 … h
  // The root mean square, over the rows of step h's batch (full batch: the train set)
  // and the n hidden units, of the adapter's output s·Z_B = s·Z_A Bᵀ at the parameters
  // step h sees — less its initial value s·Z_B⁰ where the initial product is
  // subtracted, so that it measures what training added.
  double rms_Z_B = INFINITY;
  // Both stay +inf for a horizon at or past the step where the run diverged.
};

struct CurvePoint {
  int step;
  double train_loss;  // on the batch of that step (full batch: the train loss)
  double test_loss;
  double lr_factor;
  double norm_Z_A, norm_Z_B;  // mean over train points of ‖Z_A(x)‖ and ‖Z_B(x)‖ (paper 003, Fig. 3)
};

struct TrainResult {
  double initial_train_loss = 0;
  double final_train_loss = 0;  // full train set, after the last step
  double final_test_loss = 0;
  double mean_last_train = 0;   // mean of the last K per-step train losses
  double max_train_loss = 0;    // the largest per-step train loss
  bool diverged = false;
  int diverged_step = 0;
  int steps_done = 0;
  double fit_residual = 0;
  std::vector<CurvePoint> curve;
  std::vector<HorizonRecord> horizons;  // one per TrainSpec::horizons, in order
  Eigen::MatrixXd final_A, final_B;  // with keep_factors only
};

// The factor s = α/r^κ that multiplies the adapter's product B·A, in every trainer.
inline double adapter_scale(const TrainSpec& spec) { return spec.alpha / std::pow(double(spec.rank), spec.multiplier_exponent); }

// The adapter's factors as training leaves them: at step 0 (initialised) and after the
// update of each step t that did not diverge. What a coordinate check measures.
struct FactorsAtStep {
  int step;
  const Eigen::MatrixXd& A;
  const Eigen::MatrixXd& B;
  const LoraBatch& train;  // the whole train set as the adapter sees it (H less s·Z(B₀A₀)ᵀ where subtracted)
};
using StepObserver = std::function<void(const FactorsAtStep&)>;

// `observe`, where given, sees the factors at step 0 and after every step's update.
TrainResult train(const FrozenStudent& student, const TrainSpec& spec, const StepObserver& observe = {});

}  // namespace gammalab::sim
