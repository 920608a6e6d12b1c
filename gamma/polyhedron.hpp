#pragma once
// A convex polyhedron in the free parameters: a conjunction of linear conditions
// "form ≤ 0" or "form < 0", decided exactly over the rationals by Fourier–Motzkin
// elimination (exact for mixed strict and non-strict systems; our systems have few
// parameters and few conditions, so its worst case never bites).
#include <optional>
#include <string>
#include <vector>

#include "gamma/affine.hpp"

namespace gammalab::gamma {

struct Condition {
  Affine form;  // the condition is form < 0 (strict) or form ≤ 0
  bool strict = false;

  Condition negated() const { return {-form, !strict}; }  // ¬(f ≤ 0) is −f < 0
  bool holds_at(const Point& at) const;
  std::string to_string(Notation notation) const;  // "γ[η] + 1/2 <= 0"
  friend bool operator==(const Condition&, const Condition&) = default;
  friend bool operator<(const Condition& a, const Condition& b);
};

class Polyhedron {
 public:
  Polyhedron() = default;  // no condition: the whole parameter space
  explicit Polyhedron(std::vector<Condition> conditions);

  const std::vector<Condition>& conditions() const { return conditions_; }
  bool is_feasible() const;
  bool contains(const Point& at) const;
  Polyhedron intersected_with(const Polyhedron& other) const;

  // The same set with every implied condition dropped, or nothing when empty.
  std::optional<Polyhedron> simplified() const;

  friend bool operator==(const Polyhedron&, const Polyhedron&) = default;

 private:
  std::vector<Condition> conditions_;  // normalized, sorted, no duplicates
};

// Whether some point satisfies every condition.
bool is_feasible(std::vector<Condition> conditions);

}  // namespace gammalab::gamma
