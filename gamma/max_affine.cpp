#include "gamma/max_affine.hpp"

#include <algorithm>
#include <set>

#include "gamma/polyhedron.hpp"
#include "gamma/work_limit.hpp"

namespace gammalab::gamma {

namespace {

// One parameter x: the forms are lines s·x + b, and the needed ones are those on the
// upper envelope. Sorted by slope (equal slopes: only the highest line can matter), a
// line between its neighbours is needed only if it rises above the point where they
// cross: with slopes s1 < s2 < s3, line 2 is redundant iff
// (s2 − s1)(b1 − b3) + (b2 − b1)(s3 − s1) ≤ 0.
std::vector<Affine> upper_envelope(std::vector<Affine> forms, const std::string& x) {
  std::sort(forms.begin(), forms.end(), [&](const Affine& a, const Affine& b) {
    Rational sa = a.coefficient(x), sb = b.coefficient(x);
    return sa < sb || (sa == sb && a.constant_term() > b.constant_term());
  });
  std::vector<Affine> hull;
  for (auto& form : forms) {
    if (!hull.empty() && hull.back().coefficient(x) == form.coefficient(x)) continue;  // a lower parallel line
    while (hull.size() >= 2) {
      const Affine &first = hull[hull.size() - 2], &middle = hull.back();
      Rational s1 = first.coefficient(x), s2 = middle.coefficient(x), s3 = form.coefficient(x);
      Rational b1 = first.constant_term(), b2 = middle.constant_term(), b3 = form.constant_term();
      if ((s2 - s1) * (b1 - b3) + (b2 - b1) * (s3 - s1) <= 0) hull.pop_back();
      else break;
    }
    hull.push_back(std::move(form));
  }
  std::sort(hull.begin(), hull.end());
  return hull;
}

// Drops every form that never exceeds the max of the others. Form a is needed only
// if somewhere a > b for every other b, i.e. the strict system {b − a < 0} is feasible.
std::vector<Affine> irredundant(std::vector<Affine> forms) {
  count_work(forms.size());
  std::sort(forms.begin(), forms.end());
  forms.erase(std::unique(forms.begin(), forms.end()), forms.end());
  if (std::all_of(forms.begin(), forms.end(), [](const Affine& f) { return f.is_constant(); })) {
    if (forms.size() > 1) forms = {*std::max_element(forms.begin(), forms.end(), [](const Affine& a, const Affine& b) {
      return a.constant_term() < b.constant_term();
    })};
    return forms;
  }
  std::set<std::string> parameters;
  for (const auto& form : forms)
    for (const auto& [name, coefficient] : form.coefficients()) parameters.insert(name);
  if (parameters.size() == 1) return upper_envelope(std::move(forms), *parameters.begin());

  for (std::size_t i = 0; i < forms.size() && forms.size() > 1;) {
    std::vector<Condition> exceeds_all;
    for (std::size_t j = 0; j < forms.size(); ++j)
      if (j != i) exceeds_all.push_back({forms[j] - forms[i], true});
    if (is_feasible(std::move(exceeds_all))) ++i;
    else forms.erase(forms.begin() + static_cast<std::ptrdiff_t>(i));
  }
  return forms;
}

}  // namespace

MaxAffine::MaxAffine(std::vector<Affine> forms) : forms_(irredundant(std::move(forms))) {}

MaxAffine::MaxAffine(const Exponent& value) {
  if (!value.is_minus_infinity()) forms_.push_back(Affine::constant(value.value()));
}

MaxAffine::MaxAffine(Affine form) : forms_{std::move(form)} {}

MaxAffine operator+(const MaxAffine& a, const MaxAffine& b) {
  std::vector<Affine> sums;
  for (const auto& x : a.forms_)
    for (const auto& y : b.forms_) sums.push_back(x + y);
  return MaxAffine(std::move(sums));  // either side −∞ leaves no pair: the product is exactly zero
}

MaxAffine max(const MaxAffine& a, const MaxAffine& b) {
  std::vector<Affine> both = a.forms_;
  both.insert(both.end(), b.forms_.begin(), b.forms_.end());
  return MaxAffine(std::move(both));
}

Exponent MaxAffine::evaluate(const Point& at) const {
  Exponent result = Exponent::zero_quantity();
  for (const auto& form : forms_) result = max(result, Exponent(form.evaluate(at)));
  return result;
}

std::string MaxAffine::to_string(Notation notation) const {
  if (forms_.empty()) return "-inf";
  if (forms_.size() == 1) return forms_.front().to_string(notation);
  // Constants first, then forms by their parameters: "max(0, γ[η] + 1)".
  std::vector<Affine> ordered = forms_;
  std::stable_partition(ordered.begin(), ordered.end(), [](const Affine& f) { return f.is_constant(); });
  std::string text = "max(";
  for (std::size_t i = 0; i < ordered.size(); ++i) text += (i ? ", " : "") + ordered[i].to_string(notation);
  return text + ")";
}

}  // namespace gammalab::gamma
