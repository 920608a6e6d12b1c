#include "sim/prediction.hpp"

#include "gamma/region.hpp"
#include "gamma/scheme.hpp"
#include "gamma/verdicts.hpp"

namespace gammalab::sim {

namespace {
std::optional<gamma::Rational> max_stable(gamma::LoraModel model) {
  gamma::Trajectory trajectory = gamma::run_dynamics(model);
  gamma::Verdicts verdicts = gamma::verdicts_over(trajectory, model, 0);
  auto top = gamma::supremum(verdicts.stable, "eta");
  if (!top) return std::nullopt;
  return top->value;
}
}  // namespace

EnginePrediction predict_max_stable_exponent(const SweepSpec& spec, const std::string& scheme) {
  gamma::LoraModel model;
  if (scheme == "custom") {
    model.sigma_A = gamma::parse_exponent(spec.custom_sigma_A_exponent);
    model.sigma_B = gamma::parse_exponent(spec.custom_sigma_B_exponent);
  } else {
    const gamma::Scheme& preset = gamma::find_scheme(scheme);
    model.sigma_A = preset.sigma_A;
    model.sigma_B = preset.sigma_B;
  }
  model.subtract_initial_product = spec.training.init.subtract_initial_product.value_or(subtracts_by_default(scheme));
  model.optimizer = spec.training.optimizer.kind == OptimizerSpec::Kind::Sgd ? gamma::Optimizer::Sgd : gamma::Optimizer::Adam;
  // The ratio η_B/η_A is a constant in n: both learning rates share one exponent.
  model.eta_A = model.eta_B = gamma::MaxAffine::parameter("eta");
  EnginePrediction prediction;
  model.setting = gamma::Setting::Module;
  prediction.module = max_stable(model);
  model.setting = gamma::Setting::Network;
  model.readout = spec.readout == Readout::MuP ? gamma::Readout::MuP : gamma::Readout::Standard;
  prediction.network = max_stable(model);
  return prediction;
}

}  // namespace gammalab::sim
