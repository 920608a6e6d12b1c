#pragma once
// summary.json, written by the analysis, as a typed record (its versions, and those
// of split-seeds.json and the coordinate check's files): one reader and one writer;
// schema/summary.schema.json states the same keys (a test holds them together).
#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "sim/sweep/result_schema.hpp"
#include "sim/analysis/statistics.hpp"

namespace gammalab::sim {

// ---- versions ---------------------------------------------------------------------

// Each JSON document records its version under "version", and each reader refuses a
// newer one (summary.json also an older one: version 1's verdicts had no margin);
// schema/*.schema.json state the same numbers (a test holds them together).
// manifest.json's is sim/sweep/manifest.hpp's kManifestVersion; runs.csv's, kRunsSchema above.
inline constexpr int kSummaryVersion = 3;     // summary.json
inline constexpr int kSplitSeedsVersion = 1;  // split-seeds.json
inline constexpr int kCoordCheckVersion = 1;  // coordcheck-SCHEME.json

// ---- summary.json ----------------------------------------------------------------

struct ExactExponent {
  std::string exact;  // "-3/4"
  double value;
};

struct LrEstimate {
  std::optional<double> lr;
  std::optional<Interval> interval;
  bool at_grid_edge = false;
  // An edge's: the seeds stable again above their first failure (sim/sweep/stability.hpp),
  // whose islands the edge leaves out.
  int non_monotone_seeds = 0;
};

struct WidthSummary {
  int width = 0;
  LrEstimate optimal, max_stable;
  // With an optimal estimate: the best seed-averaged log loss and its interval.
  std::optional<double> best_mean_log_loss;
  std::optional<Interval> best_mean_log_loss_interval;
  // The optimum's sensitivity to the fit's window: the estimate with half and twice it.
  std::optional<double> optimal_lr_half_window, optimal_lr_twice_window;
  bool optimal_flat = false;  // no upward curvature around the best point
  int optimal_points = 0;     // the rates the optimum's vertex rests on (sim/sweep/optimum.hpp)
  LrEstimate& estimate(Estimator e) { return e == Estimator::Optimal ? optimal : max_stable; }
  const LrEstimate& estimate(Estimator e) const { return e == Estimator::Optimal ? optimal : max_stable; }
};

// A slope is fitted along an axis: log η against log n (the widths at one rank) or log r
// (the ranks at one width). Its points are values of that axis, and summary.json names
// them after it: "widths_used", "from_width", "finite_width"; "ranks_used", "from_rank",
// "finite_rank".

// The slope between two consecutive points of a fit.
struct LocalSlope {
  int from = 0, to = 0;
  std::optional<double> slope;
  std::optional<Interval> interval;
};
// How the slope changes along the axis (sim/analysis/slope_verdicts.hpp): the local slopes, the
// slopes over the smaller and the larger half of the points and their difference, the
// curvature (the coefficient of (log n − mean)² in a quadratic fit), each with its
// interval, and the trend verdict they decide.
struct Trend {
  std::vector<LocalSlope> local;
  std::vector<int> large_points;
  std::optional<double> large_slope;
  std::optional<Interval> large_interval;
  std::optional<double> small_slope;
  std::optional<Interval> small_interval;
  std::optional<double> change;  // the larger half's slope minus the smaller half's
  std::optional<Interval> change_interval;
  std::optional<double> curvature;
  std::optional<Interval> curvature_interval;
  TrendVerdict verdict = TrendVerdict::Undetermined;
  std::string evidence;  // what the verdict rests on, in words
};
// The exponent at infinite width: log η = γ∞ log n + log(1 + c·(n/n₀)^−δ) fitted beside the
// plain line, δ the best of kCorrectionExponents, and Akaike's criterion of both fits
// (the lower is the better supported). Only with at least five points.
struct InfiniteWidth {
  double gamma = 0;
  std::optional<Interval> interval;
  double delta = 0, correction = 0;
  double aic_power_law = 0, aic_corrected = 0;
  Verdict verdict = Verdict::Undetermined;  // against the engine, with the margin
};
// Whether a slope's interval excludes another of the figure's candidate exponents.
struct CandidateCheck {
  ExactExponent exponent;
  bool excluded = false;
};
// The bootstrap replicates of a slope left out of its interval, by why: a point without an
// estimate in the resample, or beyond the rates trained (an estimate at the grid's edge
// is only a bound, and the point slope leaves such widths out too).
struct LeftOutReplicates {
  std::size_t no_estimate = 0, at_grid_edge = 0;
};
// The replicates kept in a slope's interval whose optimum at some fitted point was the
// estimator's stand-in: a flat optimum (a plateau's middle), a vertex clamped to its
// fitted points. They are the optimum estimator's own answers, as the point estimate's
// are; leaving them out would select the resamples whose optima happen to be located.
struct StandInReplicates {
  std::size_t flat = 0, clamped = 0;
};
// An optimum's slope refitted with half and twice the optimum window over the same
// points, and the spread: the largest less the smallest of the three slopes.
struct WindowSensitivity {
  std::optional<double> half_window, twice_window, spread;
};
// An internal criterion's slope with its edges read at another internal_bound, from the
// same runs.
struct ThresholdSlope {
  double internal_bound = 0;
  std::optional<double> slope;
  std::optional<Interval> interval;
  Verdict verdict_network = Verdict::Undetermined;
};
struct SlopeSummary {
  std::optional<double> slope;
  std::optional<Interval> interval;
  std::vector<int> points_used;
  std::size_t resamples_used = 0;
  // The engine bound the slope is held against ("stable", "f bounded", "Z_B bounded"),
  // its exponent in the sweep's network setting, and the verdicts against it and
  // against the single module's maximal stable exponent, with the margin.
  std::string bound = "stable";
  std::optional<ExactExponent> engine;
  Verdict verdict_network = Verdict::Undetermined, verdict_module = Verdict::Undetermined;
  Trend trend;
  double margin = 0;
  std::optional<double> standard_error;  // of the slope, as its interval uses it
  double degrees_of_freedom = 0;         // of its t interval
  // The two-sided p-value of departing from the engine's band (statistics.hpp:
  // departure_p_value); none without an engine exponent or an interval.
  std::optional<double> departure_p;
  std::vector<CandidateCheck> candidates;  // the figure's other candidate exponents
  std::optional<InfiniteWidth> infinite_width;
  // A primary slope of the experiment ([analysis] primary) and its Holm-adjusted p-value
  // among the primary slopes of the summary.
  bool primary = false;
  std::optional<double> holm_p;
  LeftOutReplicates left_out;
  StandInReplicates stand_ins;
  std::optional<WindowSensitivity> window_sensitivity;  // an optimum's slope
  std::vector<ThresholdSlope> thresholds;               // an internal criterion's slope
  // Whether the verdict against the engine differs between the thresholds: then the
  // slope says nothing the threshold does not decide.
  bool changes_with_threshold() const {
    for (const ThresholdSlope& t : thresholds)
      if (t.verdict_network != thresholds.front().verdict_network) return true;
    return false;
  }
};
// The maximal stable rate under one stability criterion read at one horizon
// (sim/sweep/stability.hpp), per width, and its slope.
struct StabilitySummary {
  Criterion criterion = Criterion::Output;
  int horizon = 0;
  std::vector<LrEstimate> widths;  // in the order of the arm's widths
  SlopeSummary slope;
};

// One arm (readout, scheme, σ, multiplier) at one rank, across the widths.
struct ArmSummary {
  std::string scheme;
  std::optional<double> init_sigma;  // none: the scheme's own initial scale
  Readout readout = Readout::Standard;
  int rank = 4;
  std::string multiplier = "lora";
  std::optional<ExactExponent> engine_network, engine_module;  // the engine's maximal stable γ[η]
  // The suprema of the two parts of the network's stable region: f bounded, Z_B bounded.
  std::optional<ExactExponent> engine_f_bounded, engine_Z_B_bounded;
  std::vector<StabilitySummary> stability;
  std::vector<WidthSummary> widths;
  SlopeSummary optimal_slope, max_stable_slope;
  SlopeSummary& slope(Estimator e) { return e == Estimator::Optimal ? optimal_slope : max_stable_slope; }
  const SlopeSummary& slope(Estimator e) const { return e == Estimator::Optimal ? optimal_slope : max_stable_slope; }
};

// The slope of a stability criterion read at one horizon.
struct CriterionSlope {
  Criterion criterion = Criterion::Output;
  int horizon = 0;
  SlopeSummary slope;
};

// One arm at one width across the ranks (a sweep of several ranks): the slopes of log η
// against log r, held against the engine's exponents of r. The estimates they are fitted
// to are the arm's at each rank (ArmSummary::widths).
struct RankSlopes {
  std::string scheme;
  std::optional<double> init_sigma;
  Readout readout = Readout::Standard;
  std::string multiplier = "lora";
  int width = 0;
  std::vector<int> ranks;  // ascending
  SlopeSummary optimal_slope, max_stable_slope;
  std::vector<CriterionSlope> stability;
  SlopeSummary& slope(Estimator e) { return e == Estimator::Optimal ? optimal_slope : max_stable_slope; }
  const SlopeSummary& slope(Estimator e) const { return e == Estimator::Optimal ? optimal_slope : max_stable_slope; }
};

// The slopes' departures against what chance alone would give: among `slopes` held
// against an engine exponent, a 95% interval misses a true value inside the margin's band
// on its far side in at most 2.5% of experiments, so chance alone gives at most
// `expected_by_chance` = 0.025 × slopes departures; among the `primary` slopes, those
// that still depart after Holm's correction.
struct Multiplicity {
  std::size_t slopes = 0, departures = 0;
  double expected_by_chance = 0;
  std::size_t primary = 0, primary_departures = 0, primary_departures_holm = 0;
};

struct SweepSummary {
  std::string loss_statistic;
  // The spec's [analysis] options it was computed with (their defaults are the spec's).
  double stable_factor = AnalysisSpec{}.stable_factor;
  double optimum_window = AnalysisSpec{}.optimum_window, edge_factor = AnalysisSpec{}.edge_factor,
         internal_bound = AnalysisSpec{}.internal_bound;
  std::vector<int> horizons;
  std::size_t bootstrap_resamples = 0, teachers = 1, seeds = 0, runs_used = 0;
  std::vector<int> slope_widths;
  std::vector<ArmSummary> arms;  // "schemes" in the file: each (arm, rank)
  std::vector<RankSlopes> rank_slopes;  // each (arm, width), with several ranks
  // The margin of the verdicts, the figure's candidate exponents along the width, and
  // what chance alone gives among the slopes.
  double margin = AnalysisSpec{}.margin;
  std::vector<ExactExponent> candidates;
  Multiplicity multiplicity;
  std::optional<std::string> status_of_runs;  // the manifest's status when analysed
};

void to_json(nlohmann::json& json, const Interval& interval);  // [low, high]
void from_json(const nlohmann::json& json, Interval& interval);
void to_json(nlohmann::json& json, const ExactExponent& exponent);
void from_json(const nlohmann::json& json, ExactExponent& exponent);
void to_json(nlohmann::json& json, const SweepSummary& summary);
// A slope along the width as summary.json writes it (the MLP's learning-rate sweep,
// sim/analysis/mlp_rates.hpp, writes its slopes so too).
nlohmann::json width_slope_json(const SlopeSummary& slope);
// Throws InputError naming the missing or mistyped key.
void from_json(const nlohmann::json& json, SweepSummary& summary);

// summary.json in a directory; none when the directory has none. InputError naming the
// file when it is not a summary.
std::optional<SweepSummary> read_summary(const std::filesystem::path& summary_json);
void write_summary(const std::filesystem::path& summary_json, const SweepSummary& summary);

}  // namespace gammalab::sim
