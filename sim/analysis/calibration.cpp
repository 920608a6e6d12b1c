#include "sim/analysis/calibration.hpp"

#include <cmath>
#include <cstdio>
#include <optional>

#include "sim/analysis/analysis.hpp"
#include "sim/model/random.hpp"
#include "sim/analysis/results_view.hpp"

namespace gammalab::sim {

namespace {

const gamma::Rational kEngineExponent{-1, 2};

// The noiseless log η at width n of a scenario (log C = 0).
double noiseless_log_lr(const CalibrationScenario& s, double n, double n0) {
  const double gamma = static_cast<double>(kEngineExponent) + s.exponent_offset;
  return gamma * std::log(n) + std::log1p(s.correction * std::pow(n / n0, -0.5));
}

}  // namespace

std::vector<CalibrationScenario> calibration_scenarios(double margin) {
  const double grid_step = std::log(10.0) / 3;
  return {{"exact", "a pure power law at the engine's exponent"},
          {"wrong by 2δ", "a pure power law 2δ above the engine's exponent", 2 * margin},
          {"finite width", "the engine's exponent with a correction (1 + 2·(n/n₀)^−½)", 0, 2.0},
          {"non-monotone", "10% of seeds' edges lifted a grid step by a stable island", 0, 0, 0.2, 0.1, grid_step},
          {"divergent seeds", "5% of seeds diverged early: their edge a decade low", 0, 0, 0.2, 0.05, -std::log(10.0)}};
}

std::vector<ScenarioOutcome> calibrate(const CalibrationSetting& setting, const std::vector<CalibrationScenario>& scenarios, int trials,
                                       std::uint64_t seed) {
  const SeedBootstrap bootstrap = bootstrap_over_seeds(setting.widths.size(), setting.teachers, setting.seeds, setting.resamples, "bootstrap");
  const VerdictRules rules{setting.margin, {gamma::Rational(-1), gamma::Rational(-3, 4), kEngineExponent, gamma::Rational(0)}};
  const SlopeTarget target{"stable", kEngineExponent, std::nullopt};
  const double n0 = setting.widths.front();
  std::vector<ScenarioOutcome> outcomes;
  for (const auto& scenario : scenarios) {
    Rng rng(seed, "calibration " + scenario.name);
    std::vector<double> x, noiseless;
    for (int n : setting.widths) x.push_back(std::log(n)), noiseless.push_back(noiseless_log_lr(scenario, n, n0));
    const double true_slope = least_squares_slope(x, noiseless);
    const double true_exponent = static_cast<double>(kEngineExponent) + scenario.exponent_offset;
    ScenarioOutcome outcome;
    outcome.scenario = scenario;
    outcome.trials = trials;
    int covered = 0, gamma_covered = 0, gamma_fits = 0;
    for (int t = 0; t < trials; ++t) {
      std::vector<double> teacher_shift;
      for (std::size_t k = 0; k < setting.teachers; ++k) teacher_shift.push_back(setting.teachers > 1 ? kTeacherShift * rng.normal() : 0);
      std::vector<std::vector<std::optional<double>>> log_lr(setting.widths.size(),
                                                             std::vector<std::optional<double>>(setting.teachers * setting.seeds));
      for (std::size_t w = 0; w < setting.widths.size(); ++w)
        for (std::size_t k = 0; k < setting.teachers; ++k)
          for (std::size_t s = 0; s < setting.seeds; ++s) {
            auto& edge = log_lr[w][replicate_index(k, s, setting.seeds)];
            edge = noiseless[w] + teacher_shift[k] + scenario.noise * rng.normal();
            if (rng.uniform() < scenario.outlier_rate) *edge += scenario.outlier_shift;
          }
      const SlopeSummary s = summarise_slope(seed_mean_estimates(setting.widths, log_lr, bootstrap), target, rules, "width");
      covered += s.interval && s.interval->low <= true_slope && true_slope <= s.interval->high;
      outcome.verdicts[statistical_verdicts().name(s.verdict_network)] += 1.0 / trials;
      outcome.trends[trend_verdicts().name(s.trend.verdict)] += 1.0 / trials;
      if (const auto& w = s.infinite_width) {
        ++gamma_fits;
        gamma_covered += w->interval && w->interval->low <= true_exponent && true_exponent <= w->interval->high;
        outcome.gamma_infinity_verdicts[statistical_verdicts().name(w->verdict)] += 1.0 / trials;
      }
    }
    outcome.slope_coverage = static_cast<double>(covered) / trials;
    if (gamma_fits) outcome.gamma_infinity_coverage = static_cast<double>(gamma_covered) / gamma_fits;
    outcomes.push_back(std::move(outcome));
  }
  return outcomes;
}

std::string calibration_table(const CalibrationSetting& setting, const std::vector<ScenarioOutcome>& outcomes) {
  auto percent = [](double share) {
    char text[16];
    std::snprintf(text, sizeof text, "%.1f%%", 100 * share);
    return std::string(text);
  };
  auto share = [&](const std::map<std::string, double>& shares, const std::string& name) {
    const auto found = shares.find(name);
    return percent(found == shares.end() ? 0 : found->second);
  };
  std::vector<std::vector<std::string>> rows = {{"scenario", "coverage", "γ∞ coverage", "agrees", "inconclusive", "departs", "converging",
                                                 "steady", "moving away", "curved", "trend inconclusive", "γ∞ agrees", "γ∞ departs"}};
  for (const auto& o : outcomes) {
    const auto& v = statistical_verdicts();
    const auto& t = trend_verdicts();
    rows.push_back({o.scenario.name, percent(o.slope_coverage), o.gamma_infinity_coverage ? percent(*o.gamma_infinity_coverage) : "—",
                    share(o.verdicts, v.name(Verdict::Agrees)), share(o.verdicts, v.name(Verdict::Inconclusive)),
                    share(o.verdicts, v.name(Verdict::Departs)), share(o.trends, t.name(TrendVerdict::Converging)),
                    share(o.trends, t.name(TrendVerdict::Steady)), share(o.trends, t.name(TrendVerdict::MovingAway)),
                    share(o.trends, t.name(TrendVerdict::Curved)), share(o.trends, t.name(TrendVerdict::Inconclusive)),
                    share(o.gamma_infinity_verdicts, v.name(Verdict::Agrees)), share(o.gamma_infinity_verdicts, v.name(Verdict::Departs))});
  }
  std::string widths;
  for (int n : setting.widths) widths += (widths.empty() ? "" : ", ") + std::to_string(n);
  char head[256];
  std::snprintf(head, sizeof head, "%s: %zu widths (%s), %zu teacher(s) × %zu seeds, %d resamples, margin ±%.3g, %d trials per scenario\n",
                setting.name.c_str(), setting.widths.size(), widths.c_str(), setting.teachers, setting.seeds, setting.resamples, setting.margin,
                outcomes.empty() ? 0 : outcomes.front().trials);
  return head + aligned_table(rows);
}

}  // namespace gammalab::sim
