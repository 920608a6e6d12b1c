#include "sim/analysis/prediction.hpp"

#include "gamma/rank.hpp"
#include "gamma/region.hpp"
#include "gamma/scheme.hpp"
#include "gamma/verdicts.hpp"

namespace gammalab::sim {

gamma::LoraModel engine_model_of(const std::string& scheme, const TrainSpec& training, Readout readout,
                                 const std::string& custom_sigma_A, const std::string& custom_sigma_B, const gamma::Affine& rank) {
  gamma::LoraModel model;
  model.rank = rank;
  if (gamma::is_custom_scheme(scheme)) {
    model.sigma_A = gamma::parse_exponent(custom_sigma_A);
    model.sigma_B = gamma::parse_exponent(custom_sigma_B);
  } else {
    const gamma::Scheme& preset = gamma::find_scheme(scheme);
    model.sigma_A = preset.sigma_A_at(rank);
    model.sigma_B = preset.sigma_B_at(rank);
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

namespace {
// The exponent of r of a region's supremum, for a model whose rank is free.
std::optional<gamma::Rational> rank_exponent(const gamma::LoraModel& model, gamma::Region gamma::Verdicts::*member) {
  const auto law = gamma::max_stable_law(model, member);
  if (!law) return std::nullopt;
  return law->rank_exponent;
}
}  // namespace

EnginePrediction predict_max_stable_exponent(const SweepSpec& spec, const std::string& scheme, Readout readout,
                                             const std::string& multiplier) {
  gamma::LoraModel model =
      engine_model_of(scheme, spec.training, readout, spec.custom_sigma_A_exponent, spec.custom_sigma_B_exponent);
  EnginePrediction prediction;
  const gamma::EngineAnswer network = gamma::answer(model);
  prediction.network = top_of(network.every_step.stable);
  prediction.network_regions = network.every_step;
  model.setting = gamma::Setting::Module;
  prediction.module = max_stable_exponent(model);
  if (spec.ranks.size() < 2) return prediction;
  // The same model with the rank r = Θ(n^ρ) free: the exponents of r near a fixed rank of
  // the stable region and its parts, the regions a sweep's slopes are held against.
  gamma::LoraModel free_rank = engine_model_of(scheme, spec.training, readout, spec.custom_sigma_A_exponent,
                                               spec.custom_sigma_B_exponent, gamma::Affine::parameter(std::string(gamma::kRankParameter)));
  free_rank.multiplier = gamma::parse_multiplier(multiplier);
  for (const auto& kind : gamma::verdict_kinds())
    prediction.network_rank_exponents.push_back(kind.member == &gamma::Verdicts::stable || kind.is_bound
                                                    ? rank_exponent(free_rank, kind.member)
                                                    : std::nullopt);
  free_rank.setting = gamma::Setting::Module;
  prediction.module_rank_exponent = rank_exponent(free_rank, &gamma::Verdicts::stable);
  return prediction;
}

}  // namespace gammalab::sim
