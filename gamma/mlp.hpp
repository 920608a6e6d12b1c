#pragma once
// A deep MLP in the abc convention of Tensor Programs IV (Yang & Hu 2021, §3), followed
// step by step in the γ calculus: which width parametrizations are stable, learn
// features, and with which learning rate per layer group, under SGD or Adam.
//
// The network, with input ξ of a fixed dimension d, hidden width n and L ≥ 2 hidden layers:
//   h¹ = W¹ ξ,  xˡ = φ(hˡ),  hˡ = Wˡ xˡ⁻¹ (l = 2 … L),  f = W^{L+1} x^L,
//   Wˡ = n^-aˡ wˡ,  the entries of wˡ drawn with standard deviation n^-bˡ,
//   the learning rate of wˡ: ηˡ = η n^-cˡ, so γ[ηˡ] = −cˡ.
// Three layer groups share their exponents: the input layer W¹, the hidden layers
// W² … W^L, the readout W^{L+1}.
//
// What the derivation assumes (docs/engine.md, "Deep MLPs", says the same to users):
//  - the nonlinearity φ: φ(0) = 0 and φ' = Θ(1) on a Θ(1) fraction of the coordinates of
//    an O(1) preactivation — tanh and ReLU alike; so φ(h) has the exponent of h while h
//    is O(1), and a change Δh moves φ(h) by φ'(h) ⊙ Δh, of the same order;
//  - the initial weights are independent of everything they meet at t = 0 (the central
//    limit rate, half the length), and W₀ applied to a vector built from W₀ᵀ (the
//    backward pass) has the same order as for an independent one: in the Tensor
//    Programs' terms, the parts Ẑ and Ż of W₀Δx are of one order;
//  - the limit: width n → ∞ at a fixed number of steps, a fixed input and a loss whose
//    derivative is Θ(1) while the output is O(1) (the target is Θ(1));
//  - the stable path: the verdicts keep only points where every step so far was stable,
//    so each step is computed as it runs on those points — the output O(1), so the loss
//    derivative Θ(1), and the features at their initial order. A point where something
//    grew is unstable whatever the later steps do. On this path the exponents settle
//    after at most L + 2 steps (each step the change reaches one layer further down the
//    backward pass), so no MLP answer stops at a horizon.
//  - Adam: each processed gradient entry is Θ(1) (a sign-like update) wherever the raw
//    gradient is non-zero, as for LoRA (paper 003, Assumption 1).
// Alignment (gamma/vocabulary.hpp): `full` — an update ΔWˡ ∝ dhˡ ⊗ xˡ⁻¹ meets the
// vectors it was built from (xˡ⁻¹ forward, dhˡ backward) and the output's readout meets
// Δx^L built along it, each a sum that adds the length (law of large numbers); `none` —
// every such sum is taken as independent, adding half the length (the central limit
// rate). The rule itself lives in one place, gamma/random_vector.hpp: contract.
#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gamma/max_affine.hpp"
#include "gamma/region.hpp"
#include "gamma/vocabulary.hpp"

namespace gammalab::gamma {

enum class LayerGroup { Input, Hidden, Readout };
inline constexpr std::array<LayerGroup, 3> kLayerGroups = {LayerGroup::Input, LayerGroup::Hidden, LayerGroup::Readout};
const Vocabulary<LayerGroup>& layer_groups();  // "input", "hidden", "readout"

// One layer group's exponents: Wˡ = n^-a wˡ, wˡ entries n^-b, learning rate η n^-c.
struct Abc {
  Rational a, b, c;
  friend bool operator==(const Abc&, const Abc&) = default;
};

struct MlpModel {
  Parametrization parametrization = Parametrization::Mup;
  Optimizer optimizer = Optimizer::Sgd;
  Alignment alignment = Alignment::Full;
  int layers = 3;  // L, the number of hidden layers (≥ 2)
  std::array<Abc, 3> groups;  // indexed by LayerGroup

  const Abc& group(LayerGroup g) const { return groups[static_cast<int>(g)]; }
  Abc& group(LayerGroup g) { return groups[static_cast<int>(g)]; }
};

inline constexpr int kMinLayers = 2, kMaxLayers = 64;

// A named parametrization's exponents for one optimiser (Tensor Programs IV, Table 1 and
// §5; the Adam learning rates of μP from Tensor Programs V, written in the same a, b):
//   sp   a = 0, 0, 0;        b = 0, 1/2, 1/2;  c = 0 (a width-independent rate)
//   ntk  a = 0, 1/2, 1/2;    b = 0;            c = 0
//   mfp  a = 0, 1/2, 1;      b = 0;            c = −1 (SGD), 0, 1/2, 0 (Adam)
//   mup  a = −1/2, 0, 1/2;   b = 1/2;          c = 0 (SGD), 1/2, 1, 1/2 (Adam)
// mfp is μP moved by the symmetry of the abc convention (a + θ, b − θ, c − 2θ under SGD,
// c − θ under Adam, θ = 1/2), which leaves the function and its training unchanged; at
// L = 1 it is the mean-field network of Mei et al. Custom has no exponents of its own.
MlpModel mlp_preset(Parametrization parametrization, Optimizer optimizer, Alignment alignment, int layers);

// Throws InputError naming the field where `layers` is outside [kMinLayers, kMaxLayers].
void check_mlp_model(const MlpModel& model);

// One line of the derivation, as for LoRA (gamma/lora_dynamics.hpp: DerivationLine).
struct MlpDerivationLine {
  int step;
  std::string quantity, equation, rule;
  MaxAffine result;
};

// The exponents of one step. Per hidden layer l = 1 … L (index l − 1): the features xˡ
// (t = 0) and their change from initialisation Δxˡ_t = xˡ_t − xˡ_0 (t ≥ 1), the gradient
// dhˡ = ∂f/∂hˡ the step's backward pass computes; per weight matrix l = 1 … L + 1: the
// update ΔWˡ_t; and the output f (t = 0) and its change Δf_t, with its two terms.
struct MlpStep {
  std::vector<MaxAffine> features, feature_change, backward, update;
  MaxAffine output, output_change, readout_update_term, readout_initial_term;
  friend bool operator==(const MlpStep&, const MlpStep&) = default;
};

struct MlpTrajectory {
  std::vector<MlpStep> steps;  // steps[t]
  int settled_from = 1;        // the first step from which every exponent keeps its value
};

// Every quantity the network computes, step by step; the learning rate of each group is
// γ[ηˡ] = −c unless `rates` gives it (a free parameter, or −inf for a group not trained).
using GroupRates = std::map<LayerGroup, MaxAffine>;
MlpTrajectory run_mlp(const MlpModel& model, const GroupRates& rates = {},
                      std::vector<MlpDerivationLine>* derivation = nullptr);

// A group's maximal stable learning rate: the largest γ[ηˡ] at which every step stays
// stable, with the groups nearer the output at their own maximal rates and those nearer
// the input not trained (the backward pass runs from the output, so a group's stability
// on the stable path does not depend on the groups below it). `binding` names the
// quantities whose bound alone gives that supremum ("Δx^2", "ΔW^{L+1} x^L", …).
struct GroupRate {
  std::optional<Rational> max_stable;  // absent when no rate is stable (the initialisation is not)
  std::string stable_region;           // of γ[ηˡ], in interval notation
  std::vector<std::string> binding;
};

// The stable region and maximal stable rate of one group's γ[ηˡ] with the other groups'
// rates as `others` gives them (a group it leaves out trains at its own γ = −c): what
// answer_mlp computes for each group with those above at their maxima and those below
// not trained, and what the simulator's learning-rate sweep measures with the others
// not trained (sim/analysis/mlp_rates.hpp).
GroupRate group_rate(const MlpModel& model, LayerGroup group, const GroupRates& others);

// A group's verdicts at the model's own rates, in the settled regime.
struct GroupVerdict {
  bool stable = false;            // its features (readout: the output) O(1) at every step, Θ(1) at t = 0
  bool feature_learning = false;  // its features change by Θ(1); readout: the output does (nontrivial)
  MaxAffine change;               // γ of that change once settled
};

struct MlpAnswer {
  MlpTrajectory trajectory;
  bool initialisation_stable = false;  // hˡ₀ = Θ(1) for every l, f₀ = O(1) (TP4 Theorem 3.3, first condition)
  std::vector<std::string> initialisation_faults;  // "h^2_0 = Θ(n^-1/2), not Θ(1)"
  bool stable = false;
  bool feature_learning = false;  // the last hidden layer's features change by Θ(1): r = 0
  bool nontrivial = false;        // the output changes by Θ(1)
  // Δx^L = Θ(n^-r) once settled; absent where the network is not stable (TP4 defines the
  // exponent there by its formula alone) or Δx^L is exactly zero (r = ∞: nothing trains it).
  std::optional<Rational> r;
  std::map<LayerGroup, GroupVerdict> verdicts;
  std::map<LayerGroup, GroupRate> rates;
};

MlpAnswer answer_mlp(const MlpModel& model, std::vector<MlpDerivationLine>* derivation = nullptr);

// The group layer l (1 … L + 1, weights W¹ … W^{L+1}) belongs to.
LayerGroup group_of_layer(int layer, int layers);

// What an exponent of the features or the output is called in text: "x^2", "Δx^2", "Δf".
std::string feature_symbol(int layer);
std::string feature_change_symbol(int layer);

}  // namespace gammalab::gamma
