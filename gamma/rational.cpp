#include "gamma/rational.hpp"

#include <cctype>

#include "gamma/input_error.hpp"

namespace gammalab::gamma {

std::string to_string(const Rational& value) { return value.str(); }

namespace {

bool all_digits(std::string_view text) {
  for (char c : text)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

boost::multiprecision::cpp_int integer_of(std::string_view digits) {
  boost::multiprecision::cpp_int value = 0;
  for (char c : digits) value = value * 10 + (c - '0');
  return value;
}

}  // namespace

std::optional<Rational> parse_rational(std::string_view text) {
  if (text.size() > kMaxNumberCharacters) return std::nullopt;
  bool negative = false;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (text.empty()) return std::nullopt;

  Rational magnitude;
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    std::string_view numerator = text.substr(0, slash), denominator = text.substr(slash + 1);
    if (numerator.empty() || denominator.empty() || !all_digits(numerator) || !all_digits(denominator))
      return std::nullopt;
    auto bottom = integer_of(denominator);
    if (bottom == 0) return std::nullopt;
    magnitude = Rational(integer_of(numerator), bottom);
  } else if (auto point = text.find('.'); point != std::string_view::npos) {
    std::string_view whole = text.substr(0, point), fraction = text.substr(point + 1);
    if ((whole.empty() && fraction.empty()) || !all_digits(whole) || !all_digits(fraction))
      return std::nullopt;
    boost::multiprecision::cpp_int scale = 1;
    for (std::size_t i = 0; i < fraction.size(); ++i) scale *= 10;
    magnitude = Rational(integer_of(whole)) + Rational(integer_of(fraction), scale);
  } else {
    if (!all_digits(text)) return std::nullopt;
    magnitude = Rational(integer_of(text));
  }
  return negative ? Rational(-magnitude) : magnitude;
}

}  // namespace gammalab::gamma

namespace gammalab::gamma {

void refuse_number(std::string_view text, std::string_view what, std::string_view accepted) {
  if (text.size() > kMaxNumberCharacters)
    throw InputError("'" + shown(text) + "' is not read as " + std::string(what) + ": " + std::to_string(text.size()) +
                     " characters, but a number has at most " + std::to_string(kMaxNumberCharacters) + " characters; accepted: " +
                     std::string(accepted));
  throw InputError("'" + shown(text) + "' is not " + std::string(what) + "; accepted: " + std::string(accepted));
}

}  // namespace gammalab::gamma
