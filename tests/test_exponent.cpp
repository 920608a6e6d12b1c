#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "gamma/exponent.hpp"
#include "gamma/input_error.hpp"

using namespace gammalab;
using namespace gammalab::gamma;

TEST_CASE("rationals are read exactly in every form users type") {
  CHECK(parse_rational("-1/2") == Rational(-1, 2));
  CHECK(parse_rational("+3/4") == Rational(3, 4));
  CHECK(parse_rational("0") == Rational(0));
  CHECK(parse_rational("1.5") == Rational(3, 2));
  CHECK(parse_rational("-.25") == Rational(-1, 4));
  CHECK(parse_rational("0.1") == Rational(1, 10));  // exactly a tenth, not the nearest double
  CHECK(parse_rational("2/4") == Rational(1, 2));
}

TEST_CASE("malformed rationals are refused") {
  for (const char* text : {"-1//2", "abc", "1/0", "", "-", "1e-3", "1/", "/2", ".", "1.2.3", "1/2/3", " 1"})
    CHECK_MESSAGE(!parse_rational(text), text);
}

TEST_CASE("exponents: product is a sum, sum is a max, zero is -inf") {
  Exponent half(Rational(-1, 2)), one(1), zero = Exponent::zero_quantity();
  CHECK(half + one == Exponent(Rational(1, 2)));
  CHECK(max(half, one) == one);
  CHECK((zero + one).is_minus_infinity());
  CHECK(max(zero, half) == half);
  CHECK(zero < Exponent(-1000));
  CHECK(zero.to_string() == "-inf");
  CHECK(half.to_string() == "-1/2");
}

TEST_CASE("parse_exponent reads -inf and zero, and names malformed text") {
  CHECK(parse_exponent("-inf").is_minus_infinity());
  CHECK(parse_exponent("zero").is_minus_infinity());
  CHECK(parse_exponent("1.5") == Exponent(Rational(3, 2)));
  try {
    parse_exponent("-1//2");
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).find("'-1//2'") != std::string::npos);
    CHECK(std::string(e.what()).find("-inf") != std::string::npos);
  }
  CHECK_THROWS_AS(parse_exponent("1/0"), InputError);
  CHECK_THROWS_AS(parse_exponent("inf"), InputError);
}

TEST_CASE("an exponent longer than 64 characters is refused at once, with the bound named") {
  const std::string longest = "-0." + std::string(61, '5');  // 64 characters, read exactly
  CHECK(parse_exponent(longest) < Exponent(0));
  try {
    parse_exponent(std::string(100000, '7'));
    FAIL("a 100,000-digit exponent was read");
  } catch (const InputError& e) {
    const std::string message = e.what();
    CHECK(message.find("100000 characters") != std::string::npos);
    CHECK(message.find("at most 64 characters") != std::string::npos);
    CHECK(message.size() < 300);
  }
}
