#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "sim/sweep/optimum.hpp"

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
  // The window decides how many points are fitted, never fewer than five (the best and
  // two on each side): 5 at 0 and at 0.4 (y ≤ −1 + 0.4 within |v − truth| ≤ 0.365, the
  // grid points −2.625 … −2.125); at 1, within 0.577: the nine points −2.875 … −1.875.
  CHECK(fit_optimum(x, y, 0)->points == kOptimumPoints);
  CHECK(fit_optimum(x, y, 0.4)->points == 5);
  CHECK(fit_optimum(x, y, 1)->points == 9);
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

TEST_CASE("noisy losses: a wider window averages the noise that moves the five-point vertex") {
  const auto x = grid();
  const double truth = -2.2;
  std::mt19937_64 random(7);
  std::normal_distribution<double> noise(0, 0.01);
  double squared_error_five = 0, squared_error_window = 0;
  const int trials = 200;
  for (int trial = 0; trial < trials; ++trial) {
    auto y = sampled(x, [&](double v) { return 0.5 * (v - truth) * (v - truth); });
    for (double& v : y) v += noise(random);
    const double five = fit_optimum(x, y, 0)->log_lr, wide = fit_optimum(x, y, 0.1)->log_lr;
    squared_error_five += (five - truth) * (five - truth);
    squared_error_window += (wide - truth) * (wide - truth);
  }
  const double rms_five = std::sqrt(squared_error_five / trials), rms_window = std::sqrt(squared_error_window / trials);
  MESSAGE("rms error of the vertex: five points " << rms_five << ", window 0.1 " << rms_window);
  CHECK(rms_window < 0.5 * rms_five);
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
  for (double window : {0.1, 0.0}) {  // −2.25, −2.125, −2 (two on the left, none finite on the right): the vertex −2
    CAPTURE(window);
    fit = fit_optimum(x, diverged_right, window);
    REQUIRE(fit);
    CHECK(fit->points == 3);
    CHECK_FALSE(fit->flat);
    CHECK_FALSE(fit->clamped);
    CHECK(fit->log_lr == doctest::Approx(-2.0));
  }
  // A minimum at −1.8, where the runs diverged: the parabola through −2.25 … −2 puts its
  // vertex at −1.8, beyond the points fitted; the estimate is their end, flagged.
  auto beyond = sampled(x, [](double v) { return v > -1.99 ? INFINITY : (v + 1.8) * (v + 1.8); });
  fit = fit_optimum(x, beyond, 0.1);
  REQUIRE(fit);
  CHECK(fit->clamped);
  CHECK(fit->log_lr == -2.0);
  // Only −2.125 and −2 finite around the best: no parabola, the best point, flagged flat.
  auto two = diverged_right;
  two[static_cast<std::size_t>(std::find(x.begin(), x.end(), -2.25) - x.begin())] = INFINITY;
  fit = fit_optimum(x, two, 0);
  REQUIRE(fit);
  CHECK(fit->points == 2);
  CHECK(fit->flat);
  CHECK(fit->log_lr == -2.0);

  CHECK_FALSE(fit_optimum(x, std::vector<double>(x.size(), INFINITY), 0.1));
}

TEST_CASE("the rates refinement adds around an optimum: the best grid rate's neighbours at the spec's spacing") {
  const std::vector<double> rates = {1e-4, std::sqrt(1e-7), 1e-3, std::sqrt(1e-5), 1e-2};  // 2 per decade
  const std::vector<double> loss = {3, 2, 1.5, 1.7, INFINITY};                             // best at 1e-3
  const std::vector<double> probes = optimum_probes(rates, loss, 6);
  REQUIRE(probes.size() == 4);
  const double expected[] = {-2.0 / 6, -1.0 / 6, 1.0 / 6, 2.0 / 6};
  for (std::size_t j = 0; j < 4; ++j) CHECK(std::log10(probes[j]) == doctest::Approx(-3 + expected[j]).epsilon(1e-12));
  // Where the best is the grid's first or last rate, or nothing is finite: none.
  CHECK(optimum_probes(rates, {1, 2, 3, 4, 5}, 6).empty());
  CHECK(optimum_probes(rates, {5, 4, 3, 2, 1}, 6).empty());
  CHECK(optimum_probes(rates, std::vector<double>(5, INFINITY), 6).empty());
}
