#pragma once
// The optimal learning rate of one (arm, width), read from the seed-averaged log loss
// on the learning-rate grid: not the grid's argmin, which a flat optimum lets move by a
// whole grid step with rounding noise, but the vertex of the least-squares parabola in
// log η through the grid points whose loss lies within `window` of the best.
//
//   - the points fitted are the contiguous run around the best point whose mean log
//     loss is at most best + window (window in natural-log units of the loss: 0.1 keeps
//     the points within about 10% of the best loss); at least the best point and its
//     two neighbours, so that a window of 0 is the parabola through three points;
//   - the vertex is kept inside the fitted run (a parabola's tail says nothing beyond
//     the points it was fitted to);
//   - a run with no upward curvature (a plateau) gives the middle of the run, flagged;
//     so does a best point whose neighbour diverged (fewer than three points: the best);
//   - a best point at the first or last grid point gives that point, flagged: the
//     optimum is not inside the grid, and slopes leave such widths out.
#include <optional>
#include <vector>

namespace gammalab::sim {

struct OptimumFit {
  double log_lr;              // the estimate, in the units of the grid given (log10 η)
  bool at_grid_edge = false;  // the best point is the grid's first or last
  bool flat = false;          // no upward curvature over the fitted points
  int points = 0;             // grid points fitted
};

// `log_lr` sorted ascending; `mean_log_loss[i]` the seed-averaged log loss at log_lr[i],
// +inf where a run diverged. Absent when no grid point has a finite loss.
std::optional<OptimumFit> fit_optimum(const std::vector<double>& log_lr, const std::vector<double>& mean_log_loss,
                                      double window);

}  // namespace gammalab::sim
