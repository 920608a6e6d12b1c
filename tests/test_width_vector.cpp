#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "gamma/width_vector.hpp"

using namespace gammalab::gamma;

namespace {
MaxAffine number(Rational v) { return Exponent(std::move(v)); }
}  // namespace

TEST_CASE("independent vectors contract by the CLT, correlated ones by the LLN") {
  WidthVector input(kInput, number(0));
  WidthVector initial_A(kInitialA, number(Rational(-1, 2)));  // Kaiming A₀
  WidthVector update_A(kInput, number(-1));                   // ΔA ∝ g ⊗ Z̲ with η = n^-1
  CHECK(contract(initial_A, input) == number(0));   // -1/2 + 0 + 1/2: A₀Z̲ = Θ(1)
  CHECK(contract(update_A, input) == number(0));    // -1 + 0 + 1: ΔA Z̲ = Θ(1)
  std::vector<ContractionTerm> terms;
  CHECK(contract(initial_A + update_A, input, &terms) == number(0));
  REQUIRE(terms.size() == 2);
  CHECK(terms[0].aligned);   // parts are ordered by source bits: Z before A₀
  CHECK_FALSE(terms[1].aligned);
}

TEST_CASE("a zero vector contracts to exactly zero") {
  CHECK(contract(WidthVector(), WidthVector(kInput, number(5))).is_zero_quantity());
  CHECK(WidthVector(kInput, MaxAffine()).is_zero());
}

TEST_CASE("parts with the same sources merge by max; scaling keeps sources") {
  WidthVector v = WidthVector(kBackprop, number(-1)) + WidthVector(kBackprop, number(Rational(-1, 2)));
  REQUIRE(v.parts().size() == 1);
  CHECK(v.entries() == number(Rational(-1, 2)));
  WidthVector scaled = v.times(number(1));
  CHECK(scaled.parts().begin()->first == kBackprop);
  CHECK(scaled.entries() == number(Rational(1, 2)));
  CHECK((v + WidthVector(kInitialB, number(0))).without(kInitialB) == v);
}
