#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "gamma/lora_dynamics.hpp"
#include "gamma/verdicts.hpp"
#include "gamma/scheme.hpp"

using namespace gammalab::gamma;

namespace {
MaxAffine eta() { return MaxAffine::parameter("eta"); }
MaxAffine number(Rational v) { return Exponent(std::move(v)); }
// a·γ[η] + b
MaxAffine line(Rational a, Rational b) { return MaxAffine(Affine::parameter("eta") * a + Affine::constant(std::move(b))); }

LoraModel model_of(const std::string& scheme, Setting setting = Setting::Module, Optimizer optimizer = Optimizer::Adam) {
  const Scheme& preset = find_scheme(scheme);
  LoraModel model;
  model.setting = setting;
  model.optimizer = optimizer;
  model.sigma_A = preset.sigma_A;
  model.sigma_B = preset.sigma_B;
  model.eta_A = model.eta_B = eta();
  model.subtract_initial_product = preset.subtracts_initial_product;
  return model;
}
}  // namespace

TEST_CASE("Lemma 1: under Adam, Z_A and B follow the recursion once both matrices move") {
  // Init[AB]: both factors non-zero from the start, so every step obeys Lemma 1.
  Trajectory ab = run_dynamics(model_of("AB"), 6);
  for (int t = 1; t <= 6; ++t) {
    CAPTURE(t);
    CHECK(ab.at(t, Quantity::Z_A) == max(ab.at(t - 1, Quantity::Z_A), eta() + number(1)));
    CHECK(ab.at(t, Quantity::B) == max(ab.at(t - 1, Quantity::B), eta()));
  }
  // Init[A]: B₀ = 0 gives A an exactly zero gradient at step 1, so the Z_A recursion
  // fails there — Z_A¹ = Z_A⁰ — and holds from step 2 on.
  Trajectory a = run_dynamics(model_of("A"), 6);
  CHECK(a.at(1, Quantity::Z_A) == a.at(0, Quantity::Z_A));
  CHECK(a.at(1, Quantity::dA).is_zero_quantity());
  CHECK(a.at(1, Quantity::delta1).is_zero_quantity());
  CHECK_FALSE(a.at(1, Quantity::Z_A) == max(a.at(0, Quantity::Z_A), eta() + number(1)));
  for (int t = 2; t <= 6; ++t) CHECK(a.at(t, Quantity::Z_A) == max(a.at(t - 1, Quantity::Z_A), eta() + number(1)));
}

TEST_CASE("Init[B]: B does not move on step 1, A does") {
  Trajectory b = run_dynamics(model_of("B"));
  CHECK(b.at(1, Quantity::dB).is_zero_quantity());
  CHECK(b.at(1, Quantity::Z_A) == eta() + number(1));
  CHECK(b.at(1, Quantity::B) == number(0));
  CHECK(b.at(2, Quantity::B) == max(number(0), eta()));
  CHECK(b.at(2, Quantity::delta2) == line(2, 1));  // 2γ[η] + 1: B is under-trained
}

TEST_CASE("Theorem 1's closed forms hold from step 2, and the exponents settle at step 3") {
  Trajectory a = run_dynamics(model_of("A"));
  REQUIRE(a.settled_from);
  CHECK(*a.settled_from == 3);
  MaxAffine z_a = max(number(0), eta() + number(1));
  CHECK(a.at(2, Quantity::Z_A) == z_a);
  CHECK(a.at(2, Quantity::B) == eta());
  CHECK(a.at(3, Quantity::Z_B) == eta() + z_a);
  // δ² uses Z_A of the step before: Θ(n^γ[η]) at step 2, its settled value only at step 3.
  CHECK(a.at(2, Quantity::delta2) == eta());
  CHECK(a.at(3, Quantity::delta2) == eta() + z_a);
  CHECK(a.horizon() == 3);  // the state (A, B) first repeats between steps 2 and 3
}

TEST_CASE("SGD: the update of A is sized by the alignment of B with dZ̄") {
  // With SGD, ∂L/∂A carries Bᵀ dZ̄. After step 1 under Init[A], B = ΔB ∝ dZ̄, so that sum
  // over n is a law-of-large-numbers sum: γ = γ[η] + 0 + 1, and ΔA = η·(η + 1).
  Trajectory a = run_dynamics(model_of("A", Setting::Module, Optimizer::Sgd), 3);
  CHECK(a.at(2, Quantity::dA) == line(2, 1));
  CHECK(a.at(2, Quantity::dZ_A) == line(2, 2));
  // Init[AB]: B₀ is independent of dZ̄, a CLT sum: ΔA at step 1 is η + (-1/2 + 0 + 1/2).
  Trajectory ab = run_dynamics(model_of("AB", Setting::Module, Optimizer::Sgd), 1);
  CHECK(ab.at(1, Quantity::dA) == eta());
}

TEST_CASE("network: the readout sees Z_B through B's directions") {
  // Init[B], standard readout n^-1/2: w_outᵀ B₀ Z_A is a CLT sum (B₀ independent of w_out).
  Trajectory b = run_dynamics(model_of("B", Setting::Network));
  CHECK(b.at(0, Quantity::f) == number(0));  // the pretrained output: -1/2 + 0 + 1/2
  CHECK(b.at(1, Quantity::f) == max(number(0), eta() + number(1)));
  // Init[A]: B = ΔB ∝ w_out, a LLN sum: f − f_pre = -1/2 + γ[Z_B] + 1.
  Trajectory a = run_dynamics(model_of("A", Setting::Network));
  CHECK(a.at(1, Quantity::f) == max(number(0), eta() + number(Rational(1, 2))));
}

TEST_CASE("subtracting B₀A₀ makes the adapter's contribution start at zero") {
  LoraModel alpha = model_of("inilora-alpha");
  Trajectory t = run_dynamics(alpha);
  CHECK(t.at(0, Quantity::Z_B) == number(Rational(1, 2)));  // σ = 0.5: A₀Z̲ = Θ(n^1/2)
  CHECK(t.at(0, Quantity::AdapterOutput).is_zero_quantity());
}

TEST_CASE("SGD exponents keep changing: no settled step within the horizon") {
  Trajectory a = run_dynamics(model_of("A", Setting::Module, Optimizer::Sgd));
  CHECK_FALSE(a.settled_from);
  CHECK(a.horizon() == kMaxSteps);
}

// ---- the rank as a scaling dimension: r = n^ρ, adapter scale s = α/r^κ ----------------

namespace {
const Affine kRho = Affine::parameter("rho");
// a·γ[η] + b + c·ρ
MaxAffine law(Rational a, Rational b, Rational c) {
  return MaxAffine(Affine::parameter("eta") * a + Affine::constant(std::move(b)) + kRho * c);
}
LoraModel with_rank(const std::string& scheme, Rational multiplier, Optimizer optimizer = Optimizer::Adam) {
  LoraModel model = model_of(scheme, Setting::Module, optimizer);
  const Scheme& preset = find_scheme(scheme);
  model.rank = kRho;
  model.multiplier = std::move(multiplier);
  model.sigma_A = preset.sigma_A_at(kRho);
  model.sigma_B = preset.sigma_B_at(kRho);
  return model;
}
const Rational kLora = 1, kRsLora = Rational(1, 2);
}  // namespace

TEST_CASE("Z_B's rank exponent at step 1 under Init[A], LoRA and rsLoRA, derived by hand") {
  // Init[A], Adam, module, step 1. A₀ ~ n^-1/2 and B₀ = 0:
  //   Z_A⁰ = A₀Z̲: a CLT sum over n, -1/2 + 0 + 1/2 = 0, along the new rank direction A₀v;
  //   g_B = s dZ̄ ⊗ Z_A⁰, Adam: Θ(1) entries with rank side A₀v, so ΔB¹ = η (entries);
  //   A does not move (B₀ = 0 gives it a zero gradient): Z_A¹ = Z_A⁰;
  //   Z_B¹ = s Σ_j ΔB_ij Z_A_j over r = n^ρ terms that share A₀v: aligned, +ρ, so
  //   γ[Z_B¹] = γ[s] + γ[η] + 0 + ρ = γ[η] + (1 − κ)ρ:
  //     LoRA (κ = 1): γ[η] — the rank cancels;  rsLoRA (κ = 1/2): γ[η] + ρ/2.
  CHECK(run_dynamics(with_rank("A", kLora)).at(1, Quantity::Z_B) == law(1, 0, 0));
  CHECK(run_dynamics(with_rank("A", kRsLora)).at(1, Quantity::Z_B) == law(1, 0, Rational(1, 2)));
  // Under SGD g_B keeps its size s·1·1, so ΔB¹ = γ[η] − κρ and γ[Z_B¹] = γ[η] + (1 − 2κ)ρ:
  // rsLoRA is the rank-stable one (Kalajdzievski's argument is for SGD).
  CHECK(run_dynamics(with_rank("A", kLora, Optimizer::Sgd)).at(1, Quantity::Z_B) == law(1, 0, -1));
  CHECK(run_dynamics(with_rank("A", kRsLora, Optimizer::Sgd)).at(1, Quantity::Z_B) == law(1, 0, 0));
}

TEST_CASE("Z_B's rank exponent at step 1 under Init[B], LoRA and rsLoRA, derived by hand") {
  // Init[B], Adam, module, step 1. A₀ = 0 and B₀ ~ N(0, 1/r): γ[σ_B] = −ρ/2.
  //   B₀ᵀ dZ̄: a CLT sum over n, −ρ/2 + 0 + 1/2, along the new rank direction B₀v;
  //   g_A = s (B₀ᵀdZ̄) ⊗ Z̲, Adam: ΔA¹ = η with width side Z̲ and rank side B₀v;
  //   Z_A¹ = ΔA¹ Z̲: aligned over n, γ[η] + 1, along B₀v.
  //   Z_B¹ = s Σ_j B₀_ij Z_A_j over r terms. B₀ is its part along dZ̄ (entries n^-1/2 σ_B,
  //   rank side B₀v: aligned with Z_A, +ρ) plus the rest (independent of B₀v, +ρ/2):
  //     rest:      γ[s] − ρ/2 + γ[η] + 1 + ρ/2       = γ[η] + 1 − κρ
  //     along dZ̄:  γ[s] − ρ/2 − 1/2 + γ[η] + 1 + ρ   = γ[η] + 1/2 + (1/2 − κ)ρ
  //   the first is larger for ρ < 1: γ[Z_B¹] = γ[η] + 1 − κρ.
  MaxAffine lora = run_dynamics(with_rank("B", kLora)).at(1, Quantity::Z_B);
  CHECK(lora == max(law(1, 1, -1), law(1, Rational(1, 2), Rational(-1, 2))));
  MaxAffine rslora = run_dynamics(with_rank("B", kRsLora)).at(1, Quantity::Z_B);
  CHECK(rslora == max(law(1, 1, Rational(-1, 2)), law(1, Rational(1, 2), 0)));
  // The rest dominates for ρ < 1: at ρ = 1/2, γ[η] = 0 the exponents are 1 − κ/2.
  CHECK(lora.evaluate({{"eta", 0}, {"rho", Rational(1, 2)}}) == Exponent(Rational(1, 2)));
  CHECK(rslora.evaluate({{"eta", 0}, {"rho", Rational(1, 2)}}) == Exponent(Rational(3, 4)));
}

TEST_CASE("with rho = 0 the rank and the multiplier change nothing") {
  for (const char* scheme : {"A", "B", "AB", "inilora", "milora"}) {
    CAPTURE(scheme);
    LoraModel fixed = model_of(scheme);
    LoraModel rslora = fixed;
    rslora.multiplier = kRsLora;  // at ρ = 0, r^κ is a constant whatever κ
    CHECK(run_dynamics(fixed).steps == run_dynamics(rslora).steps);
  }
}

TEST_CASE("the maximal stable learning rate as a law in n and r") {
  // Init[A], Adam, module: Z_B² = γ[s] + γ[η] + max(0, γ[η] + 1) + ρ ≤ 0 (step 2, as
  // above with A moving: Z_A² = max(0, γ[η] + 1)): 2γ[η] + 1 + (1 − κ)ρ ≤ 0, so
  // γ[η] ≤ −1/2 − (1 − κ)ρ/2: LoRA n^-1/2 · r^0, rsLoRA n^-1/2 · r^-1/4.
  auto lora = max_stable_law(with_rank("A", kLora), &Verdicts::stable);
  REQUIRE(lora);
  CHECK(lora->width_exponent == Rational(-1, 2));
  CHECK(lora->rank_exponent == 0);
  auto rslora = max_stable_law(with_rank("A", kRsLora), &Verdicts::stable);
  REQUIRE(rslora);
  CHECK(rslora->width_exponent == Rational(-1, 2));
  CHECK(rslora->rank_exponent == Rational(-1, 4));
  // Init[B], LoRA: γ[Z_B¹] = γ[η] + 1 − ρ (above) binds: n^-1 · r^1.
  auto b = max_stable_law(with_rank("B", kLora), &Verdicts::stable);
  REQUIRE(b);
  CHECK(b->width_exponent == -1);
  CHECK(b->rank_exponent == 1);
}

TEST_CASE("Definition 5's window: LoRA+ (-1, 0) under Init[A] is efficient from t = 2, not at every step") {
  LoraModel plus = model_of("A");
  plus.eta_A = number(-1);
  plus.eta_B = number(0);
  EngineAnswer answer_plus = answer(plus);
  CHECK(answer_plus.every_step.efficient.is_empty());      // δ¹ = 0 at t = 1: A has not moved
  CHECK_FALSE(answer_plus.definition_5.efficient.is_empty());
  CHECK_FALSE(answer_plus.definition_5.stable.is_empty());
}
