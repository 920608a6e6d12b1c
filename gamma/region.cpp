#include "gamma/region.hpp"

#include <algorithm>
#include <stdexcept>

namespace gammalab::gamma {

Region::Region(std::vector<Polyhedron> pieces) {
  std::vector<Polyhedron> feasible;
  for (const auto& piece : pieces)
    if (auto simple = piece.simplified())
      if (std::find(feasible.begin(), feasible.end(), *simple) == feasible.end()) feasible.push_back(*simple);
  // Drop a piece that another piece covers (P ⊆ Q when P together with the negation
  // of any condition of Q is empty), so the union is printed without repeats.
  auto covers = [](const Polyhedron& outer, const Polyhedron& inner) {
    return std::all_of(outer.conditions().begin(), outer.conditions().end(), [&](const Condition& c) {
      auto outside = inner.conditions();
      outside.push_back(c.negated());
      return !is_feasible(outside);
    });
  };
  for (std::size_t i = 0; i < feasible.size();) {
    bool covered = false;
    for (std::size_t j = 0; j < feasible.size() && !covered; ++j) covered = j != i && covers(feasible[j], feasible[i]);
    if (covered) feasible.erase(feasible.begin() + static_cast<std::ptrdiff_t>(i));
    else ++i;
  }
  pieces_ = std::move(feasible);
}

Region Region::where_bounded(const MaxAffine& g) {
  std::vector<Condition> all;
  for (const auto& form : g.forms()) all.push_back({form, false});
  return Region({Polyhedron(std::move(all))});
}

Region Region::where_vanishing(const MaxAffine& g) {
  std::vector<Condition> all;
  for (const auto& form : g.forms()) all.push_back({form, true});
  return Region({Polyhedron(std::move(all))});
}

Region Region::where_growing(const MaxAffine& g) {
  std::vector<Polyhedron> any;
  for (const auto& form : g.forms()) any.emplace_back(std::vector<Condition>{{-form, true}});
  return Region(std::move(any));
}

Region Region::where_order_one(const MaxAffine& g) {
  std::vector<Polyhedron> any;
  for (const auto& form : g.forms()) any.emplace_back(std::vector<Condition>{{-form, false}});
  return where_bounded(g) & Region(std::move(any));
}

bool Region::contains(const Point& at) const {
  return std::any_of(pieces_.begin(), pieces_.end(), [&](const Polyhedron& p) { return p.contains(at); });
}

bool Region::is_subset_of(const Region& other) const { return (*this & other.complement()).is_empty(); }

Region Region::operator&(const Region& other) const {
  std::vector<Polyhedron> both;
  for (const auto& a : pieces_)
    for (const auto& b : other.pieces_) both.push_back(a.intersected_with(b));
  return Region(std::move(both));
}

Region Region::operator|(const Region& other) const {
  std::vector<Polyhedron> either = pieces_;
  either.insert(either.end(), other.pieces_.begin(), other.pieces_.end());
  return Region(std::move(either));
}

Region Region::complement() const {
  // ¬(P₁ ∪ … ∪ P_k) = ∩_i ¬P_i, and ¬P_i = ∪_{c ∈ P_i} ¬c.
  Region result = everything();
  for (const auto& piece : pieces_) {
    std::vector<Polyhedron> outside;
    for (const auto& condition : piece.conditions()) outside.emplace_back(std::vector<Condition>{condition.negated()});
    result = result & Region(std::move(outside));
  }
  return result;
}

namespace {

struct Interval {
  std::optional<Rational> low, high;  // absent: unbounded
  bool low_closed = false, high_closed = false;
};

// A one-parameter polyhedron: each condition a·x + c (≤ or <) 0 bounds x above
// (a > 0) or below (a < 0) by −c/a.
Interval interval_of(const Polyhedron& piece, const std::string& parameter) {
  Interval interval;
  for (const auto& condition : piece.conditions()) {
    Rational a = condition.form.coefficient(parameter);
    if (a == 0) continue;  // a constant condition that holds (infeasible pieces are gone)
    Rational bound = -condition.form.constant_term() / a;
    bool closed = !condition.strict;
    if (a > 0) {
      if (!interval.high || bound < *interval.high || (bound == *interval.high && !closed)) {
        interval.high = bound;
        interval.high_closed = closed;
      }
    } else if (!interval.low || bound > *interval.low || (bound == *interval.low && !closed)) {
      interval.low = bound;
      interval.low_closed = closed;
    }
  }
  return interval;
}

std::vector<Interval> merged_intervals(const Region& region, const std::string& parameter) {
  std::vector<Interval> intervals;
  for (const auto& piece : region.pieces()) intervals.push_back(interval_of(piece, parameter));
  std::sort(intervals.begin(), intervals.end(), [](const Interval& a, const Interval& b) {
    if (!a.low || !b.low) return !a.low && b.low;
    return *a.low < *b.low || (*a.low == *b.low && a.low_closed && !b.low_closed);
  });
  std::vector<Interval> merged;
  for (const auto& next : intervals) {
    if (!merged.empty()) {
      Interval& last = merged.back();
      bool touches = !last.high || !next.low || *next.low < *last.high ||
                     (*next.low == *last.high && (last.high_closed || next.low_closed));
      if (touches) {
        if (last.high && (!next.high || *next.high > *last.high ||
                          (*next.high == *last.high && next.high_closed))) {
          last.high = next.high;
          last.high_closed = next.high_closed;
        }
        continue;
      }
    }
    merged.push_back(next);
  }
  return merged;
}

}  // namespace

std::string interval_notation(const Region& region, const std::string& parameter) {
  auto intervals = merged_intervals(region, parameter);
  if (intervals.empty()) return "empty";
  std::string text;
  for (const auto& interval : intervals) {
    if (!text.empty()) text += " ∪ ";
    if (interval.low && interval.high && *interval.low == *interval.high) {
      text += "{" + to_string(*interval.low) + "}";
      continue;
    }
    text += interval.low ? (interval.low_closed ? "[" : "(") + to_string(*interval.low) : "(-inf";
    text += ", ";
    text += interval.high ? to_string(*interval.high) + (interval.high_closed ? "]" : ")") : "inf)";
  }
  return text;
}

std::optional<Supremum> supremum(const Region& region, const std::string& parameter) {
  auto intervals = merged_intervals(region, parameter);
  if (intervals.empty() || !intervals.back().high) return std::nullopt;
  return Supremum{*intervals.back().high, intervals.back().high_closed};
}

bool is_unbounded_above(const Region& region, const std::string& parameter) {
  auto intervals = merged_intervals(region, parameter);
  return !intervals.empty() && !intervals.back().high;
}

namespace {

// A condition a·p + b·q + c (≤ or <) 0 of the two parameters p and q, read as a bound of
// p by an affine form in q: −(b·q + c)/a (above if a > 0, below if a < 0); with a = 0,
// the form b·q + c itself, a condition on q alone.
Affine bound_on(const Condition& condition, const std::string& parameter, const std::string& along) {
  const Rational a = condition.form.coefficient(parameter);
  Affine rest = Affine::constant(condition.form.constant_term()) + Affine::parameter(along) * condition.form.coefficient(along);
  return a == 0 ? rest : rest * Rational(-1 / a);
}

// The supremum at one value of `along`: over the pieces feasible there, the largest
// upper bound of `parameter`, with the affine form (in `along`) that gives it.
struct PointSupremum {
  bool feasible = false;
  std::optional<Affine> form;  // absent: unbounded above
  Rational value;
  bool attained = false;
};

PointSupremum supremum_at(const Region& region, const std::string& parameter, const std::string& along,
                          const Rational& at) {
  PointSupremum best;
  for (const auto& piece : region.pieces()) {
    std::vector<Condition> here;
    for (const auto& condition : piece.conditions()) {
      for (const auto& [name, coefficient] : condition.form.coefficients())
        if (name != parameter && name != along)
          throw std::logic_error("supremum_along: the region has a third parameter, " + name);
      Affine substituted = Affine::constant(condition.form.constant_term() + condition.form.coefficient(along) * at) +
                           Affine::parameter(parameter) * condition.form.coefficient(parameter);
      here.push_back({substituted, condition.strict});
    }
    if (!is_feasible(here)) continue;
    if (best.feasible && !best.form) break;  // another piece is unbounded above here already
    // The tightest upper bound over the conditions with a > 0.
    std::optional<Affine> tightest;
    Rational bound;
    bool closed = true;
    for (const auto& condition : piece.conditions()) {
      if (condition.form.coefficient(parameter) <= 0) continue;
      Affine upper = bound_on(condition, parameter, along);
      Rational value = upper.evaluate({{along, at}});
      if (!tightest || value < bound || (value == bound && condition.strict)) {
        tightest = upper;
        closed = !condition.strict;
        bound = value;
      }
    }
    if (!best.feasible || !tightest || bound > best.value || (bound == best.value && closed))
      best = {true, tightest, tightest ? bound : Rational(0), tightest && closed};
  }
  return best;
}

}  // namespace

std::vector<SupremumPiece> supremum_along(const Region& region, const std::string& parameter, const std::string& along) {
  // Where the answer may change: where a condition on `along` alone changes sign, and
  // where two bounds of `parameter` cross (the ends of a piece's range of `along` are
  // among those crossings).
  std::vector<Affine> bounds;
  for (const auto& piece : region.pieces())
    for (const auto& condition : piece.conditions()) bounds.push_back(bound_on(condition, parameter, along));
  std::vector<Rational> breaks;
  auto zero_of = [&](const Affine& form) {
    Rational slope = form.coefficient(along);
    if (slope != 0) breaks.push_back(-form.constant_term() / slope);
  };
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    zero_of(bounds[i]);
    for (std::size_t j = i + 1; j < bounds.size(); ++j) zero_of(bounds[i] - bounds[j]);
  }
  std::sort(breaks.begin(), breaks.end());
  breaks.erase(std::unique(breaks.begin(), breaks.end()), breaks.end());

  // Between two breaks the answer is one form; at a break it is the value of the form on
  // its left or on its right, or a point of its own.
  std::vector<SupremumPiece> pieces;
  auto continues = [&](const SupremumPiece& piece, const Rational& at, const PointSupremum& here) {
    if (!here.feasible || piece.attained != here.attained || piece.value.has_value() != here.form.has_value()) return false;
    return !piece.value || piece.value->evaluate({{along, at}}) == here.value;
  };
  auto interval = [&](const std::optional<Rational>& from, const std::optional<Rational>& to, const PointSupremum& here) {
    if (!here.feasible) return;
    SupremumPiece piece{from, to, false, false, here.form, here.attained};
    if (!pieces.empty() && from && pieces.back().to == from && pieces.back().to_included && pieces.back().value == here.form &&
        pieces.back().attained == here.attained) {
      pieces.back().to = to;  // the same form goes on through the break
      pieces.back().to_included = false;
      return;
    }
    pieces.push_back(piece);
  };
  auto inside = [&](std::size_t i) -> Rational {  // a value of `along` between break i − 1 and break i
    if (i == 0) return breaks.front() - 1;
    if (i == breaks.size()) return breaks.back() + 1;
    return (breaks[i - 1] + breaks[i]) / 2;
  };
  auto bound_at = [&](std::size_t i) { return i < breaks.size() ? std::optional<Rational>(breaks[i]) : std::nullopt; };
  if (breaks.empty()) {
    interval(std::nullopt, std::nullopt, supremum_at(region, parameter, along, 0));
    return pieces;
  }
  interval(std::nullopt, breaks.front(), supremum_at(region, parameter, along, inside(0)));
  for (std::size_t i = 0; i < breaks.size(); ++i) {
    const Rational& at = breaks[i];
    PointSupremum point = supremum_at(region, parameter, along, at);
    PointSupremum next = supremum_at(region, parameter, along, inside(i + 1));
    SupremumPiece right{at, bound_at(i + 1), false, false, next.form, next.attained};
    if (!pieces.empty() && pieces.back().to == at && continues(pieces.back(), at, point)) {
      pieces.back().to_included = true;
    } else if (next.feasible && continues(right, at, point)) {
      right.from_included = true;
    } else if (point.feasible) {
      pieces.push_back({at, at, true, true, point.form, point.attained});
    }
    if (right.from_included) pieces.push_back(right);
    else interval(at, bound_at(i + 1), next);
  }
  return pieces;
}

std::vector<Polygon> polygons(const Region& region, const std::string& x, const std::string& y, const Rational& low,
                              const Rational& high) {
  using Vertex = std::pair<Rational, Rational>;
  std::vector<Polygon> result;
  for (const auto& piece : region.pieces()) {
    std::vector<Vertex> shape = {{low, low}, {high, low}, {high, high}, {low, high}};
    // Sutherland–Hodgman: clip the box by each half-plane a·x + b·y + c ≤ 0 in turn.
    // A nonempty piece's closure is its non-strict system, which is what is drawn.
    for (const auto& condition : piece.conditions()) {
      Rational a = condition.form.coefficient(x), b = condition.form.coefficient(y), c = condition.form.constant_term();
      auto value = [&](const Vertex& v) { return a * v.first + b * v.second + c; };
      std::vector<Vertex> clipped;
      for (std::size_t i = 0; i < shape.size(); ++i) {
        const Vertex& from = shape[i];
        const Vertex& to = shape[(i + 1) % shape.size()];
        Rational f = value(from), t = value(to);
        if (f <= 0) clipped.push_back(from);
        if ((f < 0 && t > 0) || (f > 0 && t < 0)) {
          Rational s = f / (f - t);
          clipped.push_back({from.first + s * (to.first - from.first), from.second + s * (to.second - from.second)});
        }
      }
      shape = std::move(clipped);
      if (shape.empty()) break;
    }
    std::vector<Vertex> distinct;
    for (const auto& v : shape)
      if (std::find(distinct.begin(), distinct.end(), v) == distinct.end()) distinct.push_back(v);
    if (!distinct.empty()) result.push_back({std::move(distinct), piece.conditions()});
  }
  return result;
}

}  // namespace gammalab::gamma
