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

TEST_CASE("the bootstrap over seeds, one teacher: reproducible, independent per width, the streams of old") {
  const SeedBootstrap a = bootstrap_over_seeds(3, 1, 4, 50, "bootstrap"), b = bootstrap_over_seeds(3, 1, 4, 50, "bootstrap");
  REQUIRE(a.resamples.size() == 50);
  CHECK(a.resamples == b.resamples);
  CHECK(a.everyone == WidthSamples(3, SeedSample{0, 1, 2, 3}));
  CHECK(bootstrap_over_seeds(3, 1, 4, 50, "coordcheck-bootstrap").resamples != a.resamples);
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
  CHECK(bootstrap_over_seeds(3, 1, 1, 50, "bootstrap").resamples.empty());  // one seed: nothing to resample
  CHECK(bootstrap_over_seeds(3, 1, 1, 50, "bootstrap").everyone == WidthSamples(3, SeedSample{0}));
}

TEST_CASE("the bootstrap over teachers and seeds: one draw of teachers shared by every width, seeds within each") {
  constexpr std::size_t kWidths = 4, kTeachers = 3, kSeeds = 2;
  const SeedBootstrap a = bootstrap_over_seeds(kWidths, kTeachers, kSeeds, 200, "bootstrap");
  CHECK(a.resamples == bootstrap_over_seeds(kWidths, kTeachers, kSeeds, 200, "bootstrap").resamples);
  CHECK(a.everyone == WidthSamples(kWidths, SeedSample{0, 1, 2, 3, 4, 5}));
  CHECK(replicate_index(2, 1, kSeeds) == 5);
  REQUIRE(a.resamples.size() == 200);
  // The stream replayed: the resample's K teachers, then at each width each drawn
  // teacher's seeds. A draw per width of the teachers, or one teacher's seeds shared
  // across widths, would read other numbers from it.
  Rng rng(kBootstrapSeed, "bootstrap");
  bool a_teacher_repeats = false, seeds_differ_across_widths = false;
  for (const WidthSamples& sample : a.resamples) {
    std::vector<std::size_t> teachers(kTeachers);
    for (auto& t : teachers) t = rng.below(kTeachers);
    a_teacher_repeats = a_teacher_repeats || teachers[0] == teachers[1] || teachers[1] == teachers[2] || teachers[0] == teachers[2];
    REQUIRE(sample.size() == kWidths);
    for (const SeedSample& at_width : sample) {
      REQUIRE(at_width.size() == kTeachers * kSeeds);
      for (std::size_t k = 0; k < kTeachers; ++k)
        for (std::size_t s = 0; s < kSeeds; ++s) {
          const std::size_t replicate = at_width[k * kSeeds + s];
          CHECK(replicate / kSeeds == teachers[k]);  // the same drawn teachers at every width
          CHECK(replicate == replicate_index(teachers[k], rng.below(kSeeds), kSeeds));
        }
    }
    seeds_differ_across_widths = seeds_differ_across_widths || sample[0] != sample[1];
  }
  CHECK(a_teacher_repeats);           // teachers are drawn with replacement
  CHECK(seeds_differ_across_widths);  // seeds are drawn at each width on its own
  // Several teachers of one seed each: the teachers alone are resampled.
  const SeedBootstrap teachers_only = bootstrap_over_seeds(2, 3, 1, 20, "bootstrap");
  REQUIRE(teachers_only.resamples.size() == 20);
  for (const auto& sample : teachers_only.resamples) CHECK(sample[0] == sample[1]);
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
