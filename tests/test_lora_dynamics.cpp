#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "gamma/lora_dynamics.hpp"
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
