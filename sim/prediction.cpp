#include "sim/prediction.hpp"

#include "gamma/region.hpp"
#include "gamma/scheme.hpp"
#include "gamma/verdicts.hpp"

namespace gammalab::sim {

gamma::LoraModel engine_model_of(const std::string& scheme, const TrainSpec& training, Readout readout,
                                 const std::string& custom_sigma_A, const std::string& custom_sigma_B) {
  gamma::LoraModel model;
  if (gamma::is_custom_scheme(scheme)) {
    model.sigma_A = gamma::parse_exponent(custom_sigma_A);
    model.sigma_B = gamma::parse_exponent(custom_sigma_B);
  } else {
    const gamma::Scheme& preset = gamma::find_scheme(scheme);
    model.sigma_A = preset.sigma_A;
    model.sigma_B = preset.sigma_B;
  }
  model.subtract_initial_product = training.init.subtract_initial_product.value_or(subtracts_by_default(scheme));
  model.optimizer = training.optimizer.kind;
  model.eta_A = model.eta_B = gamma::MaxAffine::parameter("eta");
  model.setting = gamma::Setting::Network;
  model.readout = readout;
  return model;
}

namespace {
std::optional<gamma::Rational> top_of(const gamma::Region& region) {
  auto top = gamma::supremum(region, "eta");
  if (!top) return std::nullopt;
  return top->value;
}
}  // namespace

std::optional<gamma::Rational> EnginePrediction::supremum_of(gamma::Region gamma::Verdicts::*member) const {
  return top_of(network_regions.*member);
}

std::optional<gamma::Rational> EnginePrediction::rank_exponent_of(gamma::Region gamma::Verdicts::*member) const {
  const auto& kinds = gamma::verdict_kinds();
  for (std::size_t k = 0; k < kinds.size() && k < network_rank_exponents.size(); ++k)
    if (kinds[k].member == member) return network_rank_exponents[k];
  return std::nullopt;
}

std::optional<gamma::Rational> max_stable_exponent(const gamma::LoraModel& model) {
  return top_of(gamma::answer(model).every_step.stable);
}

EnginePrediction predict_max_stable_exponent(const SweepSpec& spec, const std::string& scheme, Readout readout,
                                             [[maybe_unused]] const std::string& multiplier) {
  gamma::LoraModel model =
      engine_model_of(scheme, spec.training, readout, spec.custom_sigma_A_exponent, spec.custom_sigma_B_exponent);
  EnginePrediction prediction;
  const gamma::EngineAnswer network = gamma::answer(model);
  prediction.network = top_of(network.every_step.stable);
  prediction.network_regions = network.every_step;
  model.setting = gamma::Setting::Module;
  prediction.module = max_stable_exponent(model);
  return prediction;
}

}  // namespace gammalab::sim
