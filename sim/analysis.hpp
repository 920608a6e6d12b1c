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
//     each width), beside the γ
//     engine's exact prediction, and a verdict: inside the interval or not.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "sim/sweep_spec.hpp"

namespace gammalab::sim {

struct RunRow {
  std::size_t id;
  std::string scheme;
  int width;
  std::uint64_t seed;
  double lr_A, lr_B;
  double initial_train_loss, final_train_loss, final_test_loss, mean_last_train_loss, max_train_loss;
  bool diverged;
  double init_sigma = 0;  // 0: the scheme's own initial scale
};

// Throws InputError naming the file and line of a malformed row.
std::vector<RunRow> read_runs(const std::filesystem::path& runs_csv);

struct Interval {
  double low, high;
};

// Least-squares slope of y against x.
double least_squares_slope(const std::vector<double>& x, const std::vector<double>& y);

// The vertex of the parabola through three points, in x.
double parabola_vertex(double x0, double y0, double x1, double y1, double x2, double y2);

// The analysis as a JSON document (summary.json) and as text for people.
nlohmann::json analyse_runs(const std::vector<RunRow>& rows, const SweepSpec& spec);
std::string describe_analysis(const nlohmann::json& summary);

}  // namespace gammalab::sim
