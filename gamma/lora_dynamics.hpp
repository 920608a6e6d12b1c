#pragma once
// LoRA fine-tuning followed step by step in the γ calculus: the exponent of every
// quantity at t = 0, 1, 2, … exactly as training computes it, including that an
// exactly zero matrix gives its partner an exactly zero gradient (under Init[A], A does
// not move on step 1). Indexing follows paper 003 eq. (2): an update at step t is
// ΔX^t = X^t − X^{t−1}, so updates exist from t = 1 on.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gamma/max_affine.hpp"
#include "gamma/vocabulary.hpp"

namespace gammalab::gamma {

struct LoraModel {
  Setting setting = Setting::Module;
  Readout readout = Readout::Standard;
  Optimizer optimizer = Optimizer::Adam;
  MaxAffine sigma_A, sigma_B;     // exponents of the initial entries; −∞ for a zero matrix
  MaxAffine eta_A, eta_B;         // learning rates of A and B (LoRA+ when they differ)
  MaxAffine alpha = Exponent(0);  // the multiplier's numerator α
  Affine rank;                    // ρ of r = Θ(n^ρ), 0 ≤ ρ < 1: a number (0: r fixed) or the parameter "rho"
  Rational multiplier = 1;        // κ of the adapter's scale s = α/r^κ (gamma/rank.hpp)
  bool subtract_initial_product = false;  // frozen weight W − s·B₀A₀: training starts at the pretrained model

  MaxAffine adapter_scale() const;  // γ[s] = γ[α] − κρ
};

enum class Quantity { A, B, Z_A, Z_B, AdapterOutput, f, dA, dB, dZ_A, dZ_B, delta1, delta2, delta3, df };

struct QuantityInfo {
  Quantity id;
  std::string key;     // in JSON and tables: "Z_A", "dZ_B", "delta1"
  std::string symbol;  // in text: "Z_A", "ΔZ_B", "δ¹"
  bool is_update;      // exists from t = 1 on
  std::string meaning;
};
const std::vector<QuantityInfo>& all_quantities();  // in the order tables show them
const QuantityInfo& info(Quantity quantity);
bool is_reported(Quantity quantity, const LoraModel& model);  // f, Δf: network only; Z_B − Z_B⁰: when subtracting

// One line of the derivation: which quantity, how it is computed, by which rule.
struct DerivationLine {
  int step;
  std::string quantity;
  std::string equation;  // e.g. "Z_A = A Z̲ = Σ_k A_{ik} Z̲_k over n"
  std::string rule;      // e.g. "A₀·Z: independent → CLT: -1/2 + 0 + 1/2 = 0"
  MaxAffine result;
};

struct Trajectory {
  std::vector<std::map<Quantity, MaxAffine>> steps;  // steps[t]; updates are absent at t = 0
  // The first step from which every exponent keeps its value for ever, when the state
  // repeated within the horizon; absent when it was still changing at kMaxSteps.
  std::optional<int> settled_from;

  int horizon() const { return static_cast<int>(steps.size()) - 1; }
  const MaxAffine& at(int step, Quantity quantity) const { return steps.at(step).at(quantity); }
};

inline constexpr int kMaxSteps = 16;

// Runs until the state repeats (then one step more is never needed: the map from one
// state to the next is fixed) or kMaxSteps, and at least `at_least_steps` steps.
Trajectory run_dynamics(const LoraModel& model, int at_least_steps = 0, std::vector<DerivationLine>* derivation = nullptr);

}  // namespace gammalab::gamma
