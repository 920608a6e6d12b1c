#pragma once
// The optimal learning rate of one (arm, width), read from the seed-averaged log loss
// on the learning-rate grid: not the grid's argmin, which a flat optimum lets move by a
// whole grid step with rounding noise, but the vertex of the least-squares parabola in
// log η through the rates whose loss lies within `window` of the best. The rates are the
// grid's and those refinement added that every seed averaged ran: with
// [learning_rate] optimum_per_decade, refinement adds rates around each seed's best grid
// rate (optimum_probes) so that the vertex rests on at least kOptimumPoints points at
// that spacing, not on three grid points.
//
//   - the points fitted are the contiguous run around the best point whose mean log
//     loss is at most best + window (window in natural-log units of the loss: 0.1 keeps
//     the points within about 10% of the best loss); where that is fewer than
//     kOptimumPoints, the best point and two finite neighbours on each side where the
//     rates have them, so that a window of 0 is the parabola through five points;
//   - the vertex is kept inside the fitted run (a parabola's tail says nothing beyond
//     the points it was fitted to); a vertex beyond the run is clamped to its end,
//     flagged;
//   - a run with no upward curvature (a plateau) gives the middle of the run, flagged;
//     so does a best point whose neighbour diverged (fewer than three points: the best);
//   - a best point at the first or last grid point gives that point, flagged: the
//     optimum is not inside the grid, and slopes leave such widths out.
#include <optional>
#include <vector>

#include "sim/sweep/result_schema.hpp"
#include "sim/sweep/sweep_spec.hpp"

namespace gammalab::sim {

// The fewest points a vertex rests on where the rates allow: the best and two on each side.
inline constexpr int kOptimumPoints = 5;

// The log of the loss statistic the optimum compares; +inf for a diverged run.
double log_loss_of(const RunRow& run, LossStatistic loss);

struct OptimumFit {
  double log_lr;              // the estimate, in the units of the grid given (log10 η)
  bool at_grid_edge = false;  // the best point is the grid's first or last
  bool flat = false;          // no upward curvature over the fitted points
  bool clamped = false;       // the vertex lay beyond the fitted points: their end
  int points = 0;             // rates fitted
};

// `log_lr` sorted ascending; `mean_log_loss[i]` the seed-averaged log loss at log_lr[i],
// +inf where a run diverged. Absent when no grid point has a finite loss.
std::optional<OptimumFit> fit_optimum(const std::vector<double>& log_lr, const std::vector<double>& mean_log_loss,
                                      double window);

// The rates refinement adds around one seed's optimum: its best grid rate ×
// 10^(j/per_decade) for j = ±1 … ±(kOptimumPoints − 1)/2, so that with the best itself
// kOptimumPoints rates at that spacing surround it. `grid_rates` ascending, `log_loss`
// the seed's loss there (+inf where it diverged). None where the best is the grid's first
// or last rate (the optimum is not inside the grid) or no loss is finite.
std::vector<double> optimum_probes(const std::vector<double>& grid_rates, const std::vector<double>& log_loss, int per_decade);

}  // namespace gammalab::sim
