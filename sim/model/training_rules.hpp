#pragma once
// The two rules every trainer must apply alike, defined once for the CPU trainer
// (sim/model/trainer.cpp) and the GPU backend (cuda/, where the divergence test also runs in
// a kernel): when a run has diverged, and at which steps its curve is recorded.
#include <cmath>

#if !defined(GAMMALAB_HOST_DEVICE)
#if defined(__CUDACC__)
#define GAMMALAB_HOST_DEVICE __host__ __device__
#else
#define GAMMALAB_HOST_DEVICE
#endif
#endif

namespace gammalab::sim {

// A loss that is NaN, infinite or above the bound marks the run diverged at that step:
// it stops there (its parameters no longer move) and it reports that step.
template <class Real>
GAMMALAB_HOST_DEVICE inline bool loss_diverged(Real loss, Real bound) {
#if defined(__CUDA_ARCH__)
  return !isfinite(loss) || loss > bound;
#else
  return !std::isfinite(loss) || loss > bound;
#endif
}

// A run whose every step passed but whose loss after the last update diverges is
// reported as diverged at this step, one past the last.
inline int diverged_after_last_step(int steps) { return steps + 1; }

// An update that leaves a parameter or an optimiser moment NaN or infinite has diverged
// the run, whatever its loss says: Adam's second moment of a gradient of 1e200
// overflows to inf, after which every update divides by it and is 0, so the loss stays
// where it was and would read as stable. Update t broke what step t + 1 would compute
// from, so the run is reported as diverged at step t + 1 (its steps done: t).
template <class Real>
GAMMALAB_HOST_DEVICE inline bool state_diverged(Real value) {
#if defined(__CUDA_ARCH__)
  return !isfinite(value);
#else
  return !std::isfinite(value);
#endif
}
GAMMALAB_HOST_DEVICE inline int diverged_after_update(int step) { return step + 1; }

// Steps 1, every record_every-th and the last are recorded (with record_every > 0;
// 0 records no curve). A recorded point sees the parameters before that step's update.
inline bool is_recorded_step(int step, int steps, int record_every) {
  return record_every > 0 && (step == 1 || step % record_every == 0 || step == steps);
}

}  // namespace gammalab::sim
