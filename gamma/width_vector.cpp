#include "gamma/width_vector.hpp"

namespace gammalab::gamma {

std::string describe(Sources sources) {
  static const std::vector<std::pair<Source, std::string>> names = {
      {kInput, "Z"}, {kBackprop, "dZ̄"}, {kInitialA, "A₀"}, {kInitialB, "B₀"}};
  std::string text;
  for (const auto& [bit, name] : names)
    if (sources & bit) text += (text.empty() ? "" : "+") + name;
  return text;
}

WidthVector::WidthVector(Sources sources, const MaxAffine& entries) {
  if (!entries.is_zero_quantity()) parts_[sources] = entries;
}

MaxAffine WidthVector::entries() const {
  MaxAffine result;
  for (const auto& [sources, exponent] : parts_) result = max(result, exponent);
  return result;
}

WidthVector WidthVector::operator+(const WidthVector& other) const {
  WidthVector sum = *this;
  for (const auto& [sources, exponent] : other.parts_) {
    auto [slot, inserted] = sum.parts_.try_emplace(sources, exponent);
    if (!inserted) slot->second = max(slot->second, exponent);
  }
  return sum;
}

WidthVector WidthVector::times(const MaxAffine& scalar) const {
  WidthVector product;
  for (const auto& [sources, exponent] : parts_) product = product + WidthVector(sources, exponent + scalar);
  return product;
}

WidthVector WidthVector::without(Source source) const {
  WidthVector rest;
  for (const auto& [sources, exponent] : parts_)
    if (!(sources & source)) rest.parts_[sources] = exponent;
  return rest;
}

MaxAffine contract(const WidthVector& u, const WidthVector& v, std::vector<ContractionTerm>* terms) {
  static const MaxAffine law_of_large_numbers = Exponent(Rational(1));
  static const MaxAffine central_limit = Exponent(Rational(1, 2));
  MaxAffine result;
  for (const auto& [left, a] : u.parts())
    for (const auto& [right, b] : v.parts()) {
      bool aligned = (left & right) != 0;
      MaxAffine term = a + b + (aligned ? law_of_large_numbers : central_limit);
      if (terms) terms->push_back({left, right, aligned, term});
      result = max(result, term);
    }
  return result;
}

}  // namespace gammalab::gamma
