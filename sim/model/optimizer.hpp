#pragma once
// The optimisers of the simulator: AdamW (decoupled weight decay, as PyTorch's) and
// plain SGD, each with its own learning rate for A and for B (LoRA+), and the
// learning-rate schedules.
#include <Eigen/Dense>

#include "gamma/vocabulary.hpp"

namespace gammalab::sim {

using Optimizer = gamma::Optimizer;  // the one definition, with its names, is the vocabulary's

struct OptimizerSpec {
  Optimizer kind = Optimizer::Adam;
  double beta1 = 0.9, beta2 = 0.99;  // paper 003, appendix B.1.1
  double epsilon = 1e-8;
  double weight_decay = 0;
};

// The running moments of one parameter matrix.
struct AdamMoments {
  Eigen::MatrixXd first, second;
};

// One update of `parameter` in place, at step t = 1, 2, … with learning rate lr:
//   AdamW: p ← p − lr·λ·p − lr · m̂/(√v̂ + ε), m̂, v̂ the bias-corrected moments;
//   SGD:   p ← p − lr·g.
void apply_update(const OptimizerSpec& spec, int step, double lr, const Eigen::MatrixXd& gradient,
                  Eigen::MatrixXd& parameter, AdamMoments& moments);

struct ScheduleSpec {
  enum class Decay { Constant, Linear, Cosine } decay = Decay::Constant;
  int warmup_steps = 0;         // linear warm-up from lr/warmup to lr
  double final_fraction = 0.0;  // decays end at this fraction of the peak
  // The multiplier of the peak learning rate at step t of total (1 ≤ t ≤ total).
  double factor(int step, int total) const;
};

}  // namespace gammalab::sim
