#include "gamma/region.hpp"

#include <algorithm>

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
