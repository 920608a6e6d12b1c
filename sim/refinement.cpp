#include "sim/refinement.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "sim/stability.hpp"
#include "sim/sweep.hpp"

namespace gammalab::sim {

namespace {

// Rates closer than this (relative) are the same rate: a proposal is never a rate the
// line has run, however it was rounded when written and read back.
bool same_rate(double a, double b) { return std::abs(a - b) <= 1e-12 * std::max(a, b); }

// The line of a row: grid ids are line · (rates of the grid) + rate, refined ids as above.
std::size_t line_of(const SweepSpec& spec, const RunRow& row) {
  const std::size_t grid = spec.configuration_count();
  return row.round == 0 ? row.id / spec.learning_rates.size() : (row.id - grid) / kRefinedPerLine;
}

// The rates a line's edges ask for next, ascending, none already run (`points`: the
// line's runs, ascending in rate).
std::vector<double> proposals_of_line(const SweepSpec& spec, const std::vector<const RunRow*>& points) {
  std::set<double> proposed;
  for (const StabilityMeasure& measure : stability_measures(spec)) {
    const std::optional<std::size_t> last_stable = largest_stable(points, measure, spec);
    if (!last_stable) continue;  // no stable rate: the edge lies below the grid
    const double low = points[*last_stable]->lr_A;
    if (*last_stable + 1 == points.size()) {
      if (spec.refine.extend_up_to > 0 && low < spec.refine.extend_up_to && !same_rate(low, spec.refine.extend_up_to))
        proposed.insert(std::min(low * kExtensionFactor, spec.refine.extend_up_to));
    } else if (const double high = points[*last_stable + 1]->lr_A; high > low * (1 + spec.refine.edge_precision)) {
      proposed.insert(std::sqrt(low * high));
    }
  }
  std::vector<double> fresh;
  for (double rate : proposed)
    if (std::none_of(points.begin(), points.end(), [&](const RunRow* p) { return same_rate(p->lr_A, rate); })) fresh.push_back(rate);
  return fresh;
}

}  // namespace

std::vector<Configuration> refinement_round(const SweepSpec& spec, const std::vector<RunRow>& runs, int round) {
  if (!spec.refine.enabled()) return {};
  std::map<std::size_t, std::vector<const RunRow*>> lines;
  for (const RunRow& row : runs)
    if (row.round < round) lines[line_of(spec, row)].push_back(&row);
  const std::vector<Configuration> grid = enumerate_configurations(spec);
  std::vector<Configuration> proposals;
  for (auto& [line, points] : lines) {
    std::sort(points.begin(), points.end(), [](const RunRow* a, const RunRow* b) { return a->lr_A < b->lr_A; });
    std::size_t refined = static_cast<std::size_t>(std::count_if(points.begin(), points.end(), [](const RunRow* p) { return p->round > 0; }));
    const Configuration& axes = grid.at(line * spec.learning_rates.size());  // the line's width, seed, readout, rank, multiplier, scheme, σ
    for (double rate : proposals_of_line(spec, points)) {
      if (refined == kRefinedPerLine) break;
      Configuration c = axes;
      c.id = grid.size() + line * kRefinedPerLine + refined++;
      c.lr_A = rate;
      c.lr_B = rate * spec.lr_ratio;
      c.round = round;
      proposals.push_back(c);
    }
  }
  return proposals;
}

std::vector<Configuration> refined_configurations(const SweepSpec& spec, const std::vector<RunRow>& runs) {
  std::vector<Configuration> all;
  std::set<std::size_t> present;
  for (const RunRow& row : runs) present.insert(row.id);
  for (int round = 1;; ++round) {
    const std::vector<Configuration> proposed = refinement_round(spec, runs, round);
    all.insert(all.end(), proposed.begin(), proposed.end());
    const bool whole = std::all_of(proposed.begin(), proposed.end(), [&](const Configuration& c) { return present.count(c.id) > 0; });
    if (proposed.empty() || !whole) return all;
  }
}

}  // namespace gammalab::sim
