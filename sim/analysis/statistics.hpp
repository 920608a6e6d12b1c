#pragma once
// The statistics of gammalab's measurements, one definition each, used by the sweep
// analysis (sim/analysis/analysis) and the coordinate check (sim/analysis/coordcheck):
//
//   bootstrap over seeds  a replicate is one (teacher, seed): its own teacher and data
//                         set, and its own student at every width. A resample draws
//                         in two levels: first K teachers with replacement from the K,
//                         once, shared by every width (one teacher serves every width,
//                         so its effect is correlated across widths and must move
//                         them together); then at each width, within each drawn
//                         teacher in turn, its S seeds with replacement, independently
//                         at each width (every (width, seed) trains its own student).
//                         Drawn from Rng(kBootstrapSeed, stream), in the order
//                         resample, its teachers, width, drawn teacher, seed, so that
//                         a stream gives the same resamples in every run. With one
//                         teacher nothing is drawn for it: the draws are the seeds'
//                         alone, as they were before teachers were counted;
//   95% interval          the 2.5th and 97.5th percentiles of the replicates, each the
//                         linear interpolation between the two nearest order statistics
//                         at position q·(m − 1) of the m sorted replicates ("type 7", as
//                         numpy.percentile and R's quantile by default); none from fewer
//                         than two replicates;
//   slope                 the least-squares slope of y against x;
//   calibrated interval   the interval of a slope (sim/analysis/slope_verdicts.hpp): the
//                         estimate ± t(ν) × the bootstrap's standard error scaled by
//                         √(m/(m − 1)) for m independent units (the bootstrap's variance
//                         of a mean over m units is (m − 1)/m of the unbiased one), with
//                         ν degrees of freedom (Welch–Satterthwaite over the points);
//                         the percentile interval under-covers at 4 and 8 seeds
//                         (docs/simulator.md, "Calibration: `gammalab calibrate`");
//   verdict               against an exact value (the coordinate check): "agrees" when
//                         it lies in the interval widened by kVerdictTolerance at each
//                         end, "departs" otherwise; against an exact value with a margin
//                         δ (a sweep's slopes): "agrees" when the interval lies inside
//                         [e − δ, e + δ], "departs" when it lies wholly outside,
//                         "inconclusive" otherwise; "undetermined" without an interval
//                         or an exact value.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gamma/vocabulary.hpp"

namespace gammalab::sim {

// A sample of replicates at one width, drawn with replacement: each the index
// replicate_index(teacher, seed, seeds) of one (teacher, seed).
using SeedSample = std::vector<std::size_t>;
// One sample per width: [width index] → the replicates used there.
using WidthSamples = std::vector<SeedSample>;

// The index of replicate (teacher, seed), 0-based each, among teachers × seeds: the
// teachers' seeds one after the other.
inline std::size_t replicate_index(std::size_t teacher, std::size_t seed, std::size_t seeds) { return teacher * seeds + seed; }

inline constexpr std::uint64_t kBootstrapSeed = 20261123;

struct SeedBootstrap {
  WidthSamples everyone;                  // every replicate once, at every width: the point estimate
  std::vector<WidthSamples> resamples;    // empty with fewer than two replicates
};
// `resamples` draws, as above, of `teachers` × `seeds` replicates at each of `widths`
// widths, from the random stream named `stream` (the analysis and the coordinate check
// have their own).
SeedBootstrap bootstrap_over_seeds(std::size_t widths, std::size_t teachers, std::size_t seeds, int resamples,
                                   std::string_view stream);

struct Interval {
  double low, high;
  bool operator==(const Interval&) const = default;
};

// The q-quantile (0 ≤ q ≤ 1) of a non-empty sample, interpolated as described above.
double quantile(std::vector<double> values, double q);
// The 95% interval of bootstrap replicates; none from fewer than two.
std::optional<Interval> percentile_interval(const std::vector<double>& replicates);

// Least-squares slope of y against x (x not all equal).
double least_squares_slope(const std::vector<double>& x, const std::vector<double>& y);

// A measured value within this of an interval's ends still agrees: numerical effects
// too small to matter, such as Adam's ε shrinking a step of exactly η by a part in 10⁸
// (the coordinate check), far below the resolution of a learning-rate grid (a sweep's
// slopes, whose intervals are wider than 0.01).
inline constexpr double kVerdictTolerance = 1e-3;

// A measurement held against an exact value: agrees or departs (verdict_of, and
// verdict_within_margin); inconclusive, an interval too wide to say either (only with a
// margin); undetermined, where there is nothing to compare (no interval, no exact value).
enum class Verdict { Agrees, Departs, Inconclusive, Undetermined };
// Their names as the result files write them: "agrees", "departs", "inconclusive", "undetermined".
const gamma::Vocabulary<Verdict>& statistical_verdicts();
Verdict verdict_of(double exact, const Interval& interval);
// Agrees: the interval inside [exact − margin, exact + margin] (kVerdictTolerance beyond
// it still counts as inside); departs: the interval wholly outside that band;
// inconclusive otherwise.
Verdict verdict_within_margin(double exact, double margin, const Interval& interval);

// How a slope changes with n (or r) over the points it is fitted to (sim/analysis/slope_verdicts.hpp):
// converging towards the engine's exponent, steady, moving away from it, curved (a
// (log n)² term whose interval excludes 0, with no approach or retreat to show), or
// inconclusive; undetermined with fewer than four points.
enum class TrendVerdict { Converging, Steady, MovingAway, Curved, Inconclusive, Undetermined };
// "converging", "steady", "moving away", "curved", "inconclusive", "undetermined".
const gamma::Vocabulary<TrendVerdict>& trend_verdicts();

// ---- Student's t, for intervals and tests from few units --------------------------

// P(T ≤ t) for Student's t with ν > 0 degrees of freedom (ν need not be whole).
double student_t_cdf(double t, double degrees_of_freedom);
// The q-quantile (0 < q < 1) of Student's t with ν degrees of freedom.
double student_t_quantile(double q, double degrees_of_freedom);

// The 95% interval estimate ± t(0.975, ν) · se, where se is the standard deviation of the
// bootstrap replicates times √(m/(m − 1)) for m ≥ 2 independent units; none from fewer
// than two replicates or units.
std::optional<Interval> calibrated_interval(double estimate, const std::vector<double>& replicates, std::size_t units,
                                            double degrees_of_freedom);
// The standard error that interval uses; none where it has none.
std::optional<double> calibrated_standard_error(const std::vector<double>& replicates, std::size_t units);
// The Welch–Satterthwaite degrees of freedom of a linear combination Σ cᵢ yᵢ of
// independent point estimates with variances vᵢ, each a mean over `units` units
// (ν = (Σ cᵢ² vᵢ)² / Σ (cᵢ² vᵢ)² / (units − 1)); units − 1 when every term is zero.
double satterthwaite_degrees_of_freedom(const std::vector<double>& coefficients, const std::vector<double>& variances,
                                        std::size_t units);
// The two-sided p-value of "the true value lies within [exact − margin, exact + margin]"
// against "outside": below 0.05 exactly when the 95% calibrated interval lies wholly
// outside that band (verdict "departs"); 1 when the estimate lies inside it.
double departure_p_value(double estimate, double standard_error, double degrees_of_freedom, double exact, double margin);
// Holm's step-down adjustment of p-values (the family-wise error of rejecting any true
// hypothesis stays at most α when those whose adjusted p is below α are rejected).
std::vector<double> holm_adjusted(const std::vector<double>& p_values);

// ---- fits of log η against log n ---------------------------------------------------

// The coefficients c of y = a + b·x + c·(x − x̄)² by least squares (at least three distinct x):
// the curvature, b the slope at x̄.
struct QuadraticFit {
  double intercept, slope, curvature;
};
QuadraticFit least_squares_quadratic(const std::vector<double>& x, const std::vector<double>& y);
// The weights w with Σ wᵢ yᵢ = least_squares_slope(x, y), and with Σ wᵢ yᵢ = the curvature.
std::vector<double> slope_weights(const std::vector<double>& x);
std::vector<double> curvature_weights(const std::vector<double>& x);

// y = a + γ∞·x + log(1 + c·e^{−δ(x − x₀)}) (x = log n, x₀ the smallest): a power law with a
// finite-width correction that fades as n^−δ. The correction at the smallest point, c, is
// profiled over (−0.9, 9]; δ is one of kCorrectionExponents (the best, or the one given).
inline constexpr double kCorrectionExponents[] = {0.25, 0.5, 1.0};
struct CorrectedPowerLaw {
  double gamma_infinity, intercept, correction, delta, residual_sum_of_squares;
};
CorrectedPowerLaw fit_corrected_power_law(const std::vector<double>& x, const std::vector<double>& y);
CorrectedPowerLaw fit_corrected_power_law(const std::vector<double>& x, const std::vector<double>& y, double delta);
// Akaike's criterion of a least-squares fit with k parameters over N points:
// N log(RSS/N) + 2k (RSS floored at 1e-300 for exact data).
double akaike(double residual_sum_of_squares, std::size_t points, int parameters);

}  // namespace gammalab::sim
