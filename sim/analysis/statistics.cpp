#include "sim/analysis/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "sim/model/random.hpp"

namespace gammalab::sim {

SeedBootstrap bootstrap_over_seeds(std::size_t widths, std::size_t teachers, std::size_t seeds, int resamples,
                                   std::string_view stream) {
  SeedSample all(teachers * seeds);
  std::iota(all.begin(), all.end(), std::size_t{0});
  SeedBootstrap b{WidthSamples(widths, all), {}};
  if (all.size() < 2) return b;
  Rng rng(kBootstrapSeed, stream);
  std::vector<std::size_t> drawn_teachers(teachers, 0);
  for (int r = 0; r < resamples; ++r) {
    if (teachers > 1)
      for (auto& t : drawn_teachers) t = rng.below(teachers);
    WidthSamples sample(widths);
    for (auto& at_width : sample)
      for (std::size_t t : drawn_teachers)
        for (std::size_t s = 0; s < seeds; ++s) at_width.push_back(replicate_index(t, rng.below(seeds), seeds));
    b.resamples.push_back(std::move(sample));
  }
  return b;
}

double quantile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  const double position = q * static_cast<double>(values.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(position));
  const auto above = std::min(below + 1, values.size() - 1);
  return values[below] + (position - static_cast<double>(below)) * (values[above] - values[below]);
}

std::optional<Interval> percentile_interval(const std::vector<double>& replicates) {
  if (replicates.size() < 2) return std::nullopt;
  return Interval{quantile(replicates, 0.025), quantile(replicates, 0.975)};
}

double least_squares_slope(const std::vector<double>& x, const std::vector<double>& y) {
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < x.size(); ++i) mx += x[i], my += y[i];
  mx /= static_cast<double>(x.size());
  my /= static_cast<double>(y.size());
  double sxy = 0, sxx = 0;
  for (std::size_t i = 0; i < x.size(); ++i) sxy += (x[i] - mx) * (y[i] - my), sxx += (x[i] - mx) * (x[i] - mx);
  return sxy / sxx;
}

Verdict verdict_of(double exact, const Interval& interval) {
  return interval.low - kVerdictTolerance <= exact && exact <= interval.high + kVerdictTolerance ? Verdict::Agrees
                                                                                                 : Verdict::Departs;
}

Verdict verdict_within_margin(double exact, double margin, const Interval& interval) {
  const double low = exact - margin, high = exact + margin;
  if (interval.low >= low - kVerdictTolerance && interval.high <= high + kVerdictTolerance) return Verdict::Agrees;
  if (interval.high < low || interval.low > high) return Verdict::Departs;
  return Verdict::Inconclusive;
}

namespace {

// The regularized incomplete beta function I_x(a, b), by its continued fraction (modified
// Lentz), on the side where the fraction converges fast.
double incomplete_beta(double x, double a, double b) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  if (x > (a + 1) / (a + b + 2)) return 1 - incomplete_beta(1 - x, b, a);
  const double front = std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x)) / a;
  constexpr double tiny = 1e-300;
  double f = 1, c = 1, d = 0;
  for (int i = 0; i <= 400; ++i) {
    const int m = i / 2;
    double numerator;
    if (i == 0) numerator = 1;
    else if (i % 2 == 0) numerator = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
    else numerator = -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
    d = 1 + numerator * d;
    d = 1 / (std::abs(d) < tiny ? tiny : d);
    c = 1 + numerator / (std::abs(c) < tiny ? tiny : c);
    const double step = c * d;
    f *= step;
    if (std::abs(1 - step) < 1e-15) break;
  }
  return front * (f - 1);
}

}  // namespace

double student_t_cdf(double t, double degrees_of_freedom) {
  const double tail = 0.5 * incomplete_beta(degrees_of_freedom / (degrees_of_freedom + t * t), degrees_of_freedom / 2, 0.5);
  return t > 0 ? 1 - tail : tail;
}

double student_t_quantile(double q, double degrees_of_freedom) {
  if (q == 0.5) return 0;
  if (q < 0.5) return -student_t_quantile(1 - q, degrees_of_freedom);
  double low = 0, high = 1;
  while (student_t_cdf(high, degrees_of_freedom) < q) low = high, high *= 2;
  for (int i = 0; i < 200 && high - low > 1e-12 * high; ++i) {
    const double middle = 0.5 * (low + high);
    (student_t_cdf(middle, degrees_of_freedom) < q ? low : high) = middle;
  }
  return 0.5 * (low + high);
}

std::optional<double> calibrated_standard_error(const std::vector<double>& replicates, std::size_t units) {
  if (replicates.size() < 2 || units < 2) return std::nullopt;
  const double mean = std::accumulate(replicates.begin(), replicates.end(), 0.0) / static_cast<double>(replicates.size());
  double squares = 0;
  for (double r : replicates) squares += (r - mean) * (r - mean);
  const double m = static_cast<double>(units);
  return std::sqrt(squares / static_cast<double>(replicates.size() - 1) * m / (m - 1));
}

std::optional<Interval> calibrated_interval(double estimate, const std::vector<double>& replicates, std::size_t units,
                                            double degrees_of_freedom) {
  const auto se = calibrated_standard_error(replicates, units);
  if (!se) return std::nullopt;
  const double half = student_t_quantile(0.975, degrees_of_freedom) * *se;
  return Interval{estimate - half, estimate + half};
}

double satterthwaite_degrees_of_freedom(const std::vector<double>& coefficients, const std::vector<double>& variances,
                                        std::size_t units) {
  const double per_point = static_cast<double>(units) - 1;
  double total = 0, squares = 0;
  for (std::size_t i = 0; i < coefficients.size(); ++i) {
    const double term = coefficients[i] * coefficients[i] * variances[i];
    total += term, squares += term * term;
  }
  return squares > 0 ? total * total / squares * per_point : per_point;
}

double departure_p_value(double estimate, double standard_error, double degrees_of_freedom, double exact, double margin) {
  const double beyond = std::abs(estimate - exact) - margin;
  if (beyond <= 0) return 1;
  if (standard_error <= 0) return 0;
  return std::min(1.0, 2 * (1 - student_t_cdf(beyond / standard_error, degrees_of_freedom)));
}

std::vector<double> holm_adjusted(const std::vector<double>& p_values) {
  std::vector<std::size_t> order(p_values.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return p_values[a] < p_values[b]; });
  std::vector<double> adjusted(p_values.size());
  double running = 0;
  for (std::size_t k = 0; k < order.size(); ++k) {
    running = std::max(running, std::min(1.0, static_cast<double>(order.size() - k) * p_values[order[k]]));
    adjusted[order[k]] = running;
  }
  return adjusted;
}

namespace {

double mean_of(const std::vector<double>& values) {
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

// Least squares of y on the columns 1, u and v (u and v centred): the coefficients of u and v.
std::pair<double, double> two_centred_regressors(const std::vector<double>& u, const std::vector<double>& v,
                                                 const std::vector<double>& y) {
  double suu = 0, svv = 0, suv = 0, suy = 0, svy = 0;
  for (std::size_t i = 0; i < y.size(); ++i)
    suu += u[i] * u[i], svv += v[i] * v[i], suv += u[i] * v[i], suy += u[i] * y[i], svy += v[i] * y[i];
  const double det = suu * svv - suv * suv;
  return {(svv * suy - suv * svy) / det, (suu * svy - suv * suy) / det};
}

// The regressors of the quadratic fit: x − x̄, and (x − x̄)² centred.
std::pair<std::vector<double>, std::vector<double>> quadratic_regressors(const std::vector<double>& x) {
  const double mx = mean_of(x);
  std::vector<double> u, v;
  for (double xi : x) u.push_back(xi - mx), v.push_back((xi - mx) * (xi - mx));
  const double mv = mean_of(v);
  for (double& vi : v) vi -= mv;
  return {u, v};
}

// The weights of one coefficient of a linear least-squares fit, found by fitting unit vectors.
template <class Coefficient>
std::vector<double> weights_of(std::size_t points, const Coefficient& coefficient) {
  std::vector<double> weights;
  for (std::size_t i = 0; i < points; ++i) {
    std::vector<double> unit(points, 0.0);
    unit[i] = 1;
    weights.push_back(coefficient(unit));
  }
  return weights;
}

}  // namespace

QuadraticFit least_squares_quadratic(const std::vector<double>& x, const std::vector<double>& y) {
  const auto [u, v] = quadratic_regressors(x);
  const auto [slope, curvature] = two_centred_regressors(u, v, y);
  const double mx = mean_of(x);
  double mv = 0;
  for (double xi : x) mv += (xi - mx) * (xi - mx);
  mv /= static_cast<double>(x.size());
  return {mean_of(y) - curvature * mv, slope, curvature};
}

std::vector<double> slope_weights(const std::vector<double>& x) {
  return weights_of(x.size(), [&](const std::vector<double>& y) { return least_squares_slope(x, y); });
}
std::vector<double> curvature_weights(const std::vector<double>& x) {
  return weights_of(x.size(), [&](const std::vector<double>& y) { return least_squares_quadratic(x, y).curvature; });
}

CorrectedPowerLaw fit_corrected_power_law(const std::vector<double>& x, const std::vector<double>& y, double delta) {
  const double x0 = *std::min_element(x.begin(), x.end()), mx = mean_of(x);
  std::vector<double> fading(x.size()), rest(x.size());
  double sxx = 0;
  for (std::size_t i = 0; i < x.size(); ++i) fading[i] = std::exp(-delta * (x[i] - x0)), sxx += (x[i] - mx) * (x[i] - mx);
  // The fit at one correction: the correction's log subtracted, a straight line through the rest.
  auto at = [&](double log_one_plus_correction) {
    const double correction = std::expm1(log_one_plus_correction);
    double mean_rest = 0, sxy = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
      rest[i] = y[i] - std::log1p(correction * fading[i]);
      mean_rest += rest[i], sxy += (x[i] - mx) * rest[i];
    }
    mean_rest /= static_cast<double>(y.size());
    const double gamma = sxy / sxx;
    double rss = 0;
    for (std::size_t i = 0; i < y.size(); ++i) rss += std::pow(rest[i] - mean_rest - gamma * (x[i] - mx), 2);
    return CorrectedPowerLaw{gamma, mean_rest - gamma * mx, correction, delta, rss};
  };
  // log(1 + c) over [log 0.1, log 10]: a grid, then golden sections around its best point.
  const double lowest = std::log(0.1), highest = std::log(10.0);
  constexpr int kGrid = 24;
  const double step = (highest - lowest) / kGrid;
  CorrectedPowerLaw best = at(lowest);
  double best_s = lowest;
  for (int k = 1; k <= kGrid; ++k)
    if (auto f = at(lowest + k * step); f.residual_sum_of_squares < best.residual_sum_of_squares) best = f, best_s = lowest + k * step;
  double a = std::max(lowest, best_s - step), b = std::min(highest, best_s + step);
  const double ratio = (std::sqrt(5.0) - 1) / 2;
  double c = b - ratio * (b - a), d = a + ratio * (b - a);
  double fc = at(c).residual_sum_of_squares, fd = at(d).residual_sum_of_squares;
  for (int i = 0; i < 24; ++i) {
    if (fc < fd) b = d, d = c, fd = fc, c = b - ratio * (b - a), fc = at(c).residual_sum_of_squares;
    else a = c, c = d, fc = fd, d = a + ratio * (b - a), fd = at(d).residual_sum_of_squares;
  }
  if (auto f = at(0.5 * (a + b)); f.residual_sum_of_squares < best.residual_sum_of_squares) best = f;
  return best;
}

CorrectedPowerLaw fit_corrected_power_law(const std::vector<double>& x, const std::vector<double>& y) {
  std::optional<CorrectedPowerLaw> best;
  for (double delta : kCorrectionExponents)
    if (auto f = fit_corrected_power_law(x, y, delta); !best || f.residual_sum_of_squares < best->residual_sum_of_squares) best = f;
  return *best;
}

double akaike(double residual_sum_of_squares, std::size_t points, int parameters) {
  const double n = static_cast<double>(points);
  return n * std::log(std::max(residual_sum_of_squares, 1e-300) / n) + 2 * parameters;
}

const gamma::Vocabulary<Verdict>& statistical_verdicts() {
  static const gamma::Vocabulary<Verdict> vocabulary(
      "verdict", {{Verdict::Agrees, "agrees", "agrees", {}},
                  {Verdict::Departs, "departs", "departs", {}},
                  {Verdict::Inconclusive, "inconclusive", "inconclusive", {}},
                  {Verdict::Undetermined, "undetermined", "undetermined", {}}});
  return vocabulary;
}

const gamma::Vocabulary<TrendVerdict>& trend_verdicts() {
  static const gamma::Vocabulary<TrendVerdict> vocabulary(
      "trend", {{TrendVerdict::Converging, "converging", "converging", {}},
                {TrendVerdict::Steady, "steady", "steady", {}},
                {TrendVerdict::MovingAway, "moving away", "moving away", {"moving_away"}},
                {TrendVerdict::Curved, "curved", "curved", {}},
                {TrendVerdict::Inconclusive, "inconclusive", "inconclusive", {}},
                {TrendVerdict::Undetermined, "undetermined", "undetermined", {}}});
  return vocabulary;
}

}  // namespace gammalab::sim
