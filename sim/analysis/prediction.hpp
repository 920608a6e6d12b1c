#pragma once
// What the γ engine predicts for a simulated scheme: the maximal stable learning-rate
// exponent of the toy network (its setting, readout and optimiser) and of the single
// module, exactly, for the analysis to set beside the measured slopes — as a power of
// the width n at a fixed rank, and as a power of the rank r.
#include <optional>
#include <string>

#include "gamma/lora_dynamics.hpp"
#include "gamma/rational.hpp"
#include "gamma/verdicts.hpp"
#include "sim/sweep/sweep_spec.hpp"

namespace gammalab::sim {

// The engine's model of a simulated scheme: the scheme's σ exponents at the rank r =
// Θ(n^rank) (for `custom`, the exact texts given), its subtract switch and optimiser from
// `training`, in the network setting with `readout`; both learning rates are the free
// parameter γ[η] (a constant ratio η_B/η_A does not change the exponent).
gamma::LoraModel engine_model_of(const std::string& scheme, const TrainSpec& training, Readout readout,
                                 const std::string& custom_sigma_A = "-1/2", const std::string& custom_sigma_B = "-inf",
                                 const gamma::Affine& rank = gamma::Affine::constant(0));

// The supremum of the stable γ[η] at every step; absent when there is no bound or no
// stable value.
std::optional<gamma::Rational> max_stable_exponent(const gamma::LoraModel& model);

struct EnginePrediction {
  std::optional<gamma::Rational> network;  // absent: no bound (stable for every γ[η]) or never stable
  std::optional<gamma::Rational> module;
  // Every verdict's region of γ[η] in the network setting, at every step (empty where the
  // engine has no model of the scheme), and the supremum of one of them — of a part of
  // stability, say: f bounded, Z_B bounded.
  gamma::Verdicts network_regions;
  std::optional<gamma::Rational> supremum_of(gamma::Region gamma::Verdicts::*member) const;

  // For a sweep of several ranks: the exponent b of r in the supremum η = Θ(n^a · r^b) of
  // the stable region and of each of its parts (gamma::max_stable_law: the rank free,
  // r = Θ(n^ρ), near a fixed rank, under the arm's multiplier), in the network setting, by
  // verdict (gamma::verdict_kinds' order; absent for the other verdicts); and the module's
  // stable one. Absent where the engine has no model of the scheme, or the supremum is
  // unbounded or the region empty.
  std::vector<std::optional<gamma::Rational>> network_rank_exponents;
  std::optional<gamma::Rational> module_rank_exponent;
  std::optional<gamma::Rational> rank_exponent_of(gamma::Region gamma::Verdicts::*member) const;
};

// `multiplier`: κ's name (SweepSpec::multipliers), which only the exponents of r depend on.
EnginePrediction predict_max_stable_exponent(const SweepSpec& spec, const std::string& scheme, Readout readout,
                                             const std::string& multiplier = "lora");

}  // namespace gammalab::sim
