#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "gamma/affine.hpp"

using namespace gammalab::gamma;

TEST_CASE("affine forms add, scale and cancel exactly") {
  Affine eta = Affine::parameter("eta"), one = Affine::constant(1);
  Affine form = eta * Rational(2) + one;
  CHECK(form.coefficient("eta") == 2);
  CHECK(form.constant_term() == 1);
  CHECK((form - eta * Rational(2)).is_constant());  // the coefficient vanishes, not just becomes 0
  CHECK(form.evaluate({{"eta", Rational(-1, 2)}}) == 0);
  CHECK_THROWS(form.evaluate({}));
}

TEST_CASE("affine forms print in the paper's notation and in ASCII") {
  Affine form = Affine::parameter("eta") * Rational(-2) + Affine::constant(Rational(-1, 2));
  CHECK(form.to_string() == "-2γ[η] - 1/2");
  CHECK(form.to_string(Notation::Ascii) == "-2*eta - 1/2");
  CHECK((Affine::parameter("eta_A") * Rational(1, 2)).to_string() == "(1/2)γ[η_A]");
  CHECK(Affine().to_string() == "0");
}

TEST_CASE("normalisation keeps the sign and makes equal conditions equal") {
  Affine a = Affine::parameter("eta") * Rational(3) + Affine::constant(3);
  Affine b = Affine::parameter("eta") + Affine::constant(1);
  CHECK(a.normalized() == b);
  CHECK((-a).normalized() == -b);
  CHECK(Affine::constant(-4).normalized() == Affine::constant(-1));
}
