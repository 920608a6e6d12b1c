#pragma once
// The analysis of a sweep's runs (`gammalab analyze DIR`; docs/simulator.md says more).
// Each arm — a readout and a scheme, or with an [init_sigma] axis a (scheme, σ) pair,
// under one multiplier — is analysed on its own at each rank:
//   optimal learning rate per (arm, rank, width): the vertex of a parabola fitted to the
//     seed-averaged log loss against log η near its minimum (sim/sweep/optimum.hpp), also with
//     half and twice the window, so that its sensitivity shows;
//   maximal stable learning rate per (arm, rank, width) under each stability measure
//     (sim/sweep/stability.hpp): per seed the edge, the geometric midpoint of the last
//     monotone stable rate of all it trained (the grid and any refinement) and the first
//     failure above it, so that a stable island above a failure cannot move it (such
//     seeds are counted); the geometric mean over seeds;
//   slopes of log η against log n over the chosen widths whose estimate lies inside the
//     rates trained, each held against the engine bound its measurement sees (the
//     optimum against the stable region's supremum, the loss criteria against "f
//     bounded", the internal one against "Z_B bounded"; the internal one also with its
//     edges read at a tenth and ten times internal_bound, the optimum's also with half
//     and twice the window; bootstrap replicates with a stand-in for an estimate left
//     out and counted), with local slopes between consecutive widths, the trend and the
//     exponent at infinite width, and verdicts with the margin ([analysis] margin):
//     agrees, departs, inconclusive (sim/analysis/slope_verdicts.hpp);
//   the primary slopes ([analysis] primary) under Holm's correction, and what chance alone
//     gives among all the slopes;
//   with several ranks, the same slopes of log η against log r at each width, held against
//     the engine's exponents of r (sim/analysis/prediction.hpp): one fit over an axis serves both.
// Every interval is from a bootstrap over seeds; the bootstrap and the intervals are
// sim/analysis/statistics.hpp's, the slopes and their verdicts sim/analysis/slope_verdicts.hpp's.
#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/sweep/result_schema.hpp"
#include "sim/analysis/summary.hpp"
#include "sim/analysis/slope_verdicts.hpp"
#include "sim/analysis/statistics.hpp"
#include "sim/sweep/sweep_spec.hpp"

namespace gammalab::sim {

// The analysis (summary.json's content) of the rows of runs.csv. InputError when a row
// is not the configuration its id names (a runs.csv of another spec, or edited), or
// appears twice.
SweepSummary analyse_runs(const std::vector<RunRow>& rows, const SweepSpec& spec);

// The widths the slopes are fitted over: the spec's within [analysis] slope_widths.
std::vector<int> slope_widths_of(const SweepSpec& spec);

// The estimates along the widths from each seed's own log η at each width ([width][seed];
// none: that seed has none there), as the analysis estimates a maximal stable rate: the
// mean over a sample's seeds, drawn by `bootstrap`, at the widths where every seed has
// one. `gammalab calibrate` feeds it synthetic seeds (sim/analysis/calibration.hpp).
AxisEstimates seed_mean_estimates(const std::vector<int>& widths, const std::vector<std::vector<std::optional<double>>>& log_lr,
                                  const SeedBootstrap& bootstrap);

// The analysis of two disjoint halves of the seeds (the first half and the rest), each
// on its own: whether the verdicts hold without half of the data (`analyze --split-seeds`).
struct SeedHalves {
  std::array<std::vector<std::uint64_t>, 2> seeds;
  std::array<SweepSummary, 2> summaries;
};
SeedHalves analyse_seed_halves(const std::vector<RunRow>& rows, const SweepSpec& spec);

// One slope of one arm in both halves: agree when their intervals overlap and their
// verdicts against the engine are the same.
struct HalfComparison {
  std::string arm;      // "A (standard readout)"
  std::string measure;  // "optimal", "final_loss", "output@100", …
  std::array<SlopeSummary, 2> halves;
  bool intervals_overlap = false, same_verdict = false;
  bool agree() const { return intervals_overlap && same_verdict; }
};
std::vector<HalfComparison> compare_halves(const SeedHalves& halves);
// split-seeds.json: both halves' seeds and summaries, and the comparisons.
nlohmann::json seed_halves_json(const SeedHalves& halves);
std::string describe_seed_halves(const SeedHalves& halves);
// The analysis as text for people.
std::string describe_analysis(const SweepSummary& summary);
std::string describe_analysis(const nlohmann::json& summary);

}  // namespace gammalab::sim
