#pragma once
// An affine form c + Σ a_v·x_v in the free exponent parameters (γ[η], γ[σ_A], …),
// with exact rational coefficients. A symbolic exponent is a max of these.
#include <map>
#include <string>

#include "gamma/rational.hpp"

namespace gammalab::gamma {

// Values for the free parameters, by name ("eta" → -1/2).
using Point = std::map<std::string, Rational>;

// How a parameter name is written: Text for people (γ[η_A]), Ascii for JSON (eta_A).
enum class Notation { Text, Ascii };
std::string parameter_symbol(const std::string& name, Notation notation);

class Affine {
 public:
  Affine() = default;  // the constant 0
  static Affine constant(Rational value);
  static Affine parameter(const std::string& name);

  const Rational& constant_term() const { return constant_; }
  const std::map<std::string, Rational>& coefficients() const { return coefficients_; }
  Rational coefficient(const std::string& name) const;
  bool is_constant() const { return coefficients_.empty(); }

  Affine operator+(const Affine& other) const;
  Affine operator-(const Affine& other) const;
  Affine operator-() const;
  Affine operator*(const Rational& factor) const;

  // Every parameter must have a value in `at`.
  Rational evaluate(const Point& at) const;

  // Scaled by a positive factor so that its leading coefficient (first parameter,
  // or the constant when there is none) is ±1: the sign of the form is unchanged,
  // so conditions "form ≤ 0" compare equal exactly when they are the same condition.
  Affine normalized() const;

  friend bool operator==(const Affine&, const Affine&) = default;
  friend bool operator<(const Affine& a, const Affine& b);

  std::string to_string(Notation notation = Notation::Text) const;  // "γ[η] + 1", "-2γ[η] - 1/2"

 private:
  Rational constant_ = 0;
  std::map<std::string, Rational> coefficients_;  // never holds a zero coefficient
};

}  // namespace gammalab::gamma
