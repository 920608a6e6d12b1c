#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "gamma/polyhedron.hpp"

using namespace gammalab::gamma;

namespace {
Affine x() { return Affine::parameter("x"); }
Affine y() { return Affine::parameter("y"); }
Affine c(Rational v) { return Affine::constant(std::move(v)); }
}  // namespace

TEST_CASE("Fourier-Motzkin decides strict and non-strict systems exactly") {
  // x <= 0 and x >= 0: the point 0.
  CHECK(is_feasible({{x(), false}, {-x(), false}}));
  // x < 0 and x >= 0: nothing.
  CHECK_FALSE(is_feasible({{x(), true}, {-x(), false}}));
  // x + y <= -1, x >= -1/2, y >= -1/2: x + y >= -1 forces x = y = -1/2.
  CHECK(is_feasible({{x() + y() + c(1), false}, {-x() - c(Rational(1, 2)), false}, {-y() - c(Rational(1, 2)), false}}));
  CHECK_FALSE(is_feasible({{x() + y() + c(1), true}, {-x() - c(Rational(1, 2)), false}, {-y() - c(Rational(1, 2)), false}}));
  // Constants alone: 0 <= 0 holds, 0 < 0 does not.
  CHECK(is_feasible({{c(0), false}}));
  CHECK_FALSE(is_feasible({{c(0), true}}));
}

TEST_CASE("simplification drops implied conditions and empty polyhedra") {
  Polyhedron p({{x() + c(1), false}, {x() + c(2), false}, {x() - c(5), false}});  // x <= -1, x <= -2, x <= 5
  auto simple = p.simplified();
  REQUIRE(simple);
  REQUIRE(simple->conditions().size() == 1);
  CHECK(simple->conditions().front().form == x() + c(2));
  CHECK_FALSE(Polyhedron({{x(), true}, {-x(), false}}).simplified());
}

TEST_CASE("membership follows strictness") {
  Polyhedron below_half({{x() + c(Rational(1, 2)), true}});  // x < -1/2
  CHECK(below_half.contains({{"x", Rational(-1)}}));
  CHECK_FALSE(below_half.contains({{"x", Rational(-1, 2)}}));
}
