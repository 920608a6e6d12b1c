#pragma once
// The limit, as the number of steps grows, of a verdict that never settles. Under SGD
// the LoRA exponents can keep changing at every step: the output's exponent feeds the
// gradient's, so the exponent that binds stability grows by a fixed affine amount each
// step — a max-plus linear recursion, x_t = (αγ[η] + β)t + const — and the maximal stable
// γ[η] over the first t steps is the root of that form, s_t = (p t + q)/(r t + u), a
// linear-fractional sequence in t (Init[A] in the module under SGD: −(2t − 2)/(2t − 1),
// −30/31 at t = 16). Its limit p/r is where the growth rate αγ[η] + β itself vanishes.
//
// The engine does not guess the recursion: it finds the four numbers from three of the
// exact finite-horizon maxima and accepts the pattern only where it reproduces every
// maximum from some step on, at least kMinPatternSteps of them; otherwise there is no
// limit to state, and the finite-horizon answer stands alone.
#include <optional>
#include <string>
#include <vector>

#include "gamma/lora_dynamics.hpp"
#include "gamma/rational.hpp"

namespace gammalab::gamma {

inline constexpr int kMinPatternSteps = 5;

struct StepLimit {
  Rational value;         // lim s_t
  int pattern_from = 0;   // the first step from which s_t follows the pattern
  Rational p, q, r, u;    // s_t = (p t + q)/(r t + u)
  std::string pattern() const;  // "(-2t + 2)/(2t - 1)"
};

// `maxima[t]`: the supremum over the steps 0 … t, absent where the region is empty or
// unbounded. Absent when no linear-fractional pattern with a finite limit holds.
std::optional<StepLimit> limit_of_maxima(const std::vector<std::optional<Rational>>& maxima);

// The maximal stable value of the model's one free parameter over the first t steps,
// for t = 0 … the trajectory's horizon (stability as gamma/verdicts.hpp defines it,
// at every step).
std::vector<std::optional<Rational>> stable_maxima_by_step(const Trajectory& trajectory, const LoraModel& model,
                                                           const std::string& parameter);

}  // namespace gammalab::gamma
