#include "gamma/affine.hpp"

#include <stdexcept>
#include <tuple>

namespace gammalab::gamma {

std::string parameter_symbol(const std::string& name, Notation notation) {
  if (notation == Notation::Ascii) return name;
  static const std::map<std::string, std::string> greek = {
      {"eta", "γ[η]"},         {"eta_A", "γ[η_A]"},     {"eta_B", "γ[η_B]"},
      {"sigma_A", "γ[σ_A]"}, {"sigma_B", "γ[σ_B]"}, {"alpha", "γ[α]"}, {"rho", "ρ"}};
  auto found = greek.find(name);
  return found == greek.end() ? "γ[" + name + "]" : found->second;
}

Affine Affine::constant(Rational value) {
  Affine form;
  form.constant_ = std::move(value);
  return form;
}

Affine Affine::parameter(const std::string& name) {
  Affine form;
  form.coefficients_[name] = 1;
  return form;
}

Rational Affine::coefficient(const std::string& name) const {
  auto found = coefficients_.find(name);
  return found == coefficients_.end() ? Rational(0) : found->second;
}

Affine Affine::operator+(const Affine& other) const {
  Affine sum = *this;
  sum.constant_ += other.constant_;
  for (const auto& [name, value] : other.coefficients_) {
    Rational& slot = sum.coefficients_[name];
    slot += value;
    if (slot == 0) sum.coefficients_.erase(name);
  }
  return sum;
}

Affine Affine::operator-() const { return *this * Rational(-1); }
Affine Affine::operator-(const Affine& other) const { return *this + (-other); }

Affine Affine::operator*(const Rational& factor) const {
  if (factor == 0) return Affine();
  Affine product = *this;
  product.constant_ *= factor;
  for (auto& [name, value] : product.coefficients_) value *= factor;
  return product;
}

Rational Affine::evaluate(const Point& at) const {
  Rational value = constant_;
  for (const auto& [name, coefficient] : coefficients_) {
    auto found = at.find(name);
    if (found == at.end()) throw std::logic_error("no value for the parameter " + name);
    value += coefficient * found->second;
  }
  return value;
}

Affine Affine::normalized() const {
  const Rational& leading = coefficients_.empty() ? constant_ : coefficients_.begin()->second;
  if (leading == 0) return *this;
  return *this * Rational(1 / abs(leading));
}

bool operator<(const Affine& a, const Affine& b) {
  return std::tie(a.coefficients_, a.constant_) < std::tie(b.coefficients_, b.constant_);
}

namespace {

// "2γ[η]", "-γ[η]", "(1/2)γ[η]": a coefficient in front of its symbol.
std::string scaled(const Rational& magnitude, const std::string& symbol, Notation notation) {
  if (magnitude == 1) return symbol;
  std::string number = to_string(magnitude);
  if (number.find('/') != std::string::npos) number = "(" + number + ")";
  return notation == Notation::Ascii ? number + "*" + symbol : number + symbol;
}

}  // namespace

std::string Affine::to_string(Notation notation) const {
  std::string text;
  for (const auto& [name, coefficient] : coefficients_) {
    bool negative = coefficient < 0;
    std::string term = scaled(negative ? Rational(-coefficient) : coefficient, parameter_symbol(name, notation), notation);
    if (text.empty()) text = negative ? "-" + term : term;
    else text += (negative ? " - " : " + ") + term;
  }
  if (text.empty()) return gamma::to_string(constant_);
  if (constant_ > 0) text += " + " + gamma::to_string(constant_);
  if (constant_ < 0) text += " - " + gamma::to_string(Rational(-constant_));
  return text;
}

}  // namespace gammalab::gamma
