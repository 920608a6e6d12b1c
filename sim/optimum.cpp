#include "sim/optimum.hpp"

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

}  // namespace

std::optional<OptimumFit> fit_optimum(const std::vector<double>& log_lr, const std::vector<double>& mean_log_loss,
                                      double window) {
  if (log_lr.size() != mean_log_loss.size()) throw std::invalid_argument("fit_optimum: grid and losses differ in length");
  if (!(window >= 0)) throw std::invalid_argument("fit_optimum: the window must be ≥ 0");
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < mean_log_loss.size(); ++i)
    if (std::isfinite(mean_log_loss[i]) && (!best || mean_log_loss[i] < mean_log_loss[*best])) best = i;
  if (!best) return std::nullopt;
  const std::size_t k = *best, last = log_lr.size() - 1;
  if (k == 0 || k == last) return OptimumFit{log_lr[k], true, false, 1};

  auto inside = [&](std::size_t i) {
    return std::isfinite(mean_log_loss[i]) && mean_log_loss[i] <= mean_log_loss[k] + window;
  };
  std::size_t first = k, end = k;  // the run [first, end]
  while (first > 0 && inside(first - 1)) --first;
  while (end < last && inside(end + 1)) ++end;
  if (end - first < 2) {  // fewer than three points: the best and its finite neighbours
    if (std::isfinite(mean_log_loss[k - 1])) first = std::min(first, k - 1);
    if (std::isfinite(mean_log_loss[k + 1])) end = std::max(end, k + 1);
  }

  std::vector<double> x(log_lr.begin() + static_cast<std::ptrdiff_t>(first), log_lr.begin() + static_cast<std::ptrdiff_t>(end) + 1);
  std::vector<double> y(mean_log_loss.begin() + static_cast<std::ptrdiff_t>(first),
                        mean_log_loss.begin() + static_cast<std::ptrdiff_t>(end) + 1);
  OptimumFit fit{log_lr[k], false, false, static_cast<int>(x.size())};
  const std::optional<double> vertex = x.size() >= 3 ? parabola_vertex(x, y) : std::nullopt;
  if (vertex) {
    fit.log_lr = std::clamp(*vertex, x.front(), x.back());
  } else {
    fit.flat = true;  // a plateau's middle; with fewer than three finite points, the best one
    if (x.size() >= 3) fit.log_lr = 0.5 * (x.front() + x.back());
  }
  return fit;
}

}  // namespace gammalab::sim
