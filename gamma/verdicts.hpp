#pragma once
// The verdicts of paper 003 as regions of the free parameters, over a window of steps:
//   stable (Def. 3)            Z_B = O(1) at every step of the window — the adapter's
//                              contribution Z_B − Z_B⁰ when B₀A₀ is subtracted; in the
//                              network setting also the output f = O(1);
//   feature learning (Def. 4)  stable and ΔZ_B = Θ(1) at every update of the window;
//   efficient (Def. 5)         stable and δ¹ = δ² = Θ(1) at every update of the window;
//   internal instability       stable while Z_A grows (γ[Z_A] > 0) at every step of the
//                              window: Z_A explodes, Z_B stays bounded (Theorem 1).
// Three windows are reported, and they differ (docs/engine.md, "What the engine decides,
// and how", says which theorem is stated in which):
//   every step        stability at t ≥ 0, the update conditions at t ≥ 1;
//   Definition 5      stability at t ≥ 0 (Definition 3), the update conditions at t ≥ 2 —
//                     paper 003 asks δ¹, δ² = Θ(1) for t > 1 only: under Init[A], A does
//                     not move at t = 1, so "every step" can find no efficient rate
//                     where the paper does (LoRA+ with γ[η_A], γ[η_B] = −1, 0);
//   from step s on    s being the step from which the exponents no longer change: the
//                     settled regime the paper's theorems speak of.
// With the rank a free parameter ρ, every region lies in 0 ≤ ρ < 1.
#include <optional>
#include <string>
#include <vector>

#include "gamma/lora_dynamics.hpp"
#include "gamma/rank.hpp"
#include "gamma/region.hpp"
#include "gamma/vocabulary.hpp"

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

// A window of steps: stability is asked from `stability_from`, the conditions on updates
// (ΔZ_B, δ¹, δ²) from `updates_from` (≥ 1: updates exist from t = 1), Z_A's growth (internal
// instability) from `growth_from`.
struct Window {
  int stability_from = 0, updates_from = 1, growth_from = 0;
};
inline constexpr Window kEveryStep{0, 1, 0};
inline constexpr Window kDefinition5{0, 2, 2};
Window settled_window(int settled_from);

// Over the window's steps up to the trajectory's horizon.
Verdicts verdicts_over(const Trajectory& trajectory, const LoraModel& model, Window window);

// A model run through the engine: its trajectory (at least `at_least_steps` steps) and
// its verdicts in the three windows.
struct EngineAnswer {
  Trajectory trajectory;
  Verdicts every_step;
  Verdicts definition_5;
  std::optional<Verdicts> from_settled;  // absent when the exponents never settled
};
EngineAnswer answer(const LoraModel& model, int at_least_steps = 0, std::vector<DerivationLine>* derivation = nullptr);

// The three windows of an answer, named as files and tables name them ("every_step",
// "definition_5", "from_settled"; titled "Definition 5 (updates from t = 2)", …), in the
// order they show them.
enum class VerdictWindow { EveryStep, Definition5, FromSettled };
const Vocabulary<VerdictWindow>& verdict_windows();
// An answer's verdicts in one window; nullptr where they are absent (not settled).
const Verdicts* verdicts_in(const EngineAnswer& answer, VerdictWindow window);

// The supremum of γ[η] in one verdict's region at every step (`member`: the stable one,
// or a part of it) as a law in n and r, for a model whose learning rates are both the
// free parameter "eta" and whose rank exponent is the free parameter "rho": η_max =
// Θ(n^a · r^b) for a fixed or slowly growing rank. Absent where it is unbounded or empty.
std::optional<ScalingLaw> max_stable_law(const LoraModel& model, Region Verdicts::*member);

// Which part of stability is the tighter one in the network setting.
std::string binding_constraint(const Verdicts& verdicts);  // "f", "Z_B", "both (the same region)", "neither alone"

}  // namespace gammalab::gamma
