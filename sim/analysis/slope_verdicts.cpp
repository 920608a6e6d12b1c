#include "sim/analysis/slope_verdicts.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

namespace gammalab::sim {

namespace {

// A statistic of the estimates at some points (a slope, a curvature, a difference of
// slopes): its value from every unit, its replicates from the resamples that have an
// estimate at each of those points, and the degrees of freedom and interval they give.
struct Measured {
  std::optional<double> value;
  std::vector<double> replicates;
  double degrees_of_freedom = 0;
  std::optional<Interval> interval;
  std::optional<double> standard_error;
};

using Statistic = std::function<double(const std::vector<double>& x, const std::vector<double>& y)>;

class Points {
 public:
  explicit Points(const AxisEstimates& p) : p_(p) {
    for (int v : p.values) log_values_.push_back(std::log(static_cast<double>(v)));
    // Each point's bootstrap variance, for the degrees of freedom of a combination of points.
    for (std::size_t i = 0; i < p.values.size(); ++i) {
      std::vector<double> at_point;
      for (const auto& resample : p.replicates)
        if (resample[i]) at_point.push_back(*resample[i]);
      double mean = 0, squares = 0;
      for (double r : at_point) mean += r;
      mean /= std::max<std::size_t>(at_point.size(), 1);
      for (double r : at_point) squares += (r - mean) * (r - mean);
      variances_.push_back(at_point.size() > 1 ? squares / static_cast<double>(at_point.size() - 1) : 0);
    }
  }

  std::size_t size() const { return p_.values.size(); }
  int value(std::size_t i) const { return p_.values[i]; }
  std::vector<double> x(const std::vector<std::size_t>& at) const { return pick(log_values_, at); }
  std::vector<double> y(const std::vector<std::size_t>& at) const { return pick(p_.estimates, at); }

  // `statistic` over the points `at`; `weights` (none: a nonlinear statistic) are its
  // coefficients on their estimates, for the degrees of freedom; `degrees_of_freedom`
  // given instead takes those of another statistic.
  Measured measure(const std::vector<std::size_t>& at, const Statistic& statistic, const std::vector<double>& weights,
                   std::optional<double> degrees_of_freedom = std::nullopt) const {
    Measured m;
    const std::vector<double> x = this->x(at);
    m.value = statistic(x, y(at));
    for (const auto& resample : p_.replicates) {
      std::vector<double> y;
      for (std::size_t i : at)
        if (resample[i]) y.push_back(*resample[i]);
      if (y.size() == at.size()) m.replicates.push_back(statistic(x, y));
    }
    m.degrees_of_freedom = degrees_of_freedom ? *degrees_of_freedom
                           : p_.independent_points ? satterthwaite_degrees_of_freedom(weights, pick(variances_, at), p_.units)
                                                   : static_cast<double>(p_.units) - 1;
    m.interval = calibrated_interval(*m.value, m.replicates, p_.units, m.degrees_of_freedom);
    m.standard_error = calibrated_standard_error(m.replicates, p_.units);
    return m;
  }

  Measured slope(const std::vector<std::size_t>& at) const {
    return measure(at, least_squares_slope, slope_weights(x(at)));
  }

 private:
  static std::vector<double> pick(const std::vector<double>& all, const std::vector<std::size_t>& at) {
    std::vector<double> some;
    for (std::size_t i : at) some.push_back(all[i]);
    return some;
  }
  const AxisEstimates& p_;
  std::vector<double> log_values_, variances_;
};

std::vector<std::size_t> range_of(std::size_t from, std::size_t to) {
  std::vector<std::size_t> r;
  for (std::size_t i = from; i < to; ++i) r.push_back(i);
  return r;
}

Verdict verdict_against(const std::optional<gamma::Rational>& exponent, const std::optional<Interval>& interval, double margin) {
  if (!exponent || !interval) return Verdict::Undetermined;
  return verdict_within_margin(static_cast<double>(*exponent), margin, *interval);
}

std::string measured_text(const Measured& m) {
  char text[96];
  if (!m.value) return "none";
  if (!m.interval) std::snprintf(text, sizeof text, "%+.2f (no interval)", *m.value);
  else std::snprintf(text, sizeof text, "%+.2f [%+.2f, %+.2f]", *m.value, m.interval->low, m.interval->high);
  return text;
}

bool excludes_zero(const std::optional<Interval>& i) { return i && (i->low > 0 || i->high < 0); }

// The trend (slope_verdicts.hpp says the rule) from the halves of the points.
Trend trend_of(const Points& points, const std::optional<gamma::Rational>& engine, std::optional<double> slope, double margin,
               const std::string& axis) {
  Trend t;
  for (std::size_t i = 0; i + 1 < points.size(); ++i) {
    const Measured local = points.slope({i, i + 1});
    t.local.push_back({points.value(i), points.value(i + 1), local.value, local.interval});
  }
  const std::size_t half = points.size() / 2;
  if (half < 2) {
    t.evidence = "fewer than four " + axis + "s: no trend with " + axis + " can be read";
    return t;
  }
  const auto small = range_of(0, half), large = range_of(points.size() - half, points.size());
  for (std::size_t i : large) t.large_points.push_back(points.value(i));
  const Measured small_slope = points.slope(small), large_slope = points.slope(large);
  t.small_slope = small_slope.value, t.small_interval = small_slope.interval;
  t.large_slope = large_slope.value, t.large_interval = large_slope.interval;

  // The change between the halves, a linear statistic of the estimates at both.
  const auto every = range_of(0, points.size());
  const std::vector<double> x = points.x(every);
  const std::vector<double> small_weights = slope_weights(points.x(small)), large_weights = slope_weights(points.x(large));
  std::vector<double> change_weights(points.size(), 0.0);
  for (std::size_t k = 0; k < half; ++k) change_weights[small[k]] -= small_weights[k], change_weights[large[k]] += large_weights[k];
  auto change_of = [&](const std::vector<double>& xs, const std::vector<double>& y) {
    const std::vector<double> ys(y.begin(), y.begin() + static_cast<std::ptrdiff_t>(half)), yl(y.end() - static_cast<std::ptrdiff_t>(half), y.end());
    const std::vector<double> xs_small(xs.begin(), xs.begin() + static_cast<std::ptrdiff_t>(half)),
        xs_large(xs.end() - static_cast<std::ptrdiff_t>(half), xs.end());
    return least_squares_slope(xs_large, yl) - least_squares_slope(xs_small, ys);
  };
  const Measured change = points.measure(every, change_of, change_weights);
  const Measured curvature = points.measure(
      every, [](const std::vector<double>& xs, const std::vector<double>& y) { return least_squares_quadratic(xs, y).curvature; },
      curvature_weights(x));
  t.change = change.value, t.change_interval = change.interval;
  t.curvature = curvature.value, t.curvature_interval = curvature.interval;

  t.evidence = axis + "s " + std::to_string(points.value(small.front())) + "–" + std::to_string(points.value(small.back())) + ": " +
               measured_text(small_slope) + "; " + axis + "s " + std::to_string(points.value(large.front())) + "–" +
               std::to_string(points.value(large.back())) + ": " + measured_text(large_slope) + "; change " + measured_text(change) +
               "; curvature " + measured_text(curvature);
  if (!change.interval || !curvature.interval) {
    t.verdict = TrendVerdict::Inconclusive;
    return t;
  }
  if (engine && slope && excludes_zero(change.interval)) {
    const double e = static_cast<double>(*engine);
    const double towards = e - *slope;  // the direction in which the slope would have to move
    const bool moves_towards = towards * *change.value > 0;
    const bool overshoots = t.large_interval && (towards > 0 ? t.large_interval->low > e : t.large_interval->high < e);
    t.verdict = moves_towards && !overshoots ? TrendVerdict::Converging : TrendVerdict::MovingAway;
  } else if (excludes_zero(curvature.interval) || excludes_zero(change.interval)) {
    t.verdict = TrendVerdict::Curved;
  } else if (change.interval->low >= -margin && change.interval->high <= margin) {
    t.verdict = TrendVerdict::Steady;
  } else {
    t.verdict = TrendVerdict::Inconclusive;
  }
  return t;
}

// The residual sum of squares of the plain line y = a + b·x.
double line_residuals(const std::vector<double>& x, const std::vector<double>& y) {
  const double b = least_squares_slope(x, y);
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < y.size(); ++i) mx += x[i], my += y[i];
  mx /= static_cast<double>(y.size()), my /= static_cast<double>(y.size());
  double rss = 0;
  for (std::size_t i = 0; i < y.size(); ++i) rss += std::pow(y[i] - my - b * (x[i] - mx), 2);
  return rss;
}

// γ∞ (slope_verdicts.hpp) beside the plain slope, whose degrees of freedom it borrows: the
// fit from every unit chooses δ, and the replicates keep it.
std::optional<InfiniteWidth> infinite_width_of(const Points& points, const std::optional<gamma::Rational>& engine, double margin,
                                               double degrees_of_freedom) {
  if (points.size() < 5) return std::nullopt;
  const auto every = range_of(0, points.size());
  const std::vector<double> x = points.x(every), y = points.y(every);
  const CorrectedPowerLaw best = fit_corrected_power_law(x, y);
  const Measured gamma = points.measure(
      every, [&](const std::vector<double>& xs, const std::vector<double>& ys) { return fit_corrected_power_law(xs, ys, best.delta).gamma_infinity; },
      {}, degrees_of_freedom);
  InfiniteWidth w;
  w.gamma = best.gamma_infinity;
  w.interval = gamma.interval;
  w.delta = best.delta;
  w.correction = best.correction;
  w.aic_power_law = akaike(line_residuals(x, y), points.size(), 2);
  w.aic_corrected = akaike(best.residual_sum_of_squares, points.size(), 4);
  w.verdict = verdict_against(engine, w.interval, margin);
  return w;
}

}  // namespace

std::optional<ExactExponent> exact_exponent(const std::optional<gamma::Rational>& q) {
  if (!q) return std::nullopt;
  return ExactExponent{gamma::to_string(*q), static_cast<double>(*q)};
}

SlopeSummary summarise_slope(const AxisEstimates& estimates, const SlopeTarget& target, const VerdictRules& rules,
                             const std::string& axis) {
  SlopeSummary s;
  s.points_used = estimates.values;
  s.bound = target.bound;
  s.engine = exact_exponent(target.engine);
  s.margin = rules.margin;
  if (estimates.values.size() < 2) return s;
  const Points points(estimates);
  const Measured slope = points.slope(range_of(0, points.size()));
  s.slope = slope.value;
  s.interval = slope.interval;
  s.resamples_used = slope.replicates.size();
  s.standard_error = slope.standard_error;
  s.degrees_of_freedom = slope.degrees_of_freedom;
  s.verdict_network = verdict_against(target.engine, s.interval, rules.margin);
  s.verdict_module = verdict_against(target.module, s.interval, rules.margin);
  if (target.engine && s.standard_error)
    s.departure_p = departure_p_value(*s.slope, *s.standard_error, s.degrees_of_freedom, static_cast<double>(*target.engine), rules.margin);
  for (const gamma::Rational& c : rules.candidates)
    if (!target.engine || c != *target.engine)
      s.candidates.push_back({*exact_exponent(c), s.interval && (static_cast<double>(c) < s.interval->low || static_cast<double>(c) > s.interval->high)});
  s.trend = trend_of(points, target.engine, s.slope, rules.margin, axis);
  s.infinite_width = infinite_width_of(points, target.engine, rules.margin, s.degrees_of_freedom);
  return s;
}

Multiplicity apply_multiplicity(const std::vector<SlopeSummary*>& slopes, const std::vector<SlopeSummary*>& primary) {
  Multiplicity m;
  for (const SlopeSummary* s : slopes)
    if (s->verdict_network != Verdict::Undetermined) ++m.slopes, m.departures += s->verdict_network == Verdict::Departs;
  m.expected_by_chance = 0.025 * static_cast<double>(m.slopes);
  std::vector<SlopeSummary*> tested;
  std::vector<double> p;
  for (SlopeSummary* s : primary) {
    s->primary = true;
    if (!s->departure_p) continue;
    tested.push_back(s);
    p.push_back(*s->departure_p);
    m.primary_departures += s->verdict_network == Verdict::Departs;
  }
  m.primary = tested.size();
  const std::vector<double> adjusted = holm_adjusted(p);
  for (std::size_t i = 0; i < tested.size(); ++i) {
    tested[i]->holm_p = adjusted[i];
    m.primary_departures_holm += adjusted[i] < 0.05;
  }
  return m;
}

}  // namespace gammalab::sim
