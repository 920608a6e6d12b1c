#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "gamma/random_vector.hpp"

using namespace gammalab::gamma;

namespace {
MaxAffine number(Rational v) { return Exponent(std::move(v)); }
const Affine kWidth = Affine::constant(1);
const Affine kRho = Affine::parameter("rho");
MaxAffine form(Rational constant, Rational per_rho) { return MaxAffine(Affine::constant(constant) + kRho * per_rho); }
}  // namespace

TEST_CASE("independent vectors contract by the CLT, correlated ones by the LLN") {
  RandomVector input(kInput, number(0));
  RandomVector initial_A(kInitialA, number(Rational(-1, 2)));  // Kaiming A₀
  RandomVector update_A(kInput, number(-1));                   // ΔA ∝ g ⊗ Z̲ with η = n^-1
  CHECK(contract(initial_A, input, kWidth) == number(0));   // -1/2 + 0 + 1/2: A₀Z̲ = Θ(1)
  CHECK(contract(update_A, input, kWidth) == number(0));    // -1 + 0 + 1: ΔA Z̲ = Θ(1)
  std::vector<ContractionTerm> terms;
  CHECK(contract(initial_A + update_A, input, kWidth, &terms) == number(0));
  REQUIRE(terms.size() == 2);
  CHECK(terms[0].aligned);   // parts are ordered by source bits: Z before A₀
  CHECK_FALSE(terms[1].aligned);
}

TEST_CASE("a sum over the rank adds rho when aligned and rho/2 when independent") {
  // Over r = n^ρ terms: dZ̄ ⊗ Z_A applied to Z_A (ΔB Z_A under Init[A]) adds ρ; B₀
  // applied to a Z_A it never saw adds ρ/2.
  RandomVector z_a(kInitialAApplied, number(0));
  CHECK(contract(z_a, z_a, kRho) == form(0, 1));
  CHECK(contract(RandomVector(kInitialB, number(0)), z_a, kRho) == form(0, Rational(1, 2)));
  // At ρ = 0 both add nothing: a fixed rank.
  CHECK(contract(z_a, z_a, Affine()) == number(0));
}

TEST_CASE("a zero vector contracts to exactly zero") {
  CHECK(contract(RandomVector(), RandomVector(kInput, number(5)), kWidth).is_zero_quantity());
  CHECK(RandomVector(kInput, MaxAffine()).is_zero());
  CHECK(apply(RandomMatrix(), Dimension::Width, RandomVector(kInput, number(0)), kWidth).is_zero());
}

TEST_CASE("parts with the same sources merge by max; scaling keeps sources") {
  RandomVector v = RandomVector(kBackprop, number(-1)) + RandomVector(kBackprop, number(Rational(-1, 2)));
  REQUIRE(v.parts().size() == 1);
  CHECK(v.entries() == number(Rational(-1, 2)));
  RandomVector scaled = v.times(number(1));
  CHECK(scaled.parts().begin()->first == kBackprop);
  CHECK(scaled.entries() == number(Rational(1, 2)));
  RandomMatrix m = RandomMatrix::outer(v, RandomVector(kInitialAApplied, number(0))) + RandomMatrix::independent(kInitialB, number(0));
  CHECK(m.without(kInitialB) == RandomMatrix::outer(v, RandomVector(kInitialAApplied, number(0))));
}

TEST_CASE("an outer product applied keeps its other side; a matrix of independent entries makes a new direction") {
  // ΔB = dZ̄ ⊗ Z_A applied to dZ̄ over the width: |dZ̄|² Z_A, along Z_A's direction.
  RandomVector backprop(kBackprop, number(0)), z_a(kInitialAApplied, number(0));
  RandomVector through_update = apply(RandomMatrix::outer(backprop, z_a), Dimension::Width, backprop, kWidth);
  REQUIRE(through_update.parts().size() == 1);
  CHECK(through_update.parts().begin()->first == kInitialAApplied);
  CHECK(through_update.entries() == number(1));
  // B₀ᵀ dZ̄ (rest only): a CLT sum, along the new direction B₀v, not along B₀'s own rank side.
  RandomVector through_initial = apply(RandomMatrix::independent(kInitialB, number(0)), Dimension::Width, backprop, kWidth);
  REQUIRE(through_initial.parts().size() == 1);
  CHECK(through_initial.parts().begin()->first == kInitialBApplied);
  CHECK(through_initial.entries() == number(Rational(1, 2)));
}

TEST_CASE("Gaussian conditioning: B0 applied to B0-transpose dZ has a part along dZ of order r sigma^2") {
  // Derived by hand: B₀ (n × r, entries σ = n^0) and u = dZ̄ (entries n^0):
  //   B₀ᵀu has entries n^{1/2} (CLT over n), along the new direction B₀v;
  //   B₀(B₀ᵀu)_i = Σ_j B₀_ij Σ_i' B₀_i'j u_i' = u_i Σ_j B₀_ij² + Σ_{i'≠i} (B₀B₀ᵀ)_ii' u_i'
  //     diagonal:     r·σ²·u_i         → exponent ρ, along u = dZ̄ (aligned over the rank);
  //     off-diagonal: √n·√r·σ²         → exponent 1/2 + ρ/2, along a new direction.
  RandomVector backprop(kBackprop, number(0));
  RandomMatrix B0 = initial_matrix(kInitialB, number(0), kBackprop);
  RandomVector seen = apply(B0, Dimension::Width, backprop, kWidth);
  CHECK(seen.entries() == number(Rational(1, 2)));
  REQUIRE(seen.parts().size() == 1);  // the rest's CLT sum and the conditioned part's LLN sum: one direction
  RandomVector back = apply(B0, Dimension::Rank, seen, kRho);
  REQUIRE(back.parts().count(kBackprop | kInitialB) == 1);
  CHECK(back.parts().at(kBackprop | kInitialB) == form(0, 1));  // n^-1/2·σ · n^1/2 · r: the diagonal, along dZ̄
  REQUIRE(back.parts().count(kInitialBApplied) == 1);
  CHECK(back.parts().at(kInitialBApplied) == form(Rational(1, 2), Rational(1, 2)));  // the off-diagonal
  // Read back along dZ̄ (a sum over n): the diagonal, aligned, gives ρ + 1; the
  // off-diagonal, independent, 1/2 + ρ/2 + 1/2 — the diagonal wins for every ρ > 0.
  const MaxAffine read_back = contract(backprop, back, kWidth);
  CHECK(read_back == max(form(1, 1), form(1, Rational(1, 2))));
  CHECK(read_back.evaluate({{"rho", Rational(1, 2)}}) == Exponent(Rational(3, 2)));
}
