#pragma once
// The MLP's learning-rate sweep: where each layer group's largest stable learning rate
// falls with the width. For each parametrization, optimiser and layer group of a spec,
// and at every width and seed, the group is trained alone (the others' rates 0) and its
// edge — the largest stable η — is found by doubling and bisection
// (sim/sweep/mlp_spec.hpp: MlpEdgeSpec says what unstable means and how close the search
// gets). The slope of log η against log n, over the seeds' mean at each width, is
// summarised by the sweep's own rules (sim/analysis/slope_verdicts.hpp: the calibrated
// interval, the verdict within the margin, the trend, γ∞) and held against the γ
// engine's maximal stable exponent of that group trained alone (gamma/mlp.hpp:
// group_rate, alignment full), which is also printed beside the engine's table value
// (the groups above at their maxima) where the two differ.
#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sim/sweep/mlp_spec.hpp"

namespace gammalab::sim {

inline constexpr int kMlpRatesVersion = 1;  // mlp-lr.json

// Whether a run stays stable for all its steps by `edge`'s rule.
bool mlp_run_stable(const MlpNetworkSpec& network, const MlpEdgeSpec& edge);

// The edges: [configuration][group][width][seed], none where the search left
// [lowest, highest]; and the number of runs trained to find them.
struct MlpEdges {
  std::vector<std::vector<std::vector<std::vector<std::optional<double>>>>> eta;
  std::size_t runs = 0;
};
// Each (configuration, group, seed) searches its widths in increasing order, starting at
// the edge of the previous width; `threads` of those chains run at once, and the edges
// do not depend on how many. `progress` gets (chains done, chains in all).
MlpEdges measure_mlp_edges(const MlpExperimentSpec& spec, int threads,
                           const std::function<void(std::size_t, std::size_t)>& progress = {});

// mlp-lr.json: {"version", "spec", "runs", "curves": [{"parametrization", "optimizer",
// "group", "engine_alone", "engine_table", "binding", "edges": [[η per seed] per width],
// "edges_not_found" (the search left [lowest, highest]; a width with one is left out of
// the slope, as the sweep's analysis leaves out a width without an estimate),
// "slope": (summary.json's slope)}]}.
nlohmann::json fit_mlp_edges(const MlpExperimentSpec& spec, const MlpEdges& edges);
// The verdict lines: per curve, the slope of the group's edge, its interval, the
// engine's exponent and the verdict within the margin.
std::vector<std::string> mlp_rate_verdicts(const nlohmann::json& document);
// mlp-lr.csv: parametrization,optimizer,group,width,seed,edge (empty where none was found).
std::string mlp_edges_csv(const MlpExperimentSpec& spec, const MlpEdges& edges);

}  // namespace gammalab::sim
