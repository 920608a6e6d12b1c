#pragma once
// The stability criteria of a width sweep, one definition each, read by the analysis
// (the maximal stable rate under each) and by refinement (whose edges it locates).
//
//   final loss  not diverged, and the final train loss at most stable_factor × the
//               initial one (the criterion of the sweep's "max_stable" estimate);
//   output      at a horizon h: not diverged by step h, and the largest train loss of
//               steps 1 … h at most edge_factor × the initial one. It sees the
//               network's output f, so it tests the engine's "f bounded" region;
//   internal    at a horizon h: not diverged by step h, and the RMS of the adapter's
//               output s·Z_B at step h at most internal_bound. It tests the engine's
//               "Z_B bounded" region.
//
// A run that diverges after step h is stable at h: whether a run that blew up later
// counts is exactly what reading the criteria at several horizons shows.
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "gamma/verdicts.hpp"
#include "sim/sweep/result_schema.hpp"
#include "sim/sweep/sweep_spec.hpp"

namespace gammalab::sim {

// Criterion and its names, stability_criteria(), are in sim/sweep/sweep_spec.hpp, beside the
// analysis's parameters of each.

// A criterion read at one horizon (an index into the spec's horizons; the final-loss
// criterion reads the end of the run and ignores it).
struct StabilityMeasure {
  Criterion criterion;
  std::size_t horizon = 0;
};

// The part of the engine's stable region a criterion tests: f bounded (the loss
// criteria) or Z_B bounded (the internal one); gamma::verdict_kind(…).label names it.
gamma::Region gamma::Verdicts::*bound_of(Criterion criterion);

// The final-loss criterion, then output and internal at each horizon of the spec.
std::vector<StabilityMeasure> stability_measures(const SweepSpec& spec);

// Whether a run is stable under a measure. `steps` is the run's length: at the last
// horizon a run that diverged on its very last update is not stable.
bool is_stable(const RunRow& run, const StabilityMeasure& measure, const AnalysisSpec& analysis, int steps);

// Where a seed's edge lies among its runs (ascending in rate). A seed's runs need not be
// monotone: a run may be stable again above a failure (an island). One such run must not
// move the edge a whole grid step or more, so the edge is defined by the first failure:
//
//   the edge lies between the last monotone stable rate — the top of the contiguous
//   stable rates that begin at the lowest stable one — and the first failure above it.
//
// `last_monotone_stable` is that rate's index (none after it: the edge lies beyond the
// rates run); none when no run is stable (the edge lies below them); `non_monotone` says
// whether a stable run lies above the first failure. What the analysis reads and what
// refinement narrows.
struct SeedEdge {
  std::optional<std::size_t> last_monotone_stable;
  bool non_monotone = false;
};
SeedEdge seed_edge(const std::vector<const RunRow*>& ascending, const StabilityMeasure& measure, const SweepSpec& spec);

}  // namespace gammalab::sim
