#pragma once
// A region of the free parameters: a finite union of convex polyhedra. The verdicts
// of the engine (stable, feature learning, …) are regions, built from the four
// conditions on a symbolic exponent g = max_i a_i:
//   g ≤ 0 (bounded, O(1))   = ∩_i {a_i ≤ 0}        one polyhedron
//   g < 0 (vanishing, o(1)) = ∩_i {a_i < 0}        one polyhedron
//   g > 0 (growing)         = ∪_i {a_i > 0}        a union
//   g = 0 (Θ(1))            = {g ≤ 0} ∩ {g ≥ 0}     a union
// For an exactly zero quantity (g = −∞) the first two hold everywhere, the others nowhere.
#include <optional>
#include <string>
#include <vector>

#include "gamma/max_affine.hpp"
#include "gamma/polyhedron.hpp"

namespace gammalab::gamma {

class Region {
 public:
  static Region everything() { return Region({Polyhedron()}); }
  static Region nothing() { return Region({}); }
  static Region where_bounded(const MaxAffine& g);    // g ≤ 0
  static Region where_vanishing(const MaxAffine& g);  // g < 0
  static Region where_growing(const MaxAffine& g);    // g > 0
  static Region where_order_one(const MaxAffine& g);  // g = 0

  const std::vector<Polyhedron>& pieces() const { return pieces_; }
  bool is_empty() const { return pieces_.empty(); }
  bool contains(const Point& at) const;
  bool is_subset_of(const Region& other) const;

  Region operator&(const Region& other) const;
  Region operator|(const Region& other) const;
  Region complement() const;

 private:
  explicit Region(std::vector<Polyhedron> pieces);  // simplifies; drops empty and covered pieces
  std::vector<Polyhedron> pieces_;
};

// One free parameter: the region as a union of intervals, "(-inf, -1/2]", "{-1/2}",
// "(-1, -1/2]", "(-inf, -1] ∪ [0, inf)", "empty", "(-inf, inf)".
std::string interval_notation(const Region& region, const std::string& parameter);

// The supremum of a one-parameter region: the largest value, or the open end the
// region approaches. Absent when the region is empty or unbounded above.
struct Supremum {
  Rational value;
  bool attained = false;
};
std::optional<Supremum> supremum(const Region& region, const std::string& parameter);
bool is_unbounded_above(const Region& region, const std::string& parameter);

// Two free parameters: the supremum of `parameter` as a function of `along`, in pieces
// on each of which it is one affine form in `along` (the maximal stable γ[η] against
// ρ, say). Pieces are in increasing order of `along` and cover exactly the values of
// `along` at which the region is not empty.
struct SupremumPiece {
  std::optional<Rational> from, to;  // the interval of `along`; absent: unbounded that way
  bool from_included = false, to_included = false;
  std::optional<Affine> value;  // affine in `along`; absent: unbounded above
  bool attained = false;
};
std::vector<SupremumPiece> supremum_along(const Region& region, const std::string& parameter, const std::string& along);

// Two free parameters: each piece clipped to the box [low, high]² and given by its
// exact vertices in counter-clockwise order (two vertices for a segment, one for a
// point), with the conditions that define it.
struct Polygon {
  std::vector<std::pair<Rational, Rational>> vertices;
  std::vector<Condition> conditions;
};
std::vector<Polygon> polygons(const Region& region, const std::string& x, const std::string& y, const Rational& low,
                              const Rational& high);

}  // namespace gammalab::gamma
