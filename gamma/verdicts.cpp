#include "gamma/verdicts.hpp"

#include "gamma/work_limit.hpp"

#include <algorithm>
#include <stdexcept>

namespace gammalab::gamma {

const std::vector<VerdictKind>& verdict_kinds() {
  static const std::vector<VerdictKind> kinds = {
      {"stable", "stable", "stable", &Verdicts::stable, false},
      {"lora_output_bounded", "Z_B bounded", "Z_B bounded", &Verdicts::lora_output_bounded, true},
      {"network_output_bounded", "f bounded", "f bounded", &Verdicts::network_output_bounded, true},
      {"feature_learning", "feature learning", "FL", &Verdicts::feature_learning, false},
      {"efficient", "efficient learning", "efficient", &Verdicts::efficient, false},
      {"internal_instability", "internal instability", "internal instability", &Verdicts::internal_instability, false},
  };
  return kinds;
}

const VerdictKind& verdict_kind(Region Verdicts::*member) {
  const auto& kinds = verdict_kinds();
  auto found = std::find_if(kinds.begin(), kinds.end(), [&](const VerdictKind& kind) { return kind.member == member; });
  if (found == kinds.end()) throw std::logic_error("a verdict without a row in verdict_kinds()");
  return *found;
}

Window settled_window(int settled_from) { return {settled_from, std::max(settled_from, 1), settled_from}; }

namespace {

// Where the free parameters may lie: 0 ≤ ρ < 1 when the rank exponent is free.
Region admissible(const LoraModel& model) {
  if (model.rank.is_constant()) return Region::everything();
  return Region::where_bounded(MaxAffine(-model.rank)) & Region::where_vanishing(MaxAffine(model.rank - Affine::constant(1)));
}

}  // namespace

Verdicts verdicts_over(const Trajectory& trajectory, const LoraModel& model, Window window) {
  const Quantity lora_output = model.subtract_initial_product ? Quantity::AdapterOutput : Quantity::Z_B;
  const Region domain = admissible(model);
  Region lora_bounded = domain, network_bounded = domain;
  Region z_a_grows = domain, order_one_change = domain, both_deltas = domain;
  for (int t = window.stability_from; t <= trajectory.horizon(); ++t) {
    lora_bounded = lora_bounded & Region::where_bounded(trajectory.at(t, lora_output));
    if (model.setting == Setting::Network)
      network_bounded = network_bounded & Region::where_bounded(trajectory.at(t, Quantity::f));
  }
  for (int t = std::max(window.updates_from, 1); t <= trajectory.horizon(); ++t) {
    order_one_change = order_one_change & Region::where_order_one(trajectory.at(t, Quantity::dZ_B));
    both_deltas = both_deltas & Region::where_order_one(trajectory.at(t, Quantity::delta1)) &
                  Region::where_order_one(trajectory.at(t, Quantity::delta2));
  }
  for (int t = window.growth_from; t <= trajectory.horizon(); ++t)
    z_a_grows = z_a_grows & Region::where_growing(trajectory.at(t, Quantity::Z_A));
  Verdicts verdicts;
  verdicts.lora_output_bounded = lora_bounded;
  verdicts.network_output_bounded = network_bounded;
  verdicts.stable = lora_bounded & network_bounded;
  verdicts.feature_learning = verdicts.stable & order_one_change;
  verdicts.efficient = verdicts.stable & both_deltas;
  verdicts.internal_instability = verdicts.stable & z_a_grows;
  return verdicts;
}

EngineAnswer answer(const LoraModel& model, int at_least_steps, std::vector<DerivationLine>* derivation) {
  WorkLimit limit;
  EngineAnswer result{run_dynamics(model, at_least_steps, derivation), {}, {}, std::nullopt};
  result.every_step = verdicts_over(result.trajectory, model, kEveryStep);
  result.definition_5 = verdicts_over(result.trajectory, model, kDefinition5);
  if (result.trajectory.settled_from)
    result.from_settled = verdicts_over(result.trajectory, model, settled_window(*result.trajectory.settled_from));
  return result;
}

const Vocabulary<VerdictWindow>& verdict_windows() {
  static const Vocabulary<VerdictWindow> vocabulary(
      "window", {{VerdictWindow::EveryStep, "every_step", "at every step", {}},
                 {VerdictWindow::Definition5, "definition_5", "Definition 5 (updates from t = 2)", {}},
                 {VerdictWindow::FromSettled, "from_settled", "from the settled step on", {}}});
  return vocabulary;
}

const Verdicts* verdicts_in(const EngineAnswer& answer, VerdictWindow window) {
  switch (window) {
    case VerdictWindow::EveryStep: return &answer.every_step;
    case VerdictWindow::Definition5: return &answer.definition_5;
    case VerdictWindow::FromSettled: return answer.from_settled ? &*answer.from_settled : nullptr;
  }
  throw std::logic_error("a window without its verdicts");
}

std::optional<ScalingLaw> max_stable_law(const LoraModel& model, Region Verdicts::*member) {
  WorkLimit limit;
  const Verdicts verdicts = answer(model).every_step;
  return law_near_fixed_rank(supremum_along(verdicts.*member, "eta", std::string(kRankParameter)));
}

std::string binding_constraint(const Verdicts& verdicts) {
  bool f_inside = verdicts.network_output_bounded.is_subset_of(verdicts.lora_output_bounded);
  bool z_inside = verdicts.lora_output_bounded.is_subset_of(verdicts.network_output_bounded);
  if (f_inside && z_inside) return "both (the same region)";
  if (f_inside) return "f";
  if (z_inside) return "Z_B";
  return "neither alone";
}

}  // namespace gammalab::gamma
