#include "sim/analysis/analysis.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>

#include "gamma/input_error.hpp"
#include "gamma/rank.hpp"
#include "sim/sweep/optimum.hpp"
#include "sim/analysis/prediction.hpp"
#include "sim/sweep/refinement.hpp"
#include "sim/analysis/results_view.hpp"
#include "sim/analysis/slope_verdicts.hpp"
#include "sim/sweep/request_names.hpp"
#include "sim/sweep/stability.hpp"
#include "sim/sweep/sweep.hpp"

namespace gammalab::sim {

namespace {

// ---- the runs on the grid of (arm, rank, width, seed) ---------------------------------

// An arm: a readout, a scheme and its initial scale (0: the scheme's own), under one
// multiplier (κ's name). Its learning rates are estimated per (rank, width).
struct Arm {
  Readout readout;
  std::string scheme;
  double sigma;
  std::string multiplier;
};

// One (arm, rank, width). A replicate is one (teacher, seed), indexed by replicate_index
// (sim/analysis/statistics.hpp); "seed" below means a replicate.
struct Cell {
  // For the optimum: every rate any seed ran, grid and refined (log, ascending), and each
  // seed's log loss there, [rate][seed]; +inf where the run diverged, NaN where the seed
  // did not run that rate.
  std::vector<double> log_lr;
  std::vector<std::vector<double>> log_loss;
  // For the edges: each seed's runs, grid and refined, ascending in rate.
  std::vector<std::vector<const RunRow*>> runs_of_seed;
};

struct Grid {
  std::vector<Arm> arms;
  std::vector<std::vector<std::vector<Cell>>> cells;  // [arm][rank][width]
  std::size_t used = 0;
};

// Sorts each seed's runs by rate and tables the losses of every rate any seed ran.
// Rates that differ by a part in 10¹² (written and read back) are one rate.
void tabulate_losses(Cell& cell, LossStatistic loss) {
  std::vector<double> rates;
  for (auto& runs : cell.runs_of_seed) {
    std::sort(runs.begin(), runs.end(), [](const RunRow* a, const RunRow* b) { return a->lr_A < b->lr_A; });
    for (const RunRow* r : runs) rates.push_back(r->lr_A);
  }
  std::sort(rates.begin(), rates.end());
  auto same = [](double a, double b) { return std::abs(a - b) <= 1e-12 * std::max(a, b); };
  rates.erase(std::unique(rates.begin(), rates.end(), same), rates.end());
  for (double rate : rates) cell.log_lr.push_back(std::log(rate));
  cell.log_loss.assign(rates.size(), std::vector<double>(cell.runs_of_seed.size(), NAN));
  for (std::size_t s = 0; s < cell.runs_of_seed.size(); ++s)
    for (const RunRow* r : cell.runs_of_seed[s]) {
      const auto at = std::lower_bound(rates.begin(), rates.end(), r->lr_A, [&](double a, double b) { return a < b && !same(a, b); });
      cell.log_loss[static_cast<std::size_t>(at - rates.begin())][s] = log_loss_of(*r, loss);
    }
}

template <class Value>
std::map<Value, std::size_t> index_of(const std::vector<Value>& values) {
  std::map<Value, std::size_t> index;
  for (std::size_t i = 0; i < values.size(); ++i) index.emplace(values[i], i);
  return index;
}

// The rows placed by their values (a row of a seed outside spec.seeds is left out, so
// that a spec of some of the seeds analyses them alone).
Grid grid_of(const std::vector<RunRow>& rows, const SweepSpec& spec) {
  Grid grid;
  for (Readout readout : spec.readouts)
    for (const auto& multiplier : spec.multipliers)
      for (const auto& scheme : spec.schemes)
        for (double sigma : spec.init_sigmas.empty() ? std::vector<double>{0} : spec.init_sigmas)
          grid.arms.push_back({readout, scheme, sigma, multiplier});
  Cell empty;
  empty.runs_of_seed.resize(static_cast<std::size_t>(spec.teachers) * spec.seeds.size());
  grid.cells.assign(grid.arms.size(), std::vector<std::vector<Cell>>(spec.ranks.size(), std::vector<Cell>(spec.widths.size(), empty)));

  const auto width = index_of(spec.widths);
  const auto rank = index_of(spec.ranks);
  const auto seed = index_of(spec.seeds);
  std::map<std::tuple<Readout, std::string, double, std::string>, std::size_t> arm;
  for (std::size_t a = 0; a < grid.arms.size(); ++a)
    arm.emplace(std::tuple{grid.arms[a].readout, grid.arms[a].scheme, grid.arms[a].sigma, grid.arms[a].multiplier}, a);
  for (const RunRow& r : rows) {
    if (!seed.count(r.seed)) continue;
    const std::size_t s = replicate_index(static_cast<std::size_t>(r.teacher), seed.at(r.seed), spec.seeds.size());
    Cell& cell = grid.cells[arm.at({r.readout, r.scheme, r.init_sigma, r.multiplier})][rank.at(r.rank)][width.at(r.width)];
    cell.runs_of_seed[s].push_back(&r);
    ++grid.used;
  }
  for (auto& of_arm : grid.cells)
    for (auto& of_rank : of_arm)
      for (Cell& cell : of_rank)
        tabulate_losses(cell, spec.analysis.loss);
  return grid;
}

// ---- the estimates along an axis -------------------------------------------------------

// The points a slope is fitted over: the widths of an arm at one rank, or its ranks at one
// width. A point draws its seeds from the bootstrap's sample of its width, so that along
// the rank axis a resampled seed brings its runs at every rank (they share its student).
struct Axis {
  std::string name;                      // "width", "rank": how summary.json and the text name it
  std::vector<const Cell*> cells;        // one per point
  std::vector<int> values;               // n or r at each point, ascending
  std::vector<std::size_t> width_index;  // each point's width, an index into spec.widths
  const SeedSample& sample(std::size_t point, const WidthSamples& samples) const { return samples[width_index[point]]; }
  std::string values_text(const std::vector<std::size_t>& at) const {
    return std::to_string(values[at.front()]) + "–" + std::to_string(values[at.back()]);
  }
};

// The widths of one (arm, rank).
Axis width_axis(const std::vector<Cell>& of_rank, const SweepSpec& spec) {
  Axis axis{"width", {}, spec.widths, {}};
  for (std::size_t wi = 0; wi < spec.widths.size(); ++wi) axis.cells.push_back(&of_rank[wi]), axis.width_index.push_back(wi);
  return axis;
}

// The ranks of one arm at width index wi, ascending.
Axis rank_axis(const std::vector<std::vector<Cell>>& of_arm, std::size_t wi, const SweepSpec& spec) {
  std::vector<std::size_t> order(spec.ranks.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return spec.ranks[a] < spec.ranks[b]; });
  Axis axis{"rank", {}, {}, {}};
  for (std::size_t k : order) axis.cells.push_back(&of_arm[k][wi]), axis.values.push_back(spec.ranks[k]), axis.width_index.push_back(wi);
  return axis;
}

struct Estimate {
  double log_lr;
  bool at_edge = false;
  double best_log_loss = 0;
  bool flat = false;
  bool clamped = false;  // the optimum's vertex lay beyond its fitted points
  int points = 0;        // the rates the optimum's vertex rests on
};

// An estimator: the estimate at one point of an axis from the seeds of a sample.
using PointEstimator = std::function<std::optional<Estimate>(std::size_t point, const SeedSample&)>;

PointEstimator optimum_estimator(const Axis& axis, double window) {
  return [cells = axis.cells, window](std::size_t point, const SeedSample& sample) -> std::optional<Estimate> {
    const Cell& cell = *cells[point];
    // The seed-averaged loss at the rates every seed of the sample ran (NaN propagates
    // from a seed that did not).
    std::vector<double> log_lr, mean;
    for (std::size_t i = 0; i < cell.log_lr.size(); ++i) {
      double sum = 0;
      for (auto s : sample) sum += cell.log_loss[i][s];
      if (std::isnan(sum)) continue;
      log_lr.push_back(cell.log_lr[i]);
      mean.push_back(sum / static_cast<double>(sample.size()));
    }
    const auto fit = fit_optimum(log_lr, mean, window);
    if (!fit) return std::nullopt;
    return Estimate{fit->log_lr, fit->at_grid_edge, *std::min_element(mean.begin(), mean.end()), fit->flat, fit->clamped, fit->points};
  };
}

// Each seed's edge under one measure, computed once: the geometric midpoint of its last
// monotone stable rate and the first failure above it (sim/sweep/stability.hpp: a stable island
// above a failure does not move it; the edge lies between them, so the midpoint's error
// is half the bracket's: refinement's precision, or half a grid step), and whether there
// is no rate above it (the edge lies beyond the rates trained: then the largest stable
// rate, a lower bound).
struct SeedEdges {
  std::vector<std::optional<double>> log_lr;  // [seed]; none: no stable rate
  std::vector<bool> beyond;
  std::vector<bool> non_monotone;             // stable again above its first failure
};

SeedEdges edges_of(const Cell& cell, const StabilityMeasure& measure, const SweepSpec& spec) {
  const std::size_t seeds = cell.runs_of_seed.size();
  SeedEdges edges{std::vector<std::optional<double>>(seeds), std::vector<bool>(seeds), std::vector<bool>(seeds)};
  for (std::size_t s = 0; s < seeds; ++s) {
    const auto& runs = cell.runs_of_seed[s];
    const SeedEdge edge = seed_edge(runs, measure, spec);
    edges.non_monotone[s] = edge.non_monotone;
    const std::optional<std::size_t> last_stable = edge.last_monotone_stable;
    if (!last_stable) continue;
    const std::size_t i = *last_stable;
    edges.beyond[s] = i + 1 == runs.size();
    edges.log_lr[s] = edges.beyond[s] ? std::log(runs[i]->lr_A) : 0.5 * (std::log(runs[i]->lr_A) + std::log(runs[i + 1]->lr_A));
  }
  return edges;
}

// The mean of the sampled seeds' own log estimates at one point; none where a sampled seed
// has none. The maximal stable rate is its exponential, the geometric mean of the edges.
std::optional<double> mean_over_sample(const std::vector<std::optional<double>>& of_seed, const SeedSample& sample) {
  double sum = 0;
  for (auto s : sample) {
    if (!of_seed[s]) return std::nullopt;
    sum += *of_seed[s];
  }
  return sum / static_cast<double>(sample.size());
}

PointEstimator edge_estimator(const Axis& axis, const StabilityMeasure& measure, const SweepSpec& spec) {
  std::vector<SeedEdges> edges;
  for (const Cell* cell : axis.cells) edges.push_back(edges_of(*cell, measure, spec));
  return [edges = std::move(edges)](std::size_t point, const SeedSample& sample) -> std::optional<Estimate> {
    const auto mean = mean_over_sample(edges[point].log_lr, sample);
    if (!mean) return std::nullopt;
    Estimate e{*mean};
    for (auto s : sample) e.at_edge = e.at_edge || edges[point].beyond[s];
    return e;
  };
}

// An estimator at one point: the point estimate from every seed, and the estimates of
// the bootstrap's resamples (those that have one).
struct Bootstrapped {
  std::optional<Estimate> point;
  std::vector<Estimate> replicates;
};

Bootstrapped bootstrapped(const PointEstimator& estimate, const Axis& axis, std::size_t point, const SeedBootstrap& bootstrap) {
  Bootstrapped b{estimate(point, axis.sample(point, bootstrap.everyone)), {}};
  for (const auto& sample : bootstrap.resamples)
    if (auto r = estimate(point, axis.sample(point, sample))) b.replicates.push_back(*r);
  return b;
}

// The learning rate and its 95% bootstrap interval.
LrEstimate lr_estimate(const Bootstrapped& b) {
  LrEstimate out;
  std::vector<double> replicates;
  for (const Estimate& r : b.replicates) replicates.push_back(r.log_lr);
  if (b.point) out.lr = std::exp(b.point->log_lr);
  if (auto i = percentile_interval(replicates)) out.interval = Interval{std::exp(i->low), std::exp(i->high)};
  out.at_grid_edge = b.point && b.point->at_edge;
  return out;
}

// A maximal stable rate at one width, with the seeds whose runs are stable again above
// their first failure (those the edge's definition keeps from moving it).
LrEstimate edge_estimate(const PointEstimator& edge, const Axis& widths, std::size_t wi, const StabilityMeasure& measure,
                         const SweepSpec& spec, const SeedBootstrap& bootstrap) {
  LrEstimate e = lr_estimate(bootstrapped(edge, widths, wi, bootstrap));
  const std::vector<bool> non_monotone = edges_of(*widths.cells[wi], measure, spec).non_monotone;
  e.non_monotone_seeds = static_cast<int>(std::count(non_monotone.begin(), non_monotone.end(), true));
  return e;
}

// ---- slopes ----------------------------------------------------------------------------

// The least share of a slope's bootstrap replicates that must be kept for it to have an
// interval.
constexpr double kMinKeptShare = 0.5;

// The estimates at the points `fitted` of an axis, from every seed and from each resample
// (sim/analysis/slope_verdicts.hpp turns them into a slope and its verdicts), with the
// resamples left out of the slope over all of them and those kept with a stand-in, each
// counted by why (summary.hpp: LeftOutReplicates, StandInReplicates). A resample's
// estimate at a point is left out where it has none or lies beyond the rates trained
// (only a bound: the point slope leaves such widths out too). A flat optimum (a plateau's
// middle) or a vertex clamped to its fitted points is the estimator's own answer, as it
// is for the point estimate: kept, since leaving it out would keep only the resamples
// whose optima happen to be located — at ten widths, a third of them. Where fewer than
// kMinKeptShare of the resamples keep every point, the rest are such a selection, and an
// interval from them can exclude the slope itself: then no resample is kept, the slope
// has no interval, and its counts say why.
struct FittedEstimates {
  AxisEstimates points;
  LeftOutReplicates left_out;
  StandInReplicates stand_ins;
};
FittedEstimates estimates_at(const PointEstimator& estimate, const Axis& axis, const std::vector<std::size_t>& fitted,
                             const SeedBootstrap& bootstrap, std::size_t units) {
  FittedEstimates out;
  AxisEstimates& points = out.points;
  points.units = units;
  points.independent_points = axis.name == "width";  // the ranks of one width share each seed's student
  for (std::size_t point : fitted) {
    points.values.push_back(axis.values[point]);
    points.estimates.push_back(estimate(point, axis.sample(point, bootstrap.everyone))->log_lr);
  }
  std::size_t complete = 0;
  for (const auto& sample : bootstrap.resamples) {
    std::vector<std::optional<double>> at_points;
    std::size_t* left_out = nullptr;  // the first point's reason to leave this resample out
    std::size_t* stand_in = nullptr;  // the first point's stand-in
    for (std::size_t point : fitted) {
      const auto r = estimate(point, axis.sample(point, sample));
      std::size_t* reason = !r ? &out.left_out.no_estimate : r->at_edge ? &out.left_out.at_grid_edge : nullptr;
      at_points.push_back(reason ? std::nullopt : std::optional(r->log_lr));
      if (!left_out) left_out = reason;
      if (!stand_in && r) stand_in = r->flat ? &out.stand_ins.flat : r->clamped ? &out.stand_ins.clamped : nullptr;
    }
    if (left_out) {
      ++*left_out;
    } else {
      ++complete;
      if (stand_in) ++*stand_in;
    }
    points.replicates.push_back(std::move(at_points));
  }
  if (static_cast<double>(complete) < kMinKeptShare * static_cast<double>(bootstrap.resamples.size())) points.replicates.clear();
  return out;
}

// The slope of one estimator over the axis's points among `slope_points` whose estimate
// lies inside the rates trained (an estimate at the edge only bounds the true value).
SlopeSummary fit_slope(const PointEstimator& estimate, const Axis& axis, const std::vector<int>& slope_points,
                       const SeedBootstrap& bootstrap, const SlopeTarget& target, const VerdictRules& rules, std::size_t units) {
  std::vector<std::size_t> fitted;
  for (std::size_t point = 0; point < axis.values.size(); ++point) {
    auto e = estimate(point, axis.sample(point, bootstrap.everyone));
    if (e && !e->at_edge && std::find(slope_points.begin(), slope_points.end(), axis.values[point]) != slope_points.end())
      fitted.push_back(point);
  }
  const FittedEstimates estimates = estimates_at(estimate, axis, fitted, bootstrap, units);
  SlopeSummary s = summarise_slope(estimates.points, target, rules, axis.name);
  s.left_out = estimates.left_out;
  s.stand_ins = estimates.stand_ins;
  return s;
}

// ---- one arm, along each axis -----------------------------------------------------------

// The estimators of one axis: the optimum, and the maximal stable rate under each
// stability measure (in the order of stability_measures: the final loss first).
struct Estimators {
  PointEstimator optimum;
  std::vector<PointEstimator> edges;
};

Estimators estimators_of(const Axis& axis, const std::vector<StabilityMeasure>& measures, const SweepSpec& spec) {
  Estimators e{optimum_estimator(axis, spec.analysis.optimum_window), {}};
  for (const auto& m : measures) e.edges.push_back(edge_estimator(axis, m, spec));
  return e;
}

// What a slope is held against: along the width, the engine's exponent of n at a fixed
// rank; along the rank, its exponent of r (η_max = Θ(n^a r^b), gamma::max_stable_law).
// The optimum against the stable region's supremum, where paper 003's efficient learning
// puts it; a stability criterion against the bound it sees.
enum class Along { Width, Rank };
SlopeTarget target_of(const EnginePrediction& prediction, gamma::Region gamma::Verdicts::*bound, Along along) {
  if (along == Along::Width) return {gamma::verdict_kind(bound).label, prediction.supremum_of(bound), prediction.module};
  return {gamma::verdict_kind(bound).label, prediction.rank_exponent_of(bound), prediction.module_rank_exponent};
}

// The slopes along an axis: the optimum's, then one per stability measure.
struct AxisSlopes {
  SlopeSummary optimal;
  std::vector<SlopeSummary> measures;
};

// The bounds a sweep's slopes are held against: the stable region's supremum (the optimum),
// then each stability measure's.
std::vector<gamma::Region gamma::Verdicts::*> bounds_of(const std::vector<StabilityMeasure>& measures) {
  std::vector<gamma::Region gamma::Verdicts::*> bounds = {&gamma::Verdicts::stable};
  for (const auto& m : measures) bounds.push_back(bound_of(m.criterion));
  return bounds;
}

// What every slope of a sweep shares: the bootstrap, the number of independent units
// behind each estimate (every (teacher, seed)), and the verdict rules along each axis.
struct SlopeSetting {
  const SeedBootstrap& bootstrap;
  std::size_t units;
  VerdictRules along_width, along_rank;
};

// The figure's candidate exponents along an axis: every exponent the engine gives a slope
// of the sweep along it (any arm, any bound), and 0 (a rate that does not move with n or r).
std::vector<gamma::Rational> candidates_of(const std::vector<EnginePrediction>& predictions, const std::vector<StabilityMeasure>& measures,
                                           Along along) {
  std::vector<gamma::Rational> candidates = {gamma::Rational(0)};
  for (const auto& prediction : predictions)
    for (auto bound : bounds_of(measures))
      if (auto e = target_of(prediction, bound, along).engine; e && std::find(candidates.begin(), candidates.end(), *e) == candidates.end())
        candidates.push_back(*e);
  std::sort(candidates.begin(), candidates.end());
  return candidates;
}

// The least-squares slope of the point estimates at the axis's points whose values are
// `values`; none where one has no estimate.
std::optional<double> point_slope(const PointEstimator& estimate, const Axis& axis, const std::vector<int>& values,
                                  const SeedBootstrap& bootstrap) {
  std::vector<double> x, y;
  for (std::size_t point = 0; point < axis.values.size(); ++point) {
    if (std::find(values.begin(), values.end(), axis.values[point]) == values.end()) continue;
    const auto e = estimate(point, axis.sample(point, bootstrap.everyone));
    if (!e) return std::nullopt;
    x.push_back(std::log(static_cast<double>(axis.values[point])));
    y.push_back(e->log_lr);
  }
  if (x.size() < 2) return std::nullopt;
  return least_squares_slope(x, y);
}

// The optimum's slope refitted over the same points with half and twice the window: how
// much of the slope the window decides.
WindowSensitivity window_sensitivity(const Axis& axis, const SlopeSummary& optimal, const SweepSpec& spec, const SeedBootstrap& bootstrap) {
  auto refit = [&](double window) { return point_slope(optimum_estimator(axis, window), axis, optimal.points_used, bootstrap); };
  WindowSensitivity w{refit(spec.analysis.optimum_window / 2), refit(spec.analysis.optimum_window * 2), std::nullopt};
  if (optimal.slope && w.half_window && w.twice_window)
    w.spread = std::max({*optimal.slope, *w.half_window, *w.twice_window}) - std::min({*optimal.slope, *w.half_window, *w.twice_window});
  return w;
}

// The internal criterion's thresholds: internal_bound times these. Its edges at each are
// read from the same runs (runs.csv records the RMS of s·Z_B at each horizon), so the
// slope's dependence on the threshold costs no training.
constexpr std::array<double, 3> kInternalBoundFactors = {0.1, 1, 10};

AxisSlopes slopes_along(const Axis& axis, const Estimators& estimators, const std::vector<StabilityMeasure>& measures,
                        const std::vector<int>& slope_points, const SlopeSetting& setting, const EnginePrediction& prediction,
                        Along along, const SweepSpec& spec) {
  const VerdictRules& rules = along == Along::Width ? setting.along_width : setting.along_rank;
  auto fit = [&](const PointEstimator& estimator, gamma::Region gamma::Verdicts::*bound) {
    return fit_slope(estimator, axis, slope_points, setting.bootstrap, target_of(prediction, bound, along), rules, setting.units);
  };
  AxisSlopes slopes{fit(estimators.optimum, &gamma::Verdicts::stable), {}};
  slopes.optimal.window_sensitivity = window_sensitivity(axis, slopes.optimal, spec, setting.bootstrap);
  for (std::size_t m = 0; m < measures.size(); ++m) {
    slopes.measures.push_back(fit(estimators.edges[m], bound_of(measures[m].criterion)));
    if (measures[m].criterion != Criterion::Internal) continue;
    // The internal criterion's slope with its edges read at each threshold.
    for (double factor : kInternalBoundFactors) {
      SweepSpec at = spec;
      at.analysis.internal_bound = spec.analysis.internal_bound * factor;
      const SlopeSummary s = fit(edge_estimator(axis, measures[m], at), bound_of(measures[m].criterion));
      slopes.measures.back().thresholds.push_back({at.analysis.internal_bound, s.slope, s.interval, s.verdict_network});
    }
  }
  return slopes;
}


// The optimum's estimates at one width: point, interval, the best loss, and the
// sensitivity to the window.
void summarise_optimum(WidthSummary& w, const Axis& widths, std::size_t wi, const PointEstimator& optimum, const SweepSpec& spec,
                       const SeedBootstrap& bootstrap) {
  const double window = spec.analysis.optimum_window;
  const Bootstrapped b = bootstrapped(optimum, widths, wi, bootstrap);
  w.optimal = lr_estimate(b);
  if (!b.point) return;
  w.optimal_flat = b.point->flat;
  w.optimal_points = b.point->points;
  std::vector<double> best_losses;
  for (const Estimate& r : b.replicates) best_losses.push_back(r.best_log_loss);
  w.best_mean_log_loss = b.point->best_log_loss;
  w.best_mean_log_loss_interval = percentile_interval(best_losses);
  const SeedSample& everyone = widths.sample(wi, bootstrap.everyone);
  if (auto half = optimum_estimator(widths, window / 2)(wi, everyone)) w.optimal_lr_half_window = std::exp(half->log_lr);
  if (auto twice = optimum_estimator(widths, window * 2)(wi, everyone)) w.optimal_lr_twice_window = std::exp(twice->log_lr);
}

// The engine's predictions for an arm. With its own σ a scheme is no longer the engine's
// preset (the reproduce command's variance experiment sets σ's exponents beside the
// measurement instead).
EnginePrediction prediction_of(const Arm& arm, const SweepSpec& spec) {
  return arm.sigma > 0 ? EnginePrediction{} : predict_max_stable_exponent(spec, arm.scheme, arm.readout, arm.multiplier);
}

// One (arm, rank) across the widths.
ArmSummary summarise_arm(const Arm& arm, int rank, const std::vector<Cell>& of_rank, const EnginePrediction& prediction,
                         const SweepSpec& spec, const std::vector<int>& slope_widths, const SlopeSetting& setting) {
  const SeedBootstrap& bootstrap = setting.bootstrap;
  ArmSummary summary;
  summary.scheme = arm.scheme;
  summary.readout = arm.readout;
  summary.rank = rank;
  summary.multiplier = arm.multiplier;
  if (arm.sigma > 0) summary.init_sigma = arm.sigma;
  summary.engine_network = exact_exponent(prediction.network);
  summary.engine_module = exact_exponent(prediction.module);
  summary.engine_f_bounded = exact_exponent(prediction.supremum_of(&gamma::Verdicts::network_output_bounded));
  summary.engine_Z_B_bounded = exact_exponent(prediction.supremum_of(&gamma::Verdicts::lora_output_bounded));

  const std::vector<StabilityMeasure> measures = stability_measures(spec);
  const Axis widths = width_axis(of_rank, spec);
  const Estimators estimators = estimators_of(widths, measures, spec);
  for (std::size_t wi = 0; wi < spec.widths.size(); ++wi) {
    WidthSummary w;
    w.width = spec.widths[wi];
    summarise_optimum(w, widths, wi, estimators.optimum, spec, bootstrap);
    w.max_stable = edge_estimate(estimators.edges.front(), widths, wi, measures.front(), spec, bootstrap);
    summary.widths.push_back(w);
  }
  AxisSlopes slopes = slopes_along(widths, estimators, measures, slope_widths, setting, prediction, Along::Width, spec);
  summary.optimal_slope = std::move(slopes.optimal);
  summary.max_stable_slope = std::move(slopes.measures.front());
  for (std::size_t m = 1; m < measures.size(); ++m) {
    StabilitySummary s{measures[m].criterion, spec.training.horizons[measures[m].horizon], {}, std::move(slopes.measures[m])};
    for (std::size_t wi = 0; wi < spec.widths.size(); ++wi) s.widths.push_back(edge_estimate(estimators.edges[m], widths, wi, measures[m], spec, bootstrap));
    summary.stability.push_back(std::move(s));
  }
  return summary;
}

// One arm at one width across the ranks.
RankSlopes summarise_ranks(const Arm& arm, std::size_t wi, const std::vector<std::vector<Cell>>& of_arm, const EnginePrediction& prediction,
                           const SweepSpec& spec, const SlopeSetting& setting) {
  const std::vector<StabilityMeasure> measures = stability_measures(spec);
  const Axis ranks = rank_axis(of_arm, wi, spec);
  AxisSlopes slopes = slopes_along(ranks, estimators_of(ranks, measures, spec), measures, ranks.values, setting, prediction, Along::Rank, spec);
  RankSlopes summary;
  summary.scheme = arm.scheme;
  summary.readout = arm.readout;
  summary.multiplier = arm.multiplier;
  if (arm.sigma > 0) summary.init_sigma = arm.sigma;
  summary.width = spec.widths[wi];
  summary.ranks = ranks.values;
  summary.optimal_slope = std::move(slopes.optimal);
  summary.max_stable_slope = std::move(slopes.measures.front());
  for (std::size_t m = 1; m < measures.size(); ++m)
    summary.stability.push_back({measures[m].criterion, spec.training.horizons[measures[m].horizon], std::move(slopes.measures[m])});
  return summary;
}

// Every slope of a summary, along the width and along the rank.
template <class Slopes>
void add_slopes_of(Slopes& arm, std::vector<SlopeSummary*>& slopes) {
  slopes.push_back(&arm.optimal_slope);
  slopes.push_back(&arm.max_stable_slope);
  for (auto& s : arm.stability) slopes.push_back(&s.slope);
}
std::vector<SlopeSummary*> every_slope(SweepSummary& summary) {
  std::vector<SlopeSummary*> slopes;
  for (auto& arm : summary.arms) add_slopes_of(arm, slopes);
  for (auto& r : summary.rank_slopes) add_slopes_of(r, slopes);
  return slopes;
}

// The primary slopes ([analysis] primary): each arm's slope of each primary measure along
// the width, a stability criterion's at the last horizon.
std::vector<SlopeSummary*> primary_slopes(SweepSummary& summary, const SweepSpec& spec) {
  const auto& primary = spec.analysis.primary;
  auto is_primary = [&](const std::string& measure) { return std::find(primary.begin(), primary.end(), measure) != primary.end(); };
  std::vector<SlopeSummary*> slopes;
  for (auto& arm : summary.arms) {
    if (is_primary(estimators().name(Estimator::Optimal))) slopes.push_back(&arm.optimal_slope);
    if (is_primary(stability_criteria().name(Criterion::FinalLoss))) slopes.push_back(&arm.max_stable_slope);
    for (auto& s : arm.stability)
      if (s.horizon == spec.training.horizons.back() && is_primary(stability_criteria().name(s.criterion))) slopes.push_back(&s.slope);
  }
  return slopes;
}

// The analysis of rows already known to belong to the spec.
SweepSummary summarise(const std::vector<RunRow>& rows, const SweepSpec& spec) {
  const Grid grid = grid_of(rows, spec);
  const auto teachers = static_cast<std::size_t>(spec.teachers);
  const SeedBootstrap bootstrap = bootstrap_over_seeds(spec.widths.size(), teachers, spec.seeds.size(), spec.analysis.bootstrap, "bootstrap");
  std::vector<EnginePrediction> predictions;
  for (const Arm& arm : grid.arms) predictions.push_back(prediction_of(arm, spec));
  const std::vector<StabilityMeasure> measures = stability_measures(spec);
  // Every (teacher, seed) at a width is its own student: the units of the interval's
  // small-sample correction (the intervals of docs/simulator.md, "`gammalab analyze DIR`").
  const SlopeSetting setting{bootstrap, teachers * spec.seeds.size(),
                             {spec.analysis.margin, candidates_of(predictions, measures, Along::Width)},
                             {spec.analysis.margin, candidates_of(predictions, measures, Along::Rank)}};
  SweepSummary summary;
  summary.loss_statistic = loss_statistics().name(spec.analysis.loss);
  summary.stable_factor = spec.analysis.stable_factor;
  summary.optimum_window = spec.analysis.optimum_window;
  summary.edge_factor = spec.analysis.edge_factor;
  summary.internal_bound = spec.analysis.internal_bound;
  summary.margin = spec.analysis.margin;
  for (const auto& c : setting.along_width.candidates) summary.candidates.push_back(*exact_exponent(c));
  summary.horizons = spec.training.horizons;
  summary.bootstrap_resamples = bootstrap.resamples.size();
  summary.teachers = teachers;
  summary.seeds = spec.seeds.size();
  summary.runs_used = grid.used;
  summary.slope_widths = slope_widths_of(spec);
  for (std::size_t a = 0; a < grid.arms.size(); ++a) {
    for (std::size_t k = 0; k < spec.ranks.size(); ++k)
      summary.arms.push_back(summarise_arm(grid.arms[a], spec.ranks[k], grid.cells[a][k], predictions[a], spec, summary.slope_widths, setting));
    if (spec.ranks.size() > 1)
      for (std::size_t wi = 0; wi < spec.widths.size(); ++wi)
        summary.rank_slopes.push_back(summarise_ranks(grid.arms[a], wi, grid.cells[a], predictions[a], spec, setting));
  }
  summary.multiplicity = apply_multiplicity(every_slope(summary), primary_slopes(summary, spec));
  return summary;
}

}  // namespace

std::vector<int> slope_widths_of(const SweepSpec& spec) {
  std::vector<int> widths;
  for (int width : spec.widths)
    if ((spec.analysis.slope_min_width == 0 || width >= spec.analysis.slope_min_width) &&
        (spec.analysis.slope_max_width == 0 || width <= spec.analysis.slope_max_width))
      widths.push_back(width);
  return widths;
}

AxisEstimates seed_mean_estimates(const std::vector<int>& widths, const std::vector<std::vector<std::optional<double>>>& log_lr,
                                  const SeedBootstrap& bootstrap) {
  Axis axis{"width", {}, widths, {}};
  std::vector<std::size_t> fitted;
  const PointEstimator estimate = [&](std::size_t point, const SeedSample& sample) -> std::optional<Estimate> {
    if (auto mean = mean_over_sample(log_lr[point], sample)) return Estimate{*mean};
    return std::nullopt;
  };
  for (std::size_t wi = 0; wi < widths.size(); ++wi) {
    axis.width_index.push_back(wi);
    if (estimate(wi, bootstrap.everyone[wi])) fitted.push_back(wi);
  }
  return estimates_at(estimate, axis, fitted, bootstrap, bootstrap.everyone.front().size()).points;
}

SweepSummary analyse_runs(const std::vector<RunRow>& rows, const SweepSpec& spec) {
  check_rows_against_plan(rows, spec, Shard{}, false, "runs.csv");
  return summarise(rows, spec);
}

SeedHalves analyse_seed_halves(const std::vector<RunRow>& rows, const SweepSpec& spec) {
  check_rows_against_plan(rows, spec, Shard{}, false, "runs.csv");
  if (spec.seeds.size() < 4)
    throw InputError(request_names().split_seeds + ": the sweep has " + std::to_string(spec.seeds.size()) +
                     " seeds; two halves with a bootstrap interval each need at least 4");
  SeedHalves halves;
  const std::size_t half = spec.seeds.size() / 2;
  SweepSpec first = spec, second = spec;
  first.seeds.assign(spec.seeds.begin(), spec.seeds.begin() + static_cast<std::ptrdiff_t>(half));
  second.seeds.assign(spec.seeds.begin() + static_cast<std::ptrdiff_t>(half), spec.seeds.end());
  halves.seeds = {first.seeds, second.seeds};
  halves.summaries = {summarise(rows, first), summarise(rows, second)};
  return halves;
}

namespace {

// Every slope of an arm (ArmSummary, or RankSlopes) with the name of its measure.
template <class Slopes>
std::vector<std::pair<std::string, const SlopeSummary*>> slopes_of(const Slopes& arm) {
  std::vector<std::pair<std::string, const SlopeSummary*>> slopes = {
      {estimators().name(Estimator::Optimal), &arm.optimal_slope},
      {stability_criteria().name(Criterion::FinalLoss), &arm.max_stable_slope}};
  for (const auto& s : arm.stability)
    slopes.emplace_back(stability_criteria().name(s.criterion) + "@" + std::to_string(s.horizon), &s.slope);
  return slopes;
}

// Whether the rank and the multiplier are axes of the summary's sweep: the texts name
// them only then.
struct VaryingAxes {
  bool rank = false, multiplier = false;
};
VaryingAxes varying_axes(const SweepSummary& summary) {
  VaryingAxes v;
  for (const auto& arm : summary.arms) {
    v.rank = v.rank || arm.rank != summary.arms.front().rank;
    v.multiplier = v.multiplier || arm.multiplier != summary.arms.front().multiplier;
  }
  return v;
}

// "A (sp readout)", with the multiplier and the rank where the sweep varies them.
template <class Slopes>
std::string arm_name(const Slopes& arm, const VaryingAxes& varying, const std::string& where) {
  std::string name = arm.scheme + " (" + gamma::readouts().name(arm.readout) + " readout";
  if (varying.multiplier) name += ", " + arm.multiplier;
  return name + ")" + where;
}

// The two halves' slopes of one arm, measure by measure.
template <class Slopes>
void compare(const Slopes& first, const Slopes& second, const std::string& arm, const std::string& axis,
             std::vector<HalfComparison>& comparisons) {
  const auto one = slopes_of(first), other = slopes_of(second);
  for (std::size_t m = 0; m < one.size(); ++m) {
    HalfComparison c{arm, one[m].first + axis, {*one[m].second, *other[m].second}};
    const auto& i = c.halves[0].interval;
    const auto& j = c.halves[1].interval;
    c.intervals_overlap = i && j && i->low <= j->high && j->low <= i->high;
    c.same_verdict = c.halves[0].verdict_network == c.halves[1].verdict_network;
    comparisons.push_back(std::move(c));
  }
}

}  // namespace

std::vector<HalfComparison> compare_halves(const SeedHalves& halves) {
  std::vector<HalfComparison> comparisons;
  const auto& [first, second] = halves.summaries;
  const VaryingAxes varying = varying_axes(first);
  for (std::size_t a = 0; a < first.arms.size(); ++a)
    compare(first.arms[a], second.arms[a],
            arm_name(first.arms[a], varying, varying.rank ? " at rank " + std::to_string(first.arms[a].rank) : ""), "", comparisons);
  for (std::size_t r = 0; r < first.rank_slopes.size(); ++r)
    compare(first.rank_slopes[r], second.rank_slopes[r],
            arm_name(first.rank_slopes[r], varying, " at width " + std::to_string(first.rank_slopes[r].width)), " in r", comparisons);
  return comparisons;
}

nlohmann::json seed_halves_json(const SeedHalves& halves) {
  nlohmann::json comparisons = nlohmann::json::array();
  for (const auto& c : compare_halves(halves)) {
    nlohmann::json row = {{"arm", c.arm}, {"measure", c.measure}, {"intervals_overlap", c.intervals_overlap},
                          {"same_verdict", c.same_verdict}, {"agree", c.agree()}};
    for (int h = 0; h < 2; ++h)
      row["halves"].push_back({{"slope", c.halves[h].slope ? nlohmann::json(*c.halves[h].slope) : nlohmann::json()},
                               {"interval", c.halves[h].interval ? nlohmann::json(*c.halves[h].interval) : nlohmann::json()},
                               {"verdict", statistical_verdicts().name(c.halves[h].verdict_network)}});
    comparisons.push_back(row);
  }
  return {{"version", kSplitSeedsVersion}, {"seeds", halves.seeds}, {"summaries", halves.summaries}, {"comparisons", comparisons}};
}

// ---- in words -------------------------------------------------------------------------

std::string describe_analysis(const SweepSummary& summary) {
  std::ostringstream out;
  out << "loss: " << summary.loss_statistic << " (seed-averaged log; optimum: parabola within " << summary.optimum_window
      << " of the best), " << summary.teachers << (summary.teachers == 1 ? " teacher × " : " teachers × ") << summary.seeds << " seeds, " << summary.bootstrap_resamples
      << " bootstrap resamples\nstable: final loss — final train loss ≤ " << summary.stable_factor
      << " × initial; output — largest train loss so far ≤ " << summary.edge_factor
      << " × initial; internal — RMS of s·Z_B ≤ " << summary.internal_bound << "\n";
  // The tables every face draws (sim/analysis/results_view.hpp), the estimates before their slopes.
  const ResultsView view = results_view(summary);
  for (const char* name : {"widths", "slopes"}) {
    const ViewTable& table = view.table(name);
    out << "\n" << table.title << ":\n" << render_text(table);
  }
  out << "\n" << multiplicity_line(summary) << "\n";
  return out.str();
}

std::string slope_text(std::optional<double> slope, const std::optional<Interval>& interval) {
  char text[96];
  if (!slope) return "none";
  if (!interval) std::snprintf(text, sizeof text, "%.2f (no interval)", *slope);
  else std::snprintf(text, sizeof text, "%.2f [%.2f, %.2f]", *slope, interval->low, interval->high);
  return text;
}

std::string describe_seed_halves(const SeedHalves& halves) {
  std::ostringstream out;
  out << "seeds split in two halves, each analysed on its own (" << halves.seeds[0].size() << " and " << halves.seeds[1].size()
      << " seeds)\n";
  char line[512];
  std::snprintf(line, sizeof line, "  %-24s %-14s %-24s %-9s %-24s %-9s %s\n", "arm", "measure", "first half", "verdict", "second half",
                "verdict", "agree");
  out << line;
  std::size_t agreeing = 0;
  const auto comparisons = compare_halves(halves);
  for (const auto& c : comparisons) {
    agreeing += c.agree();
    std::snprintf(line, sizeof line, "  %-24s %-14s %-24s %-9s %-24s %-9s %s\n", c.arm.c_str(), c.measure.c_str(),
                  slope_text(c.halves[0].slope, c.halves[0].interval).c_str(),
                  statistical_verdicts().name(c.halves[0].verdict_network).c_str(),
                  slope_text(c.halves[1].slope, c.halves[1].interval).c_str(),
                  statistical_verdicts().name(c.halves[1].verdict_network).c_str(),
                  c.agree()                                                      ? "yes"
                  : !c.halves[0].interval || !c.halves[1].interval ? "no: a half has no interval"
                  : !c.intervals_overlap                           ? "no: intervals apart"
                                                                   : "no: verdicts differ");
    out << line;
  }
  out << agreeing << " of " << comparisons.size() << " slopes agree between the halves\n";
  return out.str();
}

std::string describe_analysis(const nlohmann::json& summary) { return describe_analysis(summary.get<SweepSummary>()); }

}  // namespace gammalab::sim
