#include "sim/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "sim/random.hpp"

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

const gamma::Vocabulary<Verdict>& statistical_verdicts() {
  static const gamma::Vocabulary<Verdict> vocabulary(
      "verdict", {{Verdict::Agrees, "agrees", "agrees", {}},
                  {Verdict::Departs, "departs", "departs", {}},
                  {Verdict::Approaching, "approaching", "approaching", {}},
                  {Verdict::Undetermined, "undetermined", "undetermined", {}}});
  return vocabulary;
}

}  // namespace gammalab::sim
