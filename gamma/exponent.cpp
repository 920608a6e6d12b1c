#include "gamma/exponent.hpp"

#include "gamma/input_error.hpp"

namespace gammalab::gamma {

Exponent operator+(const Exponent& a, const Exponent& b) {
  if (a.is_minus_infinity() || b.is_minus_infinity()) return Exponent::zero_quantity();
  return Exponent(a.value() + b.value());
}

Exponent max(const Exponent& a, const Exponent& b) { return a < b ? b : a; }

std::strong_ordering operator<=>(const Exponent& a, const Exponent& b) {
  if (a.is_minus_infinity() || b.is_minus_infinity())
    return b.is_minus_infinity() <=> a.is_minus_infinity();
  if (a.value() < b.value()) return std::strong_ordering::less;
  if (b.value() < a.value()) return std::strong_ordering::greater;
  return std::strong_ordering::equal;
}

std::string Exponent::to_string() const {
  return is_minus_infinity() ? "-inf" : gamma::to_string(value());
}

Exponent parse_exponent(std::string_view text) {
  if (text == "-inf" || text == "zero") return Exponent::zero_quantity();
  if (auto value = parse_rational(text)) return Exponent(*value);
  refuse_number(text, "an exponent", kExponentForms);
}

}  // namespace gammalab::gamma
