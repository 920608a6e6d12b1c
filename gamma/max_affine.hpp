#pragma once
// A symbolic width exponent: the max of finitely many affine forms in the free
// parameters, or −∞ (no form at all) for an exactly zero quantity. Closed under the
// two rules of the γ calculus (paper 003, §3.3):
//   product of quantities → sum of exponents:  max_i a_i + max_j b_j = max_ij (a_i + b_j)
//   sum of quantities     → max of exponents:  max(max_i a_i, max_j b_j)
// Kept canonical: no form is implied by the others (a ≤ max(others) everywhere), so
// two exponents are equal as functions exactly when their forms are equal — which
// is how the dynamics recognise the step from which nothing changes any more.
#include <string>
#include <vector>

#include "gamma/affine.hpp"
#include "gamma/exponent.hpp"

namespace gammalab::gamma {

class MaxAffine {
 public:
  MaxAffine() = default;  // −∞: an exactly zero quantity
  MaxAffine(const Exponent& value);  // NOLINT: a number is an exponent
  MaxAffine(Affine form);            // NOLINT
  static MaxAffine parameter(const std::string& name) { return MaxAffine(Affine::parameter(name)); }

  bool is_zero_quantity() const { return forms_.empty(); }
  const std::vector<Affine>& forms() const { return forms_; }

  friend MaxAffine operator+(const MaxAffine& a, const MaxAffine& b);  // γ[u·v]
  friend MaxAffine max(const MaxAffine& a, const MaxAffine& b);        // γ[u + v]
  friend bool operator==(const MaxAffine&, const MaxAffine&) = default;

  Exponent evaluate(const Point& at) const;
  std::string to_string(Notation notation = Notation::Text) const;  // "-inf", "-1/2", "max(0, γ[η] + 1)"

 private:
  explicit MaxAffine(std::vector<Affine> forms);
  std::vector<Affine> forms_;  // sorted; none implied by the others
};

}  // namespace gammalab::gamma
