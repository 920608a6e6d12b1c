#pragma once
// The verdicts of paper 003 as regions of the free parameters, over a window of steps:
//   stable (Def. 3)            Z_B = O(1) at every step of the window — the adapter's
//                              contribution Z_B − Z_B⁰ when B₀A₀ is subtracted; in the
//                              network setting also the output f = O(1);
//   feature learning (Def. 4)  stable and ΔZ_B = Θ(1) at every update of the window;
//   efficient (Def. 5)         stable and δ¹ = δ² = Θ(1) at every update of the window;
//   internal instability       stable while Z_A grows (γ[Z_A] > 0) at every step of the
//                              window: Z_A explodes, Z_B stays bounded (Theorem 1).
// Two windows are reported, and they differ: "at every step" (t ≥ 0, updates t ≥ 1) and
// "from step s on", s being the step from which the exponents no longer change. The
// paper's Definition 5 asks only t > 1, and its theorems speak of the settled regime.
#include <optional>
#include <string>
#include <vector>

#include "gamma/lora_dynamics.hpp"
#include "gamma/region.hpp"

namespace gammalab::gamma {

struct Verdicts {
  Region stable = Region::nothing();
  Region lora_output_bounded = Region::nothing();     // the Z_B part of stability
  Region network_output_bounded = Region::nothing();  // the f part (network setting; everything otherwise)
  Region feature_learning = Region::nothing();
  Region efficient = Region::nothing();
  Region internal_instability = Region::nothing();
};

// Every verdict, and the two bounds whose intersection is stability, once: the key that
// JSON and result files use, the label of tables, a short label for one-line summaries,
// in the order tables show them. A new verdict is a member above and a row here.
struct VerdictKind {
  std::string key, label, short_label;
  Region Verdicts::*member;
  bool is_bound;  // a part of stability, reported in the network setting only
};
const std::vector<VerdictKind>& verdict_kinds();
// The row of one verdict, by its member.
const VerdictKind& verdict_kind(Region Verdicts::*member);

// Over steps first_step … the trajectory's horizon (updates from max(first_step, 1)).
Verdicts verdicts_over(const Trajectory& trajectory, const LoraModel& model, int first_step);

// A model run through the engine: its trajectory (at least `at_least_steps` steps) and
// its verdicts in both windows.
struct EngineAnswer {
  Trajectory trajectory;
  Verdicts every_step;
  std::optional<Verdicts> from_settled;  // absent when the exponents never settled
};
EngineAnswer answer(const LoraModel& model, int at_least_steps = 0, std::vector<DerivationLine>* derivation = nullptr);

// Which part of stability is the tighter one in the network setting.
std::string binding_constraint(const Verdicts& verdicts);  // "f", "Z_B", "both (the same region)", "neither alone"

}  // namespace gammalab::gamma
