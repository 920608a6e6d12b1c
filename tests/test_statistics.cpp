// The statistics module: each definition checked on values that another definition
// (nearest rank, an unsorted sample, another random stream) would get wrong.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <cmath>

#include "sim/random.hpp"
#include "sim/statistics.hpp"

using namespace gammalab::sim;

TEST_CASE("the 95% interval interpolates between order statistics") {
  // Sorted 1 … 5: positions 0.025·4 = 0.1 and 0.975·4 = 3.9. Nearest rank would give [1, 4].
  CHECK(quantile({5, 1, 4, 2, 3}, 0.025) == doctest::Approx(1.1));
  CHECK(quantile({5, 1, 4, 2, 3}, 0.975) == doctest::Approx(4.9));
  CHECK(quantile({5, 1, 4, 2, 3}, 0.5) == 3);
  CHECK(quantile({7}, 0.975) == 7);
  auto interval = percentile_interval({5, 1, 4, 2, 3});
  REQUIRE(interval);
  CHECK(interval->low == doctest::Approx(1.1));
  CHECK(interval->high == doctest::Approx(4.9));
  CHECK_FALSE(percentile_interval({0.3}));  // one replicate: no interval
  CHECK_FALSE(percentile_interval({}));
}

TEST_CASE("least squares: the slope of exact data, and of scattered data") {
  std::vector<double> log_n, log_eta;
  for (int width : {128, 256, 512, 1024}) {
    log_n.push_back(std::log(width));
    log_eta.push_back(std::log(0.5) - 0.75 * std::log(width));
  }
  CHECK(least_squares_slope(log_n, log_eta) == doctest::Approx(-0.75).epsilon(1e-12));
  // Σ(x − x̄)(y − ȳ) = 3, Σ(x − x̄)² = 5: 0.6, where the end points alone say 2/3.
  CHECK(least_squares_slope({0, 1, 2, 3}, {0, 1, 1, 2}) == doctest::Approx(0.6));
}

TEST_CASE("the bootstrap over seeds: reproducible, independent per width, the streams of old") {
  const SeedBootstrap a = bootstrap_over_seeds(3, 4, 50, "bootstrap"), b = bootstrap_over_seeds(3, 4, 50, "bootstrap");
  REQUIRE(a.resamples.size() == 50);
  CHECK(a.resamples == b.resamples);
  CHECK(a.everyone == WidthSamples(3, SeedSample{0, 1, 2, 3}));
  CHECK(bootstrap_over_seeds(3, 4, 50, "coordcheck-bootstrap").resamples != a.resamples);
  bool widths_differ = false;
  for (const auto& sample : a.resamples) {
    REQUIRE(sample.size() == 3);
    for (const auto& at_width : sample) {
      REQUIRE(at_width.size() == 4);
      for (auto s : at_width) CHECK(s < 4);
    }
    widths_differ = widths_differ || sample[0] != sample[1];
  }
  CHECK(widths_differ);
  // Drawn as the analysis drew them before the module: resample, width, seed.
  Rng rng(kBootstrapSeed, "bootstrap");
  for (const auto& sample : a.resamples)
    for (const auto& at_width : sample)
      for (auto s : at_width) CHECK(s == rng.below(4));
  CHECK(bootstrap_over_seeds(3, 1, 50, "bootstrap").resamples.empty());  // one seed: nothing to resample
  CHECK(bootstrap_over_seeds(3, 1, 50, "bootstrap").everyone == WidthSamples(3, SeedSample{0}));
}

TEST_CASE("the verdict: inside the interval widened by the one tolerance") {
  const Interval interval{-0.8, -0.7};
  CHECK(verdict_of(-0.75, interval) == Verdict::Agrees);
  CHECK(verdict_of(-0.7, interval) == Verdict::Agrees);
  CHECK(verdict_of(-0.7 + 0.9 * kVerdictTolerance, interval) == Verdict::Agrees);
  CHECK(verdict_of(-0.8 - 0.9 * kVerdictTolerance, interval) == Verdict::Agrees);
  CHECK(verdict_of(-0.7 + 2 * kVerdictTolerance, interval) == Verdict::Departs);
  CHECK(verdict_of(-0.5, interval) == Verdict::Departs);
  CHECK(statistical_verdicts().name(Verdict::Agrees) == "agrees");
  CHECK(statistical_verdicts().name(Verdict::Departs) == "departs");
}
