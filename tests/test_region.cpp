#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "gamma/region.hpp"

using namespace gammalab::gamma;

namespace {
MaxAffine eta() { return MaxAffine::parameter("eta"); }
MaxAffine number(Rational v) { return Exponent(std::move(v)); }
Point at(Rational v) { return {{"eta", std::move(v)}}; }
}  // namespace

TEST_CASE("the four conditions on a symbolic exponent") {
  MaxAffine z_b = eta() + max(number(0), eta() + number(1));  // max(γ[η], 2γ[η] + 1)
  CHECK(interval_notation(Region::where_bounded(z_b), "eta") == "(-inf, -1/2]");
  CHECK(interval_notation(Region::where_vanishing(z_b), "eta") == "(-inf, -1/2)");
  CHECK(interval_notation(Region::where_order_one(z_b), "eta") == "{-1/2}");
  CHECK(interval_notation(Region::where_growing(z_b), "eta") == "(-1/2, inf)");
  MaxAffine z_a = max(number(0), eta() + number(1));
  CHECK(interval_notation(Region::where_growing(z_a) & Region::where_bounded(z_b), "eta") == "(-1, -1/2]");
}

TEST_CASE("an exactly zero quantity is bounded and vanishing everywhere, never of order one") {
  CHECK(interval_notation(Region::where_bounded(MaxAffine()), "eta") == "(-inf, inf)");
  CHECK(Region::where_order_one(MaxAffine()).is_empty());
  CHECK(Region::where_growing(MaxAffine()).is_empty());
}

TEST_CASE("unions merge into intervals and complements are exact") {
  Region low = Region::where_bounded(eta() + number(1));          // η ≤ -1
  Region high = Region::where_growing(eta());                     // η > 0
  CHECK(interval_notation(low | high, "eta") == "(-inf, -1] ∪ (0, inf)");
  CHECK(interval_notation((low | high).complement(), "eta") == "(-1, 0]");
  CHECK(interval_notation(low | Region::where_bounded(eta()), "eta") == "(-inf, 0]");
  CHECK((low | high).contains(at(-1)));
  CHECK_FALSE((low | high).contains(at(0)));
  CHECK(low.is_subset_of(Region::where_bounded(eta())));
  CHECK_FALSE(Region::where_bounded(eta()).is_subset_of(low));
}

TEST_CASE("supremum says whether the end is attained") {
  auto closed = supremum(Region::where_bounded(eta() + number(Rational(1, 2))), "eta");
  REQUIRE(closed);
  CHECK(closed->value == Rational(-1, 2));
  CHECK(closed->attained);
  auto open = supremum(Region::where_vanishing(eta() + number(1)), "eta");
  REQUIRE(open);
  CHECK_FALSE(open->attained);
  CHECK_FALSE(supremum(Region::nothing(), "eta"));
  CHECK(is_unbounded_above(Region::everything(), "eta"));
}

TEST_CASE("two-parameter regions become exact polygons") {
  MaxAffine a = MaxAffine::parameter("x"), b = MaxAffine::parameter("y");
  // x + y + 1 ≤ 0 inside [-2, 1]²: the triangle-cut box.
  Region below = Region::where_bounded(a + b + number(1));
  auto shapes = polygons(below, "x", "y", Rational(-2), Rational(1));
  REQUIRE(shapes.size() == 1);
  std::vector<std::pair<Rational, Rational>> expected = {{-2, -2}, {1, -2}, {-2, 1}};
  CHECK(shapes.front().vertices == expected);
  // The line x + y + 1 = 0 is a segment with exact ends.
  auto line = polygons(Region::where_order_one(a + b + number(1)), "x", "y", Rational(-2), Rational(1));
  REQUIRE(line.size() == 1);
  CHECK(line.front().vertices.size() == 2);
}

TEST_CASE("the supremum of eta as a function of rho, piece by piece") {
  auto form = [](Rational eta_coefficient, Rational rho_coefficient, Rational constant) {
    return MaxAffine(Affine::parameter("eta") * eta_coefficient + Affine::parameter("rho") * rho_coefficient +
                     Affine::constant(std::move(constant)));
  };
  // 0 ≤ ρ < 1, γ[η] ≤ ρ/2 − 1 and γ[η] ≤ −3/4: the supremum is ρ/2 − 1 up to ρ = 1/2
  // (where the two bounds cross), then −3/4 — Init[B]'s f bound under LoRA.
  Region region = Region::where_bounded(MaxAffine(-Affine::parameter("rho"))) &
                  Region::where_vanishing(form(0, 1, -1)) & Region::where_bounded(form(1, Rational(-1, 2), 1)) &
                  Region::where_bounded(form(1, 0, Rational(3, 4)));
  auto pieces = supremum_along(region, "eta", "rho");
  REQUIRE(pieces.size() == 2);
  CHECK(*pieces[0].from == 0);
  CHECK(pieces[0].from_included);
  CHECK(*pieces[0].to == Rational(1, 2));
  CHECK(pieces[0].to_included);  // at the crossing both give −3/4: the left piece keeps it
  CHECK(*pieces[0].value == Affine::parameter("rho") * Rational(1, 2) + Affine::constant(-1));
  CHECK(pieces[0].attained);
  CHECK(*pieces[1].from == Rational(1, 2));
  CHECK_FALSE(pieces[1].from_included);
  CHECK(*pieces[1].to == 1);
  CHECK_FALSE(pieces[1].to_included);  // ρ < 1
  CHECK(*pieces[1].value == Affine::constant(Rational(-3, 4)));
  // A strict bound is approached, not attained; with no upper bound the supremum is unbounded.
  auto open = supremum_along(Region::where_vanishing(form(1, -1, 0)), "eta", "rho");
  REQUIRE(open.size() == 1);
  CHECK_FALSE(open[0].attained);
  CHECK(*open[0].value == Affine::parameter("rho"));
  auto unbounded = supremum_along(Region::where_bounded(form(-1, 1, 0)), "eta", "rho");
  REQUIRE(unbounded.size() == 1);
  CHECK_FALSE(unbounded[0].value.has_value());
  CHECK(supremum_along(Region::nothing(), "eta", "rho").empty());
}
