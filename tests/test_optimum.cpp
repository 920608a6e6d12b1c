#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "sim/optimum.hpp"

using namespace gammalab::sim;

namespace {

// log10 η from 1e-4 to 1e-1 at 8 points per decade, as the quick specs' grids.
std::vector<double> grid() {
  std::vector<double> x;
  for (int k = -32; k <= -8; ++k) x.push_back(k / 8.0);
  return x;
}

template <class F>
std::vector<double> sampled(const std::vector<double>& x, F f) {
  std::vector<double> y;
  for (double v : x) y.push_back(f(v));
  return y;
}

}  // namespace

TEST_CASE("an exact parabola: its vertex between grid points, found for every window") {
  const auto x = grid();
  const double truth = -2.37;  // between −2.375 and −2.25
  const auto y = sampled(x, [&](double v) { return 3 * (v - truth) * (v - truth) - 1; });
  for (double window : {0.0, 0.05, 0.1, 0.2, 0.4, 1.0}) {
    CAPTURE(window);
    auto fit = fit_optimum(x, y, window);
    REQUIRE(fit);
    CHECK(fit->log_lr == doctest::Approx(truth).epsilon(1e-9));
    CHECK_FALSE(fit->at_grid_edge);
    CHECK_FALSE(fit->flat);
  }
  // The window decides how many points are fitted: 3 at 0; y ≤ −1 + 0.4 within
  // |v − truth| ≤ 0.365, the five grid points −2.625 … −2.125.
  CHECK(fit_optimum(x, y, 0)->points == 3);
  CHECK(fit_optimum(x, y, 0.4)->points == 5);
}

TEST_CASE("a flat optimum: the middle of the plateau, flagged, not its first point") {
  const auto x = grid();
  const auto y = sampled(x, [](double v) { return std::abs(v + 2) <= 0.5 ? 0.0 : 1.0 + std::abs(v + 2); });
  auto fit = fit_optimum(x, y, 0.05);
  REQUIRE(fit);
  CHECK(fit->flat);
  CHECK(fit->log_lr == doctest::Approx(-2.0));
  CHECK(fit->points == 9);  // −2.5 … −1.5
}

TEST_CASE("a skewed optimum (steep on the large-η side): the vertex stays within a grid step") {
  const auto x = grid();
  const double truth = -1.9;
  const auto y = sampled(x, [&](double v) { return v < truth ? (v - truth) * (v - truth) : 6 * (v - truth) * (v - truth); });
  for (double window : {0.0, 0.1, 0.3}) {
    CAPTURE(window);
    auto fit = fit_optimum(x, y, window);
    REQUIRE(fit);
    CHECK(std::abs(fit->log_lr - truth) < 0.125);
  }
}

TEST_CASE("noisy losses: a wider window averages the noise that moves the three-point vertex") {
  const auto x = grid();
  const double truth = -2.2;
  std::mt19937_64 random(7);
  std::normal_distribution<double> noise(0, 0.01);
  double squared_error_three = 0, squared_error_window = 0;
  const int trials = 200;
  for (int trial = 0; trial < trials; ++trial) {
    auto y = sampled(x, [&](double v) { return 0.5 * (v - truth) * (v - truth); });
    for (double& v : y) v += noise(random);
    const double three = fit_optimum(x, y, 0)->log_lr, wide = fit_optimum(x, y, 0.1)->log_lr;
    squared_error_three += (three - truth) * (three - truth);
    squared_error_window += (wide - truth) * (wide - truth);
  }
  const double rms_three = std::sqrt(squared_error_three / trials), rms_window = std::sqrt(squared_error_window / trials);
  MESSAGE("rms error of the vertex: three points " << rms_three << ", window 0.1 " << rms_window);
  CHECK(rms_window < 0.5 * rms_three);
  CHECK(rms_window < 0.05);
}

TEST_CASE("a minimum at the grid's edge is that edge, flagged; diverged points are never fitted") {
  const auto x = grid();
  auto falling = sampled(x, [](double v) { return -v; });
  auto fit = fit_optimum(x, falling, 0.1);
  REQUIRE(fit);
  CHECK(fit->at_grid_edge);
  CHECK(fit->log_lr == x.back());

  auto diverged_right = sampled(x, [](double v) { return (v + 2) * (v + 2); });
  for (std::size_t i = 0; i < x.size(); ++i)
    if (x[i] > -1.99) diverged_right[i] = INFINITY;  // the grid point right of the best diverged
  fit = fit_optimum(x, diverged_right, 0.1);  // −2.25, −2.125, −2: the vertex −2, at the run's end
  REQUIRE(fit);
  CHECK(fit->points == 3);
  CHECK_FALSE(fit->flat);
  CHECK(fit->log_lr == doctest::Approx(-2.0));
  fit = fit_optimum(x, diverged_right, 0);  // only −2.125 and −2 are finite around the best: no parabola
  REQUIRE(fit);
  CHECK(fit->points == 2);
  CHECK(fit->flat);
  CHECK(fit->log_lr == -2.0);

  CHECK_FALSE(fit_optimum(x, std::vector<double>(x.size(), INFINITY), 0.1));
}
