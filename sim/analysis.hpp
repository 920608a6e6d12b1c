#pragma once
// The analysis of a sweep's runs (`gammalab analyze DIR`):
// Each arm — a scheme, or with an [init_sigma] axis a (scheme, σ) pair — is analysed
// on its own:
//   optimal learning rate per (arm, width): the minimum over the grid of the
//     seed-averaged log loss, refined by a parabola through the three grid points
//     around it in log η; its interval from a bootstrap over seeds;
//   maximal stable learning rate per (arm, width): per seed the largest η whose run
//     did not diverge and ended at most stable_factor × its initial loss; the geometric
//     mean over seeds, with a bootstrap interval;
//   slopes of log η against log n over the chosen widths whose estimate lies inside the
//     grid (least squares), with a bootstrap interval (seeds resampled independently at
//     each width), beside the γ engine's exact prediction, and a verdict.
// The bootstrap, the interval, the slope and the verdict are sim/statistics.hpp's.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "sim/result_schema.hpp"
#include "sim/statistics.hpp"
#include "sim/sweep_spec.hpp"

namespace gammalab::sim {

// The vertex of the parabola through three points, in x.
double parabola_vertex(double x0, double y0, double x1, double y1, double x2, double y2);

// The analysis (summary.json's content) of the rows of runs.csv. A row is matched to
// the spec's grid by its configuration id; InputError when a row's scheme, width,
// seed, learning rate or σ is not its configuration's (a runs.csv of another spec).
SweepSummary analyse_runs(const std::vector<RunRow>& rows, const SweepSpec& spec);
// The analysis as text for people.
std::string describe_analysis(const SweepSummary& summary);
std::string describe_analysis(const nlohmann::json& summary);

}  // namespace gammalab::sim
