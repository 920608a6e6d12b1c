#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "gamma/max_affine.hpp"

using namespace gammalab::gamma;

namespace {
MaxAffine eta() { return MaxAffine::parameter("eta"); }
MaxAffine number(Rational v) { return Exponent(std::move(v)); }
}  // namespace

TEST_CASE("product distributes over max and zero absorbs") {
  MaxAffine z_a = max(number(0), eta() + number(1));  // Theorem 1: γ[Z_A] = max(0, γ[η] + 1)
  MaxAffine z_b = eta() + z_a;
  CHECK(z_b.to_string() == "max(γ[η], 2γ[η] + 1)");
  CHECK((z_b + MaxAffine()).is_zero_quantity());
  CHECK(max(MaxAffine(), z_a) == z_a);
}

TEST_CASE("redundant forms are dropped, so equal functions compare equal") {
  // γ[η] ≤ γ[η] + 1 everywhere: max(γ[η], γ[η] + 1) is γ[η] + 1.
  CHECK(max(eta(), eta() + number(1)) == eta() + number(1));
  // 2γ[η] + 2 is the midpoint of γ[η] + 1 and 3γ[η] + 3, hence never the strict max.
  MaxAffine line = eta() + number(1);
  MaxAffine three = MaxAffine(Affine::parameter("eta") * Rational(3) + Affine::constant(3));
  MaxAffine two = MaxAffine(Affine::parameter("eta") * Rational(2) + Affine::constant(2));
  CHECK(max(max(line, three), two) == max(line, three));
  CHECK(max(line, three).forms().size() == 2);
  // Constants: only the largest survives.
  CHECK(max(number(-1), number(Rational(1, 2))) == number(Rational(1, 2)));
}

TEST_CASE("evaluation at a point") {
  MaxAffine g = max(number(0), eta() + number(1));
  CHECK(g.evaluate({{"eta", Rational(-1, 2)}}) == Exponent(Rational(1, 2)));
  CHECK(g.evaluate({{"eta", Rational(-3)}}) == Exponent(0));
  CHECK(MaxAffine().evaluate({}).is_minus_infinity());
}
