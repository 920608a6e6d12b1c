// The statistics module: each definition checked on values that another definition
// (nearest rank, an unsorted sample, another random stream) would get wrong.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <cmath>

#include "sim/model/random.hpp"
#include "sim/analysis/statistics.hpp"

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

TEST_CASE("the verdict with a margin: agrees inside the band, departs wholly outside, inconclusive between") {
  // The engine's −1/2 with δ = 1/8: the band [−0.625, −0.375].
  CHECK(verdict_within_margin(-0.5, 0.125, {-0.6, -0.4}) == Verdict::Agrees);
  CHECK(verdict_within_margin(-0.5, 0.125, {-0.63, -0.45}) == Verdict::Inconclusive);  // wider than the band on one side
  CHECK(verdict_within_margin(-0.5, 0.125, {-0.63, -0.02}) == Verdict::Inconclusive);  // holds −1/2 and 0 alike
  CHECK(verdict_within_margin(-0.5, 0.125, {-0.38, -0.17}) == Verdict::Inconclusive);  // touches the band
  CHECK(verdict_within_margin(-0.5, 0.125, {-0.36, -0.17}) == Verdict::Departs);
  CHECK(verdict_within_margin(-0.5, 0.125, {-0.49, -0.46}) == Verdict::Agrees);  // a tiny miss of −1/2 inside the margin
  CHECK(verdict_within_margin(-0.5, 0, {-0.49, -0.46}) == Verdict::Departs);     // and without one
  CHECK(statistical_verdicts().name(Verdict::Inconclusive) == "inconclusive");
}

TEST_CASE("Student's t: its quantiles and distribution function at the textbook values") {
  CHECK(student_t_quantile(0.975, 3) == doctest::Approx(3.182446).epsilon(1e-6));
  CHECK(student_t_quantile(0.975, 7) == doctest::Approx(2.364624).epsilon(1e-6));
  CHECK(student_t_quantile(0.975, 1) == doctest::Approx(12.7062).epsilon(1e-5));
  CHECK(student_t_quantile(0.975, 1e6) == doctest::Approx(1.959966).epsilon(1e-5));
  CHECK(student_t_quantile(0.025, 7) == doctest::Approx(-2.364624).epsilon(1e-6));
  CHECK(student_t_cdf(2.0, 4.5) == doctest::Approx(1 - 0.0530).epsilon(1e-3));  // a degree of freedom that is not whole
  CHECK(student_t_cdf(0, 3) == doctest::Approx(0.5));
}

TEST_CASE("the calibrated interval: the bootstrap's spread scaled for few units, t quantiles") {
  // Replicates −1, 0, 1 (standard deviation 1); 4 units: se = √(4/3), half-width t(3)·se.
  const auto i = calibrated_interval(0.5, {-1, 0, 1}, 4, 3);
  REQUIRE(i);
  CHECK(i->high - 0.5 == doctest::Approx(3.182446 * std::sqrt(4.0 / 3)).epsilon(1e-6));
  CHECK(0.5 - i->low == doctest::Approx(i->high - 0.5));
  CHECK_FALSE(calibrated_interval(0.5, {-1, 0, 1}, 1, 3));  // one unit: no interval
  // Welch–Satterthwaite: equal terms give (k·(m − 1)); one dominant term, m − 1.
  CHECK(satterthwaite_degrees_of_freedom({1, 1, 1, 1}, {2, 2, 2, 2}, 8) == doctest::Approx(28));
  CHECK(satterthwaite_degrees_of_freedom({1, 0, 0}, {5, 1, 1}, 8) == doctest::Approx(7));
}

TEST_CASE("the departure p-value matches the verdict, and Holm adjusts step-down") {
  // se 0.05, ν 10: the 95% interval is ±2.228·0.05 = ±0.1114.
  CHECK(departure_p_value(-0.5, 0.05, 10, -0.5, 0.125) == 1);
  CHECK(departure_p_value(-0.25, 0.05, 10, -0.5, 0.125) < 0.05);   // 0.125 beyond the band > 0.1114
  CHECK(departure_p_value(-0.28, 0.05, 10, -0.5, 0.125) > 0.05);   // 0.095 beyond it < 0.1114
  const auto adjusted = holm_adjusted({0.01, 0.04, 0.03, 0.2});
  CHECK(adjusted[0] == doctest::Approx(0.04));  // 4 × 0.01
  CHECK(adjusted[2] == doctest::Approx(0.09));  // 3 × 0.03
  CHECK(adjusted[1] == doctest::Approx(0.09));  // max(2 × 0.04, 0.09): step-down keeps the order
  CHECK(adjusted[3] == doctest::Approx(0.2));
}

TEST_CASE("the fits: a quadratic's curvature, and the corrected power law's γ∞ under a fading correction") {
  std::vector<double> x, y, bent;
  for (int k = 7; k <= 16; ++k) {
    const double n = std::pow(2.0, k);
    x.push_back(std::log(n));
    y.push_back(-0.5 * std::log(n) + std::log1p(2 * std::pow(n / 128, -0.5)));
    bent.push_back(0.3 * x.back() - 0.02 * x.back() * x.back());
  }
  CHECK(least_squares_quadratic(x, bent).curvature == doctest::Approx(-0.02).epsilon(1e-9));
  CHECK(least_squares_slope(x, y) < -0.6);  // the plain slope misses −1/2 ...
  const CorrectedPowerLaw fit = fit_corrected_power_law(x, y);
  CHECK(fit.delta == 0.5);
  CHECK(fit.gamma_infinity == doctest::Approx(-0.5).epsilon(1e-3));  // ... γ∞ finds it
  CHECK(fit.correction == doctest::Approx(2).epsilon(1e-2));
  CHECK(akaike(fit.residual_sum_of_squares, x.size(), 4) < akaike(1e-4, x.size(), 2));
}
