#pragma once
// The optimiser's update of A and B, every configuration at once: the rule (AdamW or
// SGD, as sim/model/optimizer.cpp applies them on the CPU) is a type, and one element-wise
// pass (through CUB) applies it where the configuration has not diverged. Each
// configuration has its own learning rate; the step's scalars (schedule factor, Adam's
// bias corrections) are read from device memory at the step counter, so that one
// captured graph of a step can be replayed for every step.
#include <cuda_runtime.h>

#include <cstdint>

#include "sim/model/training_rules.hpp"

namespace gammalab::cuda::kernels {

// The scalars of training step t, precomputed on the host.
struct StepScalars {
  float lr_factor, first_correction, second_correction;
};

// Advances the step counter (one index): the last launch of a step.
struct AdvanceStep {
  int* step;
  __device__ void operator()(std::int64_t) const { ++*step; }
};

// AdamW with decoupled weight decay, as PyTorch's:
//   m ← β₁m + (1 − β₁)g,  v ← β₂v + (1 − β₂)g²,  p ← p(1 − lr·λ) − lr · (m/c₁) / (√(v/c₂) + ε).
struct AdamWRule {
  float beta1, beta2, epsilon, weight_decay;
  __device__ void operator()(float& parameter, float gradient, float& first, float& second, float lr,
                             const StepScalars& now) const {
    const float m = beta1 * first + (1.0f - beta1) * gradient;
    const float v = beta2 * second + (1.0f - beta2) * gradient * gradient;
    first = m;
    second = v;
    float p = parameter;
    if (weight_decay != 0.0f) p *= 1.0f - lr * weight_decay;
    parameter = p - lr * (m / now.first_correction) / (sqrtf(v / now.second_correction) + epsilon);
  }
};

// Plain SGD: p ← p − lr·g. It keeps no moments.
struct SgdRule {
  __device__ void operator()(float& parameter, float gradient, float&, float&, float lr, const StepScalars&) const {
    parameter -= lr * gradient;
  }
};

// One update of a (C·R) × n (or C·n × R) parameter block, `per_config` entries per
// configuration, one index per entry. first and second may be null for SgdRule. An entry
// or moment the update leaves NaN or infinite marks the configuration diverged after
// this step (sim/model/training_rules.hpp: state_diverged), as the CPU trainer does; every
// thread that sees it writes the same step, step + 1. The update skips a configuration
// marked at this step or before (by an earlier update, or by this step's loss), not one
// marked during this step's own updates: so it takes the whole of the update in which it
// diverges, A's and B's, as on the CPU, whatever order the threads run in.
template <class Rule>
struct UpdateParameters {
  Rule rule;
  std::int64_t per_config;
  float* parameter;
  const float* gradient;
  float* first;
  float* second;
  const float* learning_rate;
  int* diverged_step;
  const StepScalars* scalars;
  const int* step;
  __device__ void operator()(std::int64_t e) const {
    const std::int64_t c = e / per_config;
    const int marked = diverged_step[c];
    if (marked != 0 && marked <= *step) return;
    const StepScalars now = scalars[*step];
    float unused = 0.0f;
    float& m = first ? first[e] : unused;
    float& v = second ? second[e] : unused;
    rule(parameter[e], gradient[e], m, v, learning_rate[c] * now.lr_factor, now);
    if (sim::state_diverged(parameter[e]) || sim::state_diverged(m) || sim::state_diverged(v))
      diverged_step[c] = sim::diverged_after_update(*step);
  }
};

}  // namespace gammalab::cuda::kernels
