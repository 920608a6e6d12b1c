#include "gamma/polyhedron.hpp"

#include "gamma/work_limit.hpp"

#include <algorithm>
#include <set>
#include <tuple>

namespace gammalab::gamma {

bool Condition::holds_at(const Point& at) const {
  Rational value = form.evaluate(at);
  return strict ? value < 0 : value <= 0;
}

std::string Condition::to_string(Notation notation) const {
  return form.to_string(notation) + (strict ? " < 0" : " <= 0");
}

bool operator<(const Condition& a, const Condition& b) {
  return std::tie(a.form, a.strict) < std::tie(b.form, b.strict);
}

namespace {

// Normalized, sorted and free of duplicates; of "f ≤ 0" and "f < 0" only the strict
// one is kept, since it implies the other.
std::vector<Condition> canonical(std::vector<Condition> conditions) {
  for (auto& condition : conditions) condition.form = condition.form.normalized();
  std::sort(conditions.begin(), conditions.end());
  std::vector<Condition> kept;
  for (auto& condition : conditions) {
    if (!kept.empty() && kept.back().form == condition.form) {
      kept.back().strict = kept.back().strict || condition.strict;
      continue;
    }
    kept.push_back(std::move(condition));
  }
  return kept;
}

}  // namespace

bool is_feasible(std::vector<Condition> conditions) {
  count_work(conditions.size());
  conditions = canonical(std::move(conditions));
  while (true) {
    // Pick a parameter still present; with none left, only constants remain.
    const std::string* eliminated = nullptr;
    for (const auto& condition : conditions)
      if (!condition.form.is_constant()) {
        eliminated = &condition.form.coefficients().begin()->first;
        break;
      }
    if (eliminated == nullptr) break;
    const std::string name = *eliminated;

    std::vector<Condition> upper, lower, next;  // coefficient > 0, < 0, = 0
    for (auto& condition : conditions) {
      Rational a = condition.form.coefficient(name);
      (a > 0 ? upper : a < 0 ? lower : next).push_back(std::move(condition));
    }
    // Each pair (a·x + p ≤ 0 with a > 0, b·x + q ≤ 0 with b < 0) yields, with positive
    // multipliers −b and a, a condition free of x; it is strict if either one was.
    for (const auto& u : upper)
      for (const auto& l : lower) {
        Rational a = u.form.coefficient(name), b = l.form.coefficient(name);
        next.push_back({u.form * Rational(-b) + l.form * a, u.strict || l.strict});
      }
    count_work(next.size());
    conditions = canonical(std::move(next));
  }
  return std::all_of(conditions.begin(), conditions.end(), [](const Condition& c) {
    return c.strict ? c.form.constant_term() < 0 : c.form.constant_term() <= 0;
  });
}

Polyhedron::Polyhedron(std::vector<Condition> conditions) : conditions_(canonical(std::move(conditions))) {}

bool Polyhedron::is_feasible() const { return gamma::is_feasible(conditions_); }

bool Polyhedron::contains(const Point& at) const {
  return std::all_of(conditions_.begin(), conditions_.end(), [&](const Condition& c) { return c.holds_at(at); });
}

Polyhedron Polyhedron::intersected_with(const Polyhedron& other) const {
  std::vector<Condition> both = conditions_;
  both.insert(both.end(), other.conditions_.begin(), other.conditions_.end());
  return Polyhedron(std::move(both));
}

std::optional<Polyhedron> Polyhedron::simplified() const {
  if (!is_feasible()) return std::nullopt;
  std::vector<Condition> kept = conditions_;
  // A condition is implied by the others when the others together with its negation
  // admit no point; constant conditions that hold are implied by nothing at all.
  for (std::size_t i = 0; i < kept.size();) {
    std::vector<Condition> trial;
    for (std::size_t j = 0; j < kept.size(); ++j)
      if (j != i) trial.push_back(kept[j]);
    std::vector<Condition> with_negation = trial;
    with_negation.push_back(kept[i].negated());
    if (!gamma::is_feasible(std::move(with_negation))) kept = std::move(trial);
    else ++i;
  }
  return Polyhedron(std::move(kept));
}

}  // namespace gammalab::gamma
