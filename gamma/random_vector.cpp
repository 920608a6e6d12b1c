#include "gamma/random_vector.hpp"

#include <stdexcept>

namespace gammalab::gamma {

std::string describe(Sources sources) {
  static const std::vector<std::pair<Source, std::string>> names = {
      {kInput, "Z"}, {kBackprop, "dZ̄"}, {kInitialA, "A₀"}, {kInitialB, "B₀"}, {kInitialAApplied, "A₀v"}, {kInitialBApplied, "B₀v"}};
  std::string text;
  for (const auto& [bit, name] : names)
    if (sources & bit) text += (text.empty() ? "" : "+") + name;
  return text;
}

namespace {

// Sums of parts, vectors' and matrices' alike: a part joins the one of equal label by
// max (sum → max), an exactly zero part is none, and the entries are the largest part's.
template <class Label>
void add_part(std::map<Label, MaxAffine>& parts, const Label& label, const MaxAffine& entries) {
  if (entries.is_zero_quantity()) return;
  auto [slot, inserted] = parts.try_emplace(label, entries);
  if (!inserted) slot->second = max(slot->second, entries);
}

template <class Label>
MaxAffine largest(const std::map<Label, MaxAffine>& parts) {
  MaxAffine result;
  for (const auto& [label, entries] : parts) result = max(result, entries);
  return result;
}

}  // namespace

RandomVector::RandomVector(Sources sources, const MaxAffine& entries) { add_part(parts_, sources, entries); }

MaxAffine RandomVector::entries() const { return largest(parts_); }

RandomVector RandomVector::operator+(const RandomVector& other) const {
  RandomVector sum = *this;
  for (const auto& [sources, entries] : other.parts_) add_part(sum.parts_, sources, entries);
  return sum;
}

RandomVector RandomVector::times(const MaxAffine& scalar) const {
  RandomVector product;
  for (const auto& [sources, exponent] : parts_) product = product + RandomVector(sources, exponent + scalar);
  return product;
}

MaxAffine contract(const RandomVector& u, const RandomVector& v, const Affine& length, std::vector<ContractionTerm>* terms) {
  const Affine half_length = length * Rational(1, 2);
  MaxAffine result;
  for (const auto& [left, a] : u.parts())
    for (const auto& [right, b] : v.parts()) {
      bool aligned = (left & right) != 0;
      const Affine& added = aligned ? length : half_length;
      MaxAffine term = a + b + MaxAffine(added);
      if (terms) terms->push_back({left, right, a, b, aligned, added, term});
      result = max(result, term);
    }
  return result;
}

RandomMatrix RandomMatrix::independent(Source source, const MaxAffine& entries) {
  RandomMatrix matrix;
  matrix.add({source, source, true}, entries);
  return matrix;
}

RandomMatrix RandomMatrix::outer(const RandomVector& along_width, const RandomVector& along_rank) {
  RandomMatrix matrix;
  for (const auto& [width_side, a] : along_width.parts())
    for (const auto& [rank_side, b] : along_rank.parts()) matrix.add({width_side, rank_side, false}, a + b);
  return matrix;
}

void RandomMatrix::add(const MatrixPart& part, const MaxAffine& entries) { add_part(parts_, part, entries); }

MaxAffine RandomMatrix::entries() const { return largest(parts_); }

RandomMatrix RandomMatrix::operator+(const RandomMatrix& other) const {
  RandomMatrix sum = *this;
  for (const auto& [part, exponent] : other.parts_) sum.add(part, exponent);
  return sum;
}

RandomMatrix RandomMatrix::times(const MaxAffine& scalar) const {
  RandomMatrix product;
  for (const auto& [part, exponent] : parts_) product.add(part, exponent + scalar);
  return product;
}

RandomMatrix RandomMatrix::without(Source source) const {
  RandomMatrix rest;
  for (const auto& [part, exponent] : parts_)
    if (!(part.width_side & source)) rest.add(part, exponent);
  return rest;
}

namespace {

// The new direction a matrix of independent entries makes of a vector independent of it.
Sources applied(Sources initial) {
  if (initial == kInitialA) return kInitialAApplied;
  if (initial == kInitialB) return kInitialBApplied;
  throw std::logic_error("only an initial matrix has independent entries");
}

}  // namespace

RandomVector apply(const RandomMatrix& matrix, Dimension over, const RandomVector& vector, const Affine& length,
                   std::vector<ContractionTerm>* terms) {
  RandomVector result;
  for (const auto& [part, entries] : matrix.parts()) {
    const bool over_width = over == Dimension::Width;
    const Sources contracted_side = over_width ? part.width_side : part.rank_side;
    const Sources other_side = over_width ? part.rank_side : part.width_side;
    std::vector<ContractionTerm> pairs;
    contract(RandomVector(contracted_side, entries), vector, length, &pairs);
    for (const auto& pair : pairs) {
      const bool new_direction = part.independent_entries && !pair.aligned;
      result = result + RandomVector(new_direction ? applied(other_side) : other_side, pair.exponent);
      if (terms) terms->push_back(pair);
    }
  }
  return result;
}

RandomMatrix initial_matrix(Source source, const MaxAffine& entries, Source meets) {
  RandomMatrix rest = RandomMatrix::independent(source, entries);
  // û has entries n^-1/2 and Mᵀû those of M: a CLT sum of n terms of size n^-1/2·σ.
  RandomMatrix along_meets = RandomMatrix::outer(RandomVector(meets | source, entries + MaxAffine(Exponent(Rational(-1, 2)))),
                                                 RandomVector(applied(source), Exponent(0)));
  return rest + along_meets;
}

}  // namespace gammalab::gamma
