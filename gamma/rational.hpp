#pragma once
// Exact rational numbers: every exponent the engine handles is one of these (or -inf).
#include <boost/multiprecision/cpp_int.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace gammalab::gamma {

using Rational = boost::multiprecision::cpp_rational;

// "-1/2", "0", "3": the shortest exact spelling.
std::string to_string(const Rational& value);

// Reads the forms a user types: an integer ("-2"), a fraction ("-1/2", "+3/4") or a
// decimal read exactly ("1.5" is 3/2, "-.25" is -1/4). Returns nothing for anything
// else ("-1//2", "abc", "1/0", "1e-3", "").
// Longer texts are refused before any arithmetic: a 30,000-digit decimal took 27 s to
// read, and no exponent of a scaling law needs more than a few digits.
inline constexpr std::size_t kMaxNumberCharacters = 64;
std::optional<Rational> parse_rational(std::string_view text);

// Refuses `text`, which parse_rational (or a reader built on it) did not accept, as not
// `what` ("an exponent"): InputError with the text shortened, and, where it is longer
// than kMaxNumberCharacters, that length as the reason, since such a text may well be
// a number in range.
[[noreturn]] void refuse_number(std::string_view text, std::string_view what, std::string_view accepted);

}  // namespace gammalab::gamma
