#include "sim/sweep/optimum.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>

namespace gammalab::sim {

namespace {

// Least squares y ≈ a·u² + b·u + c with u = x − centre (centred for conditioning); the
// vertex −b/(2a) + centre, or nothing when a ≤ 0.
std::optional<double> parabola_vertex(const std::vector<double>& x, const std::vector<double>& y) {
  const std::size_t n = x.size();
  double centre = 0;
  for (double v : x) centre += v;
  centre /= static_cast<double>(n);
  // Normal equations: the moments Σu^k (k = 0 … 4) and Σu^k·y (k = 0 … 2).
  double s[5] = {0, 0, 0, 0, 0}, t[3] = {0, 0, 0};
  for (std::size_t i = 0; i < n; ++i) {
    const double u = x[i] - centre;
    double power = 1;
    for (int k = 0; k < 5; ++k, power *= u) {
      s[k] += power;
      if (k < 3) t[k] += power * y[i];
    }
  }
  // Solve [[s4 s3 s2] [s3 s2 s1] [s2 s1 s0]]·(a, b, c) = (t2, t1, t0) by Cramer's rule.
  auto det3 = [](double a11, double a12, double a13, double a21, double a22, double a23, double a31, double a32, double a33) {
    return a11 * (a22 * a33 - a23 * a32) - a12 * (a21 * a33 - a23 * a31) + a13 * (a21 * a32 - a22 * a31);
  };
  const double d = det3(s[4], s[3], s[2], s[3], s[2], s[1], s[2], s[1], s[0]);
  if (d == 0) return std::nullopt;
  const double a = det3(t[2], s[3], s[2], t[1], s[2], s[1], t[0], s[1], s[0]) / d;
  const double b = det3(s[4], t[2], s[2], s[3], t[1], s[1], s[2], t[0], s[0]) / d;
  if (!(a > 0)) return std::nullopt;
  return centre - b / (2 * a);
}

// The index of the smallest finite value, if any.
std::optional<std::size_t> best_of(const std::vector<double>& values) {
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < values.size(); ++i)
    if (std::isfinite(values[i]) && (!best || values[i] < values[*best])) best = i;
  return best;
}

}  // namespace

double log_loss_of(const RunRow& run, LossStatistic loss) {
  if (run.diverged) return INFINITY;
  switch (loss) {
    case LossStatistic::FinalTrain: return std::log(run.final_train_loss);
    case LossStatistic::FinalTest: return std::log(run.final_test_loss);
    case LossStatistic::LastKTrain: return std::log(run.mean_last_train_loss);
  }
  throw std::logic_error("a loss statistic without a case");
}

std::vector<double> optimum_probes(const std::vector<double>& grid_rates, const std::vector<double>& log_loss, int per_decade) {
  const std::optional<std::size_t> best = best_of(log_loss);
  if (!best || *best == 0 || *best + 1 == grid_rates.size()) return {};
  std::vector<double> probes;
  for (int j = -(kOptimumPoints - 1) / 2; j <= (kOptimumPoints - 1) / 2; ++j)
    if (j != 0) probes.push_back(grid_rates[*best] * std::pow(10.0, static_cast<double>(j) / per_decade));
  return probes;
}

std::optional<OptimumFit> fit_optimum(const std::vector<double>& log_lr, const std::vector<double>& mean_log_loss,
                                      double window) {
  if (log_lr.size() != mean_log_loss.size()) throw std::invalid_argument("fit_optimum: grid and losses differ in length");
  if (!(window >= 0)) throw std::invalid_argument("fit_optimum: the window must be ≥ 0");
  const std::optional<std::size_t> best = best_of(mean_log_loss);
  if (!best) return std::nullopt;
  const std::size_t k = *best, last = log_lr.size() - 1;
  if (k == 0 || k == last) return OptimumFit{log_lr[k], true, false, false, 1};

  auto inside = [&](std::size_t i) {
    return std::isfinite(mean_log_loss[i]) && mean_log_loss[i] <= mean_log_loss[k] + window;
  };
  std::size_t first = k, end = k;  // the run [first, end]
  while (first > 0 && inside(first - 1)) --first;
  while (end < last && inside(end + 1)) ++end;
  // Fewer than kOptimumPoints: widen to the best's finite neighbours, up to
  // (kOptimumPoints − 1)/2 on each side.
  if (end - first + 1 < static_cast<std::size_t>(kOptimumPoints)) {
    constexpr std::size_t kSide = (kOptimumPoints - 1) / 2;
    while (first + kSide > k && first > 0 && std::isfinite(mean_log_loss[first - 1])) --first;
    while (end < k + kSide && end < last && std::isfinite(mean_log_loss[end + 1])) ++end;
  }

  std::vector<double> x(log_lr.begin() + static_cast<std::ptrdiff_t>(first), log_lr.begin() + static_cast<std::ptrdiff_t>(end) + 1);
  std::vector<double> y(mean_log_loss.begin() + static_cast<std::ptrdiff_t>(first),
                        mean_log_loss.begin() + static_cast<std::ptrdiff_t>(end) + 1);
  OptimumFit fit{log_lr[k], false, false, false, static_cast<int>(x.size())};
  const std::optional<double> vertex = x.size() >= 3 ? parabola_vertex(x, y) : std::nullopt;
  if (vertex) {
    fit.log_lr = std::clamp(*vertex, x.front(), x.back());
    fit.clamped = fit.log_lr != *vertex;
  } else {
    fit.flat = true;  // a plateau's middle; with fewer than three finite points, the best one
    if (x.size() >= 3) fit.log_lr = 0.5 * (x.front() + x.back());
  }
  return fit;
}

}  // namespace gammalab::sim
