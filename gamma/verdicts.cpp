#include "gamma/verdicts.hpp"

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

Verdicts verdicts_over(const Trajectory& trajectory, const LoraModel& model, int first_step) {
  const Quantity lora_output = model.subtract_initial_product ? Quantity::AdapterOutput : Quantity::Z_B;
  Region lora_bounded = Region::everything(), network_bounded = Region::everything();
  Region z_a_grows = Region::everything(), order_one_change = Region::everything(), both_deltas = Region::everything();
  for (int t = first_step; t <= trajectory.horizon(); ++t) {
    lora_bounded = lora_bounded & Region::where_bounded(trajectory.at(t, lora_output));
    if (model.setting == Setting::Network)
      network_bounded = network_bounded & Region::where_bounded(trajectory.at(t, Quantity::f));
    z_a_grows = z_a_grows & Region::where_growing(trajectory.at(t, Quantity::Z_A));
    if (t == 0) continue;  // no update yet
    order_one_change = order_one_change & Region::where_order_one(trajectory.at(t, Quantity::dZ_B));
    both_deltas = both_deltas & Region::where_order_one(trajectory.at(t, Quantity::delta1)) &
                  Region::where_order_one(trajectory.at(t, Quantity::delta2));
  }
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
  EngineAnswer result{run_dynamics(model, at_least_steps, derivation), {}, std::nullopt};
  result.every_step = verdicts_over(result.trajectory, model, 0);
  if (result.trajectory.settled_from) result.from_settled = verdicts_over(result.trajectory, model, *result.trajectory.settled_from);
  return result;
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
