#include "sim/sweep/refinement.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "sim/sweep/optimum.hpp"
#include "sim/sweep/stability.hpp"
#include "sim/sweep/sweep.hpp"

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

// `count` rates above `low`, at most a factor `step` apart and the highest at most `top`:
// the first ones of low·step, low·step², … or, where `top` is nearer, evenly spaced in
// log rate up to `top` itself.
std::vector<double> rates_above(double low, double top, int count, double step) {
  step = std::min(step, std::pow(top / low, 1.0 / count));
  std::vector<double> rates;
  for (int k = 1; k <= count; ++k) rates.push_back(k == count && same_rate(low * std::pow(step, k), top) ? top : low * std::pow(step, k));
  return rates;
}

// The rates a line's edges ask for next (`points`: the line's runs, ascending in rate).
void edge_proposals(const SweepSpec& spec, const std::vector<const RunRow*>& points, std::set<double>& proposed) {
  const double precision = spec.refine.edge_precision, top = spec.refine.extend_up_to;
  for (const StabilityMeasure& measure : stability_measures(spec)) {
    const std::optional<std::size_t> last_stable = seed_edge(points, measure, spec).last_monotone_stable;
    if (!last_stable) continue;  // no stable rate: the edge lies below the grid
    const double low = points[*last_stable]->lr_A;
    if (*last_stable + 1 == points.size()) {
      // Above the top rate run: kSectionPoints rates, or as many as reach `top` in steps
      // within the precision where fewer do.
      if (top > 0 && low < top && !same_rate(low, top))
        for (double rate : rates_above(low, top, std::min(kSectionPoints, section_steps(top / low, precision)), kExtensionFactor))
          proposed.insert(rate);
    } else {
      const double high = points[*last_stable + 1]->lr_A;
      std::vector<double> section = rates_above(low, high, section_steps(high / low, precision), high / low);
      section.pop_back();  // `high`, run already: the section's inner rates remain (none once it is precise)
      proposed.insert(section.begin(), section.end());
    }
  }
}

// The rates around a line's optimum (RefineSpec::optimum_per_decade): from the line's
// grid runs alone, so that every round, a resume and every shard propose the same ones.
void optimum_proposals(const SweepSpec& spec, const std::vector<const RunRow*>& points, std::set<double>& proposed) {
  std::vector<double> grid_rates, log_loss;
  for (const RunRow* p : points)
    if (p->round == 0) grid_rates.push_back(p->lr_A), log_loss.push_back(log_loss_of(*p, spec.analysis.loss));
  for (double rate : optimum_probes(grid_rates, log_loss, spec.refine.optimum_per_decade)) proposed.insert(rate);
}

// The rates a line asks for next, ascending, none already run.
std::vector<double> proposals_of_line(const SweepSpec& spec, const std::vector<const RunRow*>& points) {
  std::set<double> proposed;
  if (spec.refine.edge_precision > 0) edge_proposals(spec, points, proposed);
  if (spec.refine.optimum_per_decade > 0) optimum_proposals(spec, points, proposed);
  std::vector<double> fresh;
  for (double rate : proposed)
    if (std::none_of(points.begin(), points.end(), [&](const RunRow* p) { return same_rate(p->lr_A, rate); })) fresh.push_back(rate);
  return fresh;
}

}  // namespace

int section_steps(double ratio, double precision) {
  // The bracket must shrink by `shrink` in steps of (1 + precision), log-wise; a round
  // of s steps shrinks it s×. Rounds needed with the most steps a round allows, then the
  // fewest steps a round that need no more rounds. The slack keeps exact powers exact.
  constexpr double kSlack = 1e-9;
  const double shrink = std::log(ratio) / std::log1p(precision);
  if (shrink <= 1 + kSlack) return 1;
  const double rounds = std::ceil(std::log(shrink) / std::log(kSectionPoints + 1.0) - kSlack);
  return static_cast<int>(std::ceil(std::pow(shrink, 1 / rounds) - kSlack));
}

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
