#pragma once
// Calibration against known truth (`gammalab calibrate`): synthetic sweeps whose answer is
// known, analysed by the analysis's own code (sim/analysis/analysis.hpp: seed_mean_estimates, then
// sim/analysis/slope_verdicts.hpp), so that the intervals' coverage and each verdict's rate can be
// read off. Each seed's log edge at width n is
//   log η = log C + γ log n + log(1 + c·(n/n₀)^−½) + σ·z + (an outlier's shift, rarely)
// with z standard normal, independent per (width, seed), as a seed's edge is (every
// (width, seed) trains its own student). The engine's exponent is −1/2 and the figure's
// candidates −1, −3/4, −1/2 and 0, as for fig2.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gamma/rational.hpp"

namespace gammalab::sim {

struct CalibrationScenario {
  std::string name, what;
  double exponent_offset = 0;  // the true γ minus the engine's
  double correction = 0;       // c: the finite-width correction at the smallest width
  double noise = 0.2;          // σ of a seed's log edge
  double outlier_rate = 0;     // the chance that a (width, seed) is an outlier
  double outlier_shift = 0;    // its shift of log η
};
// The scenarios every calibration runs, the margin δ setting the wrong exponent's offset:
// an exact power law; one wrong by 2δ; a finite-width correction; non-monotone edges (a
// stable island above a failure lifts one seed's edge by a grid step of 3 per decade);
// divergent seeds (one that diverged early sits a decade low).
std::vector<CalibrationScenario> calibration_scenarios(double margin);

// The shape of the synthetic sweep: an experiment's slope widths, seeds, resamples, margin
// and teachers. Each teacher moves every width's log η alike (a draw of N(0, 0.3²), the
// same at every width: kTeacherShift), so that the two-level bootstrap and its units
// (teachers × seeds at a width) are measured under the assumption the analysis makes.
struct CalibrationSetting {
  std::string name;  // the spec it is taken from
  std::vector<int> widths;
  std::size_t seeds = 8;
  int resamples = 1000;
  double margin = 0.125;
  std::size_t teachers = 1;
};
inline constexpr double kTeacherShift = 0.3;

struct ScenarioOutcome {
  CalibrationScenario scenario;
  int trials = 0;
  // The share of trials whose 95% interval holds the true value: the slope's the
  // least-squares slope of the noiseless curve, γ∞'s the true exponent (none: fewer than
  // five widths).
  double slope_coverage = 0;
  std::optional<double> gamma_infinity_coverage;
  std::map<std::string, double> verdicts, trends, gamma_infinity_verdicts;  // name → share of trials
};

// `trials` synthetic sweeps per scenario, from the random stream "calibration" of `seed`.
std::vector<ScenarioOutcome> calibrate(const CalibrationSetting& setting, const std::vector<CalibrationScenario>& scenarios, int trials,
                                       std::uint64_t seed);

// The outcomes as an aligned table, one row per scenario.
std::string calibration_table(const CalibrationSetting& setting, const std::vector<ScenarioOutcome>& outcomes);

}  // namespace gammalab::sim
