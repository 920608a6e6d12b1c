#pragma once
// The statistics of gammalab's measurements, one definition each, used by the sweep
// analysis (sim/analysis) and the coordinate check (sim/coordcheck):
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
//   verdict               "agrees" when the exact (engine's) value lies in the interval
//                         widened by kVerdictTolerance at each end, "departs" otherwise;
//                         "undetermined" without an interval or an exact value, and a
//                         slope's trend may say "approaching" (sim/analysis.hpp).
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

// A measurement held against an exact value: agrees or departs (verdict_of); approaching,
// a slope that departs but moves towards the value as n or r grows; undetermined, where
// there is nothing to compare (no interval, no exact value).
enum class Verdict { Agrees, Departs, Approaching, Undetermined };
// Their names as the result files write them: "agrees", "departs", "approaching", "undetermined".
const gamma::Vocabulary<Verdict>& statistical_verdicts();
Verdict verdict_of(double exact, const Interval& interval);

}  // namespace gammalab::sim
