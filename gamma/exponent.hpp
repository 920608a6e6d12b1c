#pragma once
// A width exponent: v = Θ(n^γ[v]) with γ[v] in ℚ ∪ {−∞}; −∞ stands for an exactly
// zero quantity (paper 003, §3.3, "Zero"). The two operations of the γ calculus:
//   product → sum of exponents, sum → max of exponents.
#include <compare>
#include <optional>
#include <string>
#include <string_view>

#include "gamma/rational.hpp"

namespace gammalab::gamma {

class Exponent {
 public:
  Exponent(Rational value) : value_(std::move(value)) {}  // NOLINT: a number is an exponent
  Exponent(int value) : value_(Rational(value)) {}         // NOLINT
  static Exponent zero_quantity() { return Exponent(); }   // γ[0] = −∞

  bool is_minus_infinity() const { return !value_.has_value(); }
  const Rational& value() const { return *value_; }  // only when finite

  friend Exponent operator+(const Exponent& a, const Exponent& b);  // γ[u·v]
  friend Exponent max(const Exponent& a, const Exponent& b);        // γ[u + v]
  friend bool operator==(const Exponent& a, const Exponent& b) = default;
  friend std::strong_ordering operator<=>(const Exponent& a, const Exponent& b);

  std::string to_string() const;  // "-1/2", "0", "-inf"

 private:
  Exponent() = default;
  std::optional<Rational> value_;
};

// The forms users type: "-1/2", "0", "1.5" (read exactly as 3/2), "-inf" or "zero".
// Throws InputError naming the text and the accepted forms.
Exponent parse_exponent(std::string_view text);

inline constexpr std::string_view kExponentForms =
    "a rational such as -1/2, 0, 2 or 1.5 (decimals are read exactly), or -inf / zero for an exactly zero quantity";

}  // namespace gammalab::gamma
