#pragma once
// What a slope of log η against log n (or log r) says, from the estimates at its points
// and their bootstrap replicates: the one place that turns replicates into intervals and
// verdicts, shared by a sweep's analysis (sim/analysis/analysis.hpp) and `gammalab calibrate`
// (sim/analysis/calibration.hpp), which feeds it synthetic replicates whose truth is known.
//
//   the slope       least squares over the points, its interval calibrated_interval
//                   (sim/analysis/statistics.hpp) with Welch–Satterthwaite degrees of freedom over
//                   independent points (the widths), or units − 1 where the points share
//                   their units (the ranks of one width share each seed's student);
//   the verdict     against the engine's exponent e with the margin δ: agrees (interval
//                   inside [e − δ, e + δ]), departs (wholly outside), inconclusive;
//   the candidates  the figure's other exponents, each excluded or not by the interval;
//   the trend       from the smaller and the larger half of the points (at least four):
//                   the change of slope between them and the curvature, each with its
//                   interval — converging when the change moves the slope towards e with
//                   an interval that excludes 0 and the larger half's interval does not
//                   lie wholly beyond e (an overshoot moves away); moving away when it
//                   moves the slope away from e likewise; curved when neither but the
//                   curvature's interval excludes 0; steady when the change's interval
//                   lies inside [−δ, δ]; inconclusive otherwise;
//   γ∞              the exponent of the corrected power law (statistics.hpp:
//                   fit_corrected_power_law) at five points or more, with its interval
//                   (δ fixed at the point estimate's), Akaike's criterion beside the
//                   plain line's, and its verdict by the margin rule.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "gamma/rational.hpp"
#include "sim/sweep/result_schema.hpp"
#include "sim/analysis/summary.hpp"

namespace gammalab::sim {

// The estimates a slope is fitted to: log η at each point (n or r ascending), from every
// unit, and from each bootstrap resample (none where that resample gives no estimate).
struct AxisEstimates {
  std::vector<int> values;                                    // n or r
  std::vector<double> estimates;                              // log η
  std::vector<std::vector<std::optional<double>>> replicates;  // [resample][point]
  std::size_t units = 0;                                      // independent units behind each point (seeds)
  bool independent_points = true;                             // each point from its own units (widths), or all from the same (ranks)
};

// What a slope is held against: the engine bound it tests, the engine's exponent and the
// single module's, the margin and the figure's candidate exponents.
struct SlopeTarget {
  std::string bound;
  std::optional<gamma::Rational> engine, module;
};
struct VerdictRules {
  double margin = 0.125;
  std::vector<gamma::Rational> candidates;
};

// The engine's exponent as summary.json writes it ("-3/4" and its value).
std::optional<ExactExponent> exact_exponent(const std::optional<gamma::Rational>& q);

// The slope over every point of `points`, with its interval, verdicts, candidates, trend
// and γ∞; `axis` ("width", "rank") names the points in the trend's evidence.
SlopeSummary summarise_slope(const AxisEstimates& points, const SlopeTarget& target, const VerdictRules& rules,
                             const std::string& axis);

// Marks the slopes whose measure is primary and sets their Holm-adjusted p-values, and
// counts what chance alone gives among all of them (result_schema.hpp: Multiplicity).
Multiplicity apply_multiplicity(const std::vector<SlopeSummary*>& slopes, const std::vector<SlopeSummary*>& primary);

}  // namespace gammalab::sim
