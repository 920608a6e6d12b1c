#pragma once
// What the γ engine predicts for a simulated scheme: the maximal stable learning-rate
// exponent of the toy network (its setting, readout and optimiser) and of the single
// module, exactly, for the analysis to set beside the measured slopes.
#include <optional>
#include <string>

#include "gamma/rational.hpp"
#include "sim/sweep_spec.hpp"

namespace gammalab::sim {

struct EnginePrediction {
  std::optional<gamma::Rational> network;  // absent: no bound (stable for every γ[η]) or never stable
  std::optional<gamma::Rational> module;
};

EnginePrediction predict_max_stable_exponent(const SweepSpec& spec, const std::string& scheme);

}  // namespace gammalab::sim
