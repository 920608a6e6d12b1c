#include "sim/analysis.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>

#include "gamma/input_error.hpp"
#include "sim/optimum.hpp"
#include "sim/prediction.hpp"
#include "sim/refinement.hpp"
#include "sim/stability.hpp"
#include "sim/sweep.hpp"

namespace gammalab::sim {

namespace {

// ---- the runs on the grid of (arm, width, seed) ---------------------------------------

// An arm: a readout, a scheme and its initial scale (0: the scheme's own).
struct Arm {
  Readout readout;
  std::string scheme;
  double sigma;
};

// One (arm, width).
struct Cell {
  // For the optimum: the grid's rates (log, ascending) and each seed's log loss there,
  // [rate][seed]; +inf where the run diverged or is missing.
  std::vector<double> grid_log_lr;
  std::vector<std::vector<double>> grid_log_loss;
  // For the edges: each seed's runs, grid and refined, ascending in rate.
  std::vector<std::vector<const RunRow*>> runs_of_seed;
};

struct Grid {
  std::vector<Arm> arms;
  std::vector<std::vector<Cell>> cells;  // [arm][width]
  std::size_t used = 0;
};

// The log of the loss statistic the spec asks for; +inf for a diverged run.
double log_loss_of(const RunRow& r, LossStatistic loss) {
  if (r.diverged) return INFINITY;
  switch (loss) {
    case LossStatistic::FinalTrain: return std::log(r.final_train_loss);
    case LossStatistic::FinalTest: return std::log(r.final_test_loss);
    case LossStatistic::LastKTrain: return std::log(r.mean_last_train_loss);
  }
  throw std::logic_error("a loss statistic without a case");
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
    for (const auto& scheme : spec.schemes)
      for (double sigma : spec.init_sigmas.empty() ? std::vector<double>{0} : spec.init_sigmas) grid.arms.push_back({readout, scheme, sigma});
  std::vector<double> sorted = spec.learning_rates;
  std::sort(sorted.begin(), sorted.end());
  Cell empty;
  for (double lr : sorted) empty.grid_log_lr.push_back(std::log(lr));
  empty.grid_log_loss.assign(sorted.size(), std::vector<double>(spec.seeds.size(), INFINITY));
  empty.runs_of_seed.resize(spec.seeds.size());
  grid.cells.assign(grid.arms.size(), std::vector<Cell>(spec.widths.size(), empty));

  const auto width = index_of(spec.widths);
  const auto seed = index_of(spec.seeds);
  const auto rate = index_of(sorted);
  std::map<std::tuple<Readout, std::string, double>, std::size_t> arm;
  for (std::size_t a = 0; a < grid.arms.size(); ++a) arm.emplace(std::tuple{grid.arms[a].readout, grid.arms[a].scheme, grid.arms[a].sigma}, a);
  for (const RunRow& r : rows) {
    if (!seed.count(r.seed)) continue;
    const std::size_t s = seed.at(r.seed);
    Cell& cell = grid.cells[arm.at({r.readout, r.scheme, r.init_sigma})][width.at(r.width)];
    if (r.round == 0) cell.grid_log_loss[rate.at(r.lr_A)][s] = log_loss_of(r, spec.analysis.loss);
    cell.runs_of_seed[s].push_back(&r);
    ++grid.used;
  }
  for (auto& cells : grid.cells)
    for (Cell& cell : cells)
      for (auto& runs : cell.runs_of_seed)
        std::sort(runs.begin(), runs.end(), [](const RunRow* a, const RunRow* b) { return a->lr_A < b->lr_A; });
  return grid;
}

// Every row must be a configuration of the spec: a grid row the one its id names, a
// refined row one that refinement proposes from the rows (sim/refinement.hpp).
void check_rows_belong(const std::vector<RunRow>& rows, const SweepSpec& spec) {
  const std::vector<Configuration> grid = enumerate_configurations(spec);
  std::map<std::size_t, Configuration> refined;
  for (const auto& c : refined_configurations(spec, rows)) refined.emplace(c.id, c);
  std::set<std::size_t> seen;
  for (const RunRow& r : rows) {
    auto is = [&](const Configuration& c) {
      return c.scheme == r.scheme && c.width == r.width && c.seed == r.seed && c.lr_A == r.lr_A && c.init_sigma == r.init_sigma &&
             c.readout == r.readout && c.round == r.round;
    };
    const bool known = r.round == 0 ? r.id < grid.size() && is(grid[r.id]) : refined.count(r.id) && is(refined.at(r.id));
    if (!known)
      throw InputError("runs.csv: the row of configuration " + std::to_string(r.id) + " (" + r.scheme + ", width " +
                       std::to_string(r.width) + ", seed " + std::to_string(r.seed) + ", round " + std::to_string(r.round) +
                       ") is not that configuration of the manifest's spec: the runs are of another sweep, or were edited");
    std::vector<int> horizons;
    for (const auto& h : r.horizons) horizons.push_back(h.step);
    if (horizons != spec.training.horizons)
      throw InputError("runs.csv: configuration " + std::to_string(r.id) +
                       " has the columns of other horizons than the spec's [analysis] horizons");
    if (!seen.insert(r.id).second)
      throw InputError("runs.csv: configuration " + std::to_string(r.id) + " appears twice; a row was copied or edited");
  }
}

// ---- the estimates of one (arm, width) ------------------------------------------------

struct Estimate {
  double log_lr;
  bool at_edge = false;
  double best_log_loss = 0;
  bool flat = false;
};

// An estimator: the estimate at width index wi from the seeds of a sample.
using WidthEstimator = std::function<std::optional<Estimate>(std::size_t wi, const SeedSample&)>;

WidthEstimator optimum_estimator(const std::vector<Cell>& cells, double window) {
  return [&cells, window](std::size_t wi, const SeedSample& sample) -> std::optional<Estimate> {
    const Cell& cell = cells[wi];
    std::vector<double> mean(cell.grid_log_lr.size());
    for (std::size_t i = 0; i < mean.size(); ++i) {
      double sum = 0;
      for (auto s : sample) sum += cell.grid_log_loss[i][s];
      mean[i] = sum / static_cast<double>(sample.size());
    }
    const auto fit = fit_optimum(cell.grid_log_lr, mean, window);
    if (!fit) return std::nullopt;
    return Estimate{fit->log_lr, fit->at_grid_edge, *std::min_element(mean.begin(), mean.end()), fit->flat};
  };
}

// Each seed's edge under one measure, computed once: the geometric midpoint of its
// largest stable rate and the next rate it trained above that one (the edge lies between
// them, so the midpoint's error is half the bracket's: refinement's precision, or half a
// grid step), and whether there is no rate above it (the edge lies beyond the rates
// trained: then the largest stable rate, a lower bound).
struct SeedEdges {
  std::vector<std::optional<double>> log_lr;  // [seed]; none: no stable rate
  std::vector<bool> beyond;
};

SeedEdges edges_of(const Cell& cell, const StabilityMeasure& measure, const SweepSpec& spec) {
  SeedEdges edges{std::vector<std::optional<double>>(cell.runs_of_seed.size()), std::vector<bool>(cell.runs_of_seed.size())};
  for (std::size_t s = 0; s < cell.runs_of_seed.size(); ++s) {
    const auto& runs = cell.runs_of_seed[s];
    const std::optional<std::size_t> last_stable = largest_stable(runs, measure, spec);
    if (!last_stable) continue;
    const std::size_t i = *last_stable;
    edges.beyond[s] = i + 1 == runs.size();
    edges.log_lr[s] = edges.beyond[s] ? std::log(runs[i]->lr_A) : 0.5 * (std::log(runs[i]->lr_A) + std::log(runs[i + 1]->lr_A));
  }
  return edges;
}

// The maximal stable rate: the geometric mean over the sample's seeds of each one's edge.
WidthEstimator edge_estimator(std::vector<SeedEdges> edges) {
  return [edges = std::move(edges)](std::size_t wi, const SeedSample& sample) -> std::optional<Estimate> {
    Estimate e{0};
    for (auto s : sample) {
      if (!edges[wi].log_lr[s]) return std::nullopt;
      e.log_lr += *edges[wi].log_lr[s];
      e.at_edge = e.at_edge || edges[wi].beyond[s];
    }
    e.log_lr /= static_cast<double>(sample.size());
    return e;
  };
}

// An estimator at one width: the point estimate from every seed, and the estimates of
// the bootstrap's resamples (those that have one).
struct Bootstrapped {
  std::optional<Estimate> point;
  std::vector<Estimate> replicates;
};

Bootstrapped bootstrapped(const WidthEstimator& estimate, std::size_t wi, const SeedBootstrap& bootstrap) {
  Bootstrapped b{estimate(wi, bootstrap.everyone[wi]), {}};
  for (const auto& sample : bootstrap.resamples)
    if (auto r = estimate(wi, sample[wi])) b.replicates.push_back(*r);
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

// ---- slopes ----------------------------------------------------------------------------

// What a slope is held against.
struct Target {
  std::string bound;
  std::optional<gamma::Rational> engine, module;
};

std::string verdict_text(const std::optional<gamma::Rational>& predicted, const std::optional<Interval>& interval) {
  if (!predicted || !interval) return "undetermined";
  return to_string(verdict_of(static_cast<double>(*predicted), *interval));
}

std::optional<ExactExponent> exact(const std::optional<gamma::Rational>& q) {
  if (!q) return std::nullopt;
  return ExactExponent{gamma::to_string(*q), static_cast<double>(*q)};
}

// Slopes of one estimator over subsets of the fitted widths, from the same resamples.
class SlopeFitter {
 public:
  SlopeFitter(const WidthEstimator& estimate, const SweepSpec& spec, const SeedBootstrap& bootstrap)
      : estimate_(estimate), spec_(spec), bootstrap_(bootstrap) {}

  // The least-squares slope of log η against log n over width indices `at`.
  std::optional<double> slope(const std::vector<std::size_t>& at, const WidthSamples& sample) const {
    std::vector<double> x, y;
    for (std::size_t wi : at) {
      auto r = estimate_(wi, sample[wi]);
      if (!r) return std::nullopt;
      x.push_back(std::log(static_cast<double>(spec_.widths[wi])));
      y.push_back(r->log_lr);
    }
    if (x.size() < 2) return std::nullopt;
    return least_squares_slope(x, y);
  }
  std::vector<std::optional<double>> replicates(const std::vector<std::size_t>& at) const {
    std::vector<std::optional<double>> all;
    for (const auto& sample : bootstrap_.resamples) all.push_back(slope(at, sample));
    return all;
  }
  static std::vector<double> present(const std::vector<std::optional<double>>& values) {
    std::vector<double> kept;
    for (const auto& v : values)
      if (v) kept.push_back(*v);
    return kept;
  }
  std::optional<Interval> interval(const std::vector<std::size_t>& at) const { return percentile_interval(present(replicates(at))); }
  const SeedBootstrap& bootstrap() const { return bootstrap_; }

 private:
  const WidthEstimator& estimate_;
  const SweepSpec& spec_;
  const SeedBootstrap& bootstrap_;
};

std::string widths_text(const SweepSpec& spec, const std::vector<std::size_t>& at) {
  return std::to_string(spec.widths[at.front()]) + "–" + std::to_string(spec.widths[at.back()]);
}

std::string slope_text(std::optional<double> slope, const std::optional<Interval>& interval) {
  char text[96];
  if (!slope) return "none";
  if (!interval) std::snprintf(text, sizeof text, "%.2f (no interval)", *slope);
  else std::snprintf(text, sizeof text, "%.2f [%.2f, %.2f]", *slope, interval->low, interval->high);
  return text;
}

// The local slopes, the slope over the largest widths, and whether a slope that departs
// approaches the engine's exponent as n grows: it does when the slope over the larger
// half of the widths is closer to it than the slope over the smaller half in at least
// 95% of the resamples, or when the larger half's interval holds it and its slope is
// the closer one.
FiniteWidth finite_width(const SlopeFitter& fit, const std::vector<std::size_t>& fitted, const SweepSpec& spec,
                         const std::optional<gamma::Rational>& engine, const std::string& full_verdict) {
  FiniteWidth f;
  for (std::size_t i = 0; i + 1 < fitted.size(); ++i) {
    const std::vector<std::size_t> pair = {fitted[i], fitted[i + 1]};
    f.local.push_back({spec.widths[pair[0]], spec.widths[pair[1]], fit.slope(pair, fit.bootstrap().everyone), fit.interval(pair)});
  }
  const std::size_t half = fitted.size() / 2;
  if (half < 2) {
    f.verdict = full_verdict;
    f.evidence = "fewer than four widths: no trend with width can be read";
    return f;
  }
  const std::vector<std::size_t> small(fitted.begin(), fitted.begin() + static_cast<std::ptrdiff_t>(half));
  const std::vector<std::size_t> large(fitted.end() - static_cast<std::ptrdiff_t>(half), fitted.end());
  for (std::size_t wi : large) f.large_widths.push_back(spec.widths[wi]);
  const auto small_reps = fit.replicates(small), large_reps = fit.replicates(large);
  f.large_width_slope = fit.slope(large, fit.bootstrap().everyone);
  f.large_width_interval = percentile_interval(SlopeFitter::present(large_reps));
  const auto small_slope = fit.slope(small, fit.bootstrap().everyone);
  const auto small_interval = percentile_interval(SlopeFitter::present(small_reps));
  if (!engine || full_verdict == "undetermined") return f;
  const double e = static_cast<double>(*engine);
  std::size_t closer = 0, compared = 0;
  for (std::size_t r = 0; r < small_reps.size(); ++r)
    if (small_reps[r] && large_reps[r]) ++compared, closer += std::abs(*large_reps[r] - e) < std::abs(*small_reps[r] - e);
  const double share = compared ? static_cast<double>(closer) / static_cast<double>(compared) : 0;
  const bool large_holds = f.large_width_interval && verdict_of(e, *f.large_width_interval) == Verdict::Agrees;
  const bool nearer = f.large_width_slope && small_slope && std::abs(*f.large_width_slope - e) < std::abs(*small_slope - e);
  if (full_verdict == "agrees") f.verdict = "agrees";
  else if (share >= 0.95 || (large_holds && nearer)) f.verdict = "approaching";
  else f.verdict = "departs";
  char share_text[64];
  std::snprintf(share_text, sizeof share_text, "%.0f%%", 100 * share);
  f.evidence = "widths " + widths_text(spec, small) + ": " + slope_text(small_slope, small_interval) + "; widths " +
               widths_text(spec, large) + ": " + slope_text(f.large_width_slope, f.large_width_interval) +
               "; the larger widths' slope is the closer to " + gamma::to_string(*engine) + " in " + share_text + " of resamples";
  return f;
}

// The slope of one estimator over the slope widths whose estimate lies inside the rates
// trained (an estimate at the edge only bounds the true value), with its interval, its
// verdicts against `target`, and its finite-width analysis.
SlopeSummary fit_slope(const WidthEstimator& estimate, const SweepSpec& spec, const std::vector<int>& slope_widths,
                       const SeedBootstrap& bootstrap, const Target& target) {
  SlopeSummary s;
  std::vector<std::size_t> fitted;
  for (std::size_t wi = 0; wi < spec.widths.size(); ++wi) {
    auto point = estimate(wi, bootstrap.everyone[wi]);
    if (point && !point->at_edge && std::find(slope_widths.begin(), slope_widths.end(), spec.widths[wi]) != slope_widths.end()) {
      fitted.push_back(wi);
      s.widths_used.push_back(spec.widths[wi]);
    }
  }
  const SlopeFitter fit(estimate, spec, bootstrap);
  s.slope = fit.slope(fitted, bootstrap.everyone);
  const std::vector<double> replicates = SlopeFitter::present(fit.replicates(fitted));
  s.interval = percentile_interval(replicates);
  s.resamples_used = replicates.size();
  s.bound = target.bound;
  s.engine = exact(target.engine);
  s.verdict_network = verdict_text(target.engine, s.interval);
  s.verdict_module = verdict_text(target.module, s.interval);
  s.finite_width = finite_width(fit, fitted, spec, target.engine, s.verdict_network);
  return s;
}

// ---- one arm ---------------------------------------------------------------------------

std::vector<int> slope_widths_of(const SweepSpec& spec) {
  std::vector<int> widths;
  for (int width : spec.widths)
    if ((spec.analysis.slope_min_width == 0 || width >= spec.analysis.slope_min_width) &&
        (spec.analysis.slope_max_width == 0 || width <= spec.analysis.slope_max_width))
      widths.push_back(width);
  return widths;
}

// The optimum's estimates at one width (`optimum`: optimum_estimator at the spec's
// window): point, interval, the best loss, and the sensitivity to the window.
void summarise_optimum(WidthSummary& w, std::size_t wi, const WidthEstimator& optimum, const std::vector<Cell>& cells,
                       const SweepSpec& spec, const SeedBootstrap& bootstrap) {
  const double window = spec.analysis.optimum_window;
  const Bootstrapped b = bootstrapped(optimum, wi, bootstrap);
  w.optimal = lr_estimate(b);
  if (!b.point) return;
  w.optimal_flat = b.point->flat;
  std::vector<double> best_losses;
  for (const Estimate& r : b.replicates) best_losses.push_back(r.best_log_loss);
  w.best_mean_log_loss = b.point->best_log_loss;
  w.best_mean_log_loss_interval = percentile_interval(best_losses);
  if (auto half = optimum_estimator(cells, window / 2)(wi, bootstrap.everyone[wi])) w.optimal_lr_half_window = std::exp(half->log_lr);
  if (auto twice = optimum_estimator(cells, window * 2)(wi, bootstrap.everyone[wi])) w.optimal_lr_twice_window = std::exp(twice->log_lr);
}

ArmSummary summarise_arm(const Arm& arm, const std::vector<Cell>& cells, const SweepSpec& spec, const std::vector<int>& slope_widths,
                         const SeedBootstrap& bootstrap) {
  // With its own σ a scheme is no longer the engine's preset (the reproduce command's
  // variance experiment sets σ's exponents beside the measurement instead).
  const EnginePrediction prediction = arm.sigma > 0 ? EnginePrediction{} : predict_max_stable_exponent(spec, arm.scheme, arm.readout);
  ArmSummary summary;
  summary.scheme = arm.scheme;
  summary.readout = arm.readout;
  if (arm.sigma > 0) summary.init_sigma = arm.sigma;
  summary.engine_network = exact(prediction.network);
  summary.engine_module = exact(prediction.module);
  summary.engine_f_bounded = exact(prediction.supremum_of(&gamma::Verdicts::network_output_bounded));
  summary.engine_Z_B_bounded = exact(prediction.supremum_of(&gamma::Verdicts::lora_output_bounded));

  const std::vector<StabilityMeasure> measures = stability_measures(spec);
  auto edge_estimator_of = [&](const StabilityMeasure& m) {
    std::vector<SeedEdges> edges;
    for (const Cell& cell : cells) edges.push_back(edges_of(cell, m, spec));
    return edge_estimator(std::move(edges));
  };
  auto target_of = [&](Criterion c) {
    return Target{gamma::verdict_kind(bound_of(c)).label, prediction.supremum_of(bound_of(c)), prediction.module};
  };

  const WidthEstimator optimum = optimum_estimator(cells, spec.analysis.optimum_window);
  const WidthEstimator final_loss_edge = edge_estimator_of(measures.front());
  for (std::size_t wi = 0; wi < spec.widths.size(); ++wi) {
    WidthSummary w;
    w.width = spec.widths[wi];
    summarise_optimum(w, wi, optimum, cells, spec, bootstrap);
    w.max_stable = lr_estimate(bootstrapped(final_loss_edge, wi, bootstrap));
    summary.widths.push_back(w);
  }
  // The optimum is held against the stable region's supremum, where paper 003's efficient
  // learning puts it; each stability criterion against the bound it sees.
  summary.optimal_slope = fit_slope(optimum, spec, slope_widths, bootstrap, {gamma::verdict_kind(&gamma::Verdicts::stable).label, prediction.network, prediction.module});
  summary.max_stable_slope = fit_slope(final_loss_edge, spec, slope_widths, bootstrap, target_of(Criterion::FinalLoss));
  for (auto m = measures.begin() + 1; m != measures.end(); ++m) {
    const WidthEstimator edge = edge_estimator_of(*m);
    StabilitySummary s{name_of(m->criterion), spec.training.horizons[m->horizon], {}, {}};
    for (std::size_t wi = 0; wi < spec.widths.size(); ++wi) s.widths.push_back(lr_estimate(bootstrapped(edge, wi, bootstrap)));
    s.slope = fit_slope(edge, spec, slope_widths, bootstrap, target_of(m->criterion));
    summary.stability.push_back(std::move(s));
  }
  return summary;
}

// The analysis of rows already known to belong to the spec.
SweepSummary summarise(const std::vector<RunRow>& rows, const SweepSpec& spec) {
  const Grid grid = grid_of(rows, spec);
  const SeedBootstrap bootstrap = bootstrap_over_seeds(spec.widths.size(), spec.seeds.size(), spec.analysis.bootstrap, "bootstrap");
  SweepSummary summary;
  summary.loss_statistic = loss_statistics().name(spec.analysis.loss);
  summary.stable_factor = spec.analysis.stable_factor;
  summary.optimum_window = spec.analysis.optimum_window;
  summary.edge_factor = spec.analysis.edge_factor;
  summary.internal_bound = spec.analysis.internal_bound;
  summary.horizons = spec.training.horizons;
  summary.bootstrap_resamples = bootstrap.resamples.size();
  summary.seeds = spec.seeds.size();
  summary.runs_used = grid.used;
  summary.slope_widths = slope_widths_of(spec);
  for (std::size_t a = 0; a < grid.arms.size(); ++a)
    summary.arms.push_back(summarise_arm(grid.arms[a], grid.cells[a], spec, summary.slope_widths, bootstrap));
  return summary;
}

}  // namespace

SweepSummary analyse_runs(const std::vector<RunRow>& rows, const SweepSpec& spec) {
  check_rows_belong(rows, spec);
  return summarise(rows, spec);
}

SeedHalves analyse_seed_halves(const std::vector<RunRow>& rows, const SweepSpec& spec) {
  check_rows_belong(rows, spec);
  if (spec.seeds.size() < 4)
    throw InputError("--split-seeds: the sweep has " + std::to_string(spec.seeds.size()) +
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

// Every slope of an arm with the name of its measure.
std::vector<std::pair<std::string, const SlopeSummary*>> slopes_of(const ArmSummary& arm) {
  std::vector<std::pair<std::string, const SlopeSummary*>> slopes = {{"optimal", &arm.optimal_slope},
                                                                     {"final_loss", &arm.max_stable_slope}};
  for (const auto& s : arm.stability) slopes.emplace_back(s.criterion + "@" + std::to_string(s.horizon), &s.slope);
  return slopes;
}

}  // namespace

std::vector<HalfComparison> compare_halves(const SeedHalves& halves) {
  std::vector<HalfComparison> comparisons;
  const auto& [first, second] = halves.summaries;
  for (std::size_t a = 0; a < first.arms.size(); ++a) {
    const auto one = slopes_of(first.arms[a]), other = slopes_of(second.arms[a]);
    for (std::size_t m = 0; m < one.size(); ++m) {
      HalfComparison c{first.arms[a].scheme + " (" + gamma::readouts().name(first.arms[a].readout) + " readout)", one[m].first,
                       {*one[m].second, *other[m].second}};
      const auto& i = c.halves[0].interval;
      const auto& j = c.halves[1].interval;
      c.intervals_overlap = i && j && i->low <= j->high && j->low <= i->high;
      c.same_verdict = c.halves[0].verdict_network == c.halves[1].verdict_network;
      comparisons.push_back(std::move(c));
    }
  }
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
                               {"verdict", c.halves[h].verdict_network}});
    comparisons.push_back(row);
  }
  return {{"seeds", halves.seeds}, {"summaries", halves.summaries}, {"comparisons", comparisons}};
}

// ---- in words -------------------------------------------------------------------------

namespace {

std::string interval_text(const std::optional<Interval>& i) {
  if (!i) return "(no interval)";
  char t[96];
  std::snprintf(t, sizeof t, "[%.3g, %.3g]", i->low, i->high);
  return t;
}

std::string exact_text(const std::optional<ExactExponent>& e) { return e ? e->exact : "none"; }

std::string arm_title(const ArmSummary& arm) {
  std::string title = arm.scheme + ", " + gamma::readouts().title(arm.readout);
  if (arm.init_sigma) title += ", σ = " + std::to_string(*arm.init_sigma);
  return title;
}

void describe_slope(std::ostream& out, const std::string& what, const SlopeSummary& s) {
  out << "  " << what << ": ";
  if (!s.slope) {
    out << "fewer than two widths with an estimate inside the rates trained\n";
    return;
  }
  out << "n^" << slope_text(s.slope, s.interval) << " against " << s.bound << " n^" << exact_text(s.engine) << ": "
      << s.verdict_network << " (single module: " << s.verdict_module << ")";
  if (s.finite_width.verdict != s.verdict_network) out << "; with width: " << s.finite_width.verdict;
  out << "\n";
  if (!s.finite_width.local.empty()) {
    out << "    local slopes:";
    for (const auto& l : s.finite_width.local) out << " " << l.from_width << "→" << l.to_width << " " << slope_text(l.slope, l.interval) << ";";
    out << "\n";
  }
  if (!s.finite_width.evidence.empty()) out << "    " << s.finite_width.evidence << "\n";
}

void describe_arm(std::ostream& out, const ArmSummary& arm) {
  char line[512];
  out << "\n" << arm_title(arm) << ": engine's maximal stable γ[η] n^" << exact_text(arm.engine_network) << " (f bounded to n^"
      << exact_text(arm.engine_f_bounded) << ", Z_B bounded to n^" << exact_text(arm.engine_Z_B_bounded) << "); module n^"
      << exact_text(arm.engine_module) << "\n";
  out << "  width   optimal η   interval               (window ½, 2×)        max stable η   interval\n";
  for (const auto& w : arm.widths) {
    std::snprintf(line, sizeof line, "  %-6d  %-10.4g%s %-22s (%.3g, %.3g)%s %-12.4g%s %s\n", w.width, w.optimal.lr.value_or(NAN),
                  w.optimal.at_grid_edge ? "*" : " ", interval_text(w.optimal.interval).c_str(), w.optimal_lr_half_window.value_or(NAN),
                  w.optimal_lr_twice_window.value_or(NAN), w.optimal_flat ? " flat" : "     ", w.max_stable.lr.value_or(NAN),
                  w.max_stable.at_grid_edge ? "*" : " ", interval_text(w.max_stable.interval).c_str());
    out << line;
  }
  describe_slope(out, "optimal η", arm.optimal_slope);
  describe_slope(out, "max stable η (final loss)", arm.max_stable_slope);
  for (const auto& s : arm.stability) describe_slope(out, "max stable η (" + s.criterion + " at step " + std::to_string(s.horizon) + ")", s.slope);
}

}  // namespace

std::string describe_analysis(const SweepSummary& summary) {
  std::ostringstream out;
  out << "loss: " << summary.loss_statistic << " (seed-averaged log; optimum: parabola within " << summary.optimum_window
      << " of the best), " << summary.seeds << " seeds, " << summary.bootstrap_resamples
      << " bootstrap resamples\nstable: final loss — final train loss ≤ " << summary.stable_factor
      << " × initial; output — largest train loss so far ≤ " << summary.edge_factor
      << " × initial; internal — RMS of s·Z_B ≤ " << summary.internal_bound << "\n";
  for (const auto& arm : summary.arms) describe_arm(out, arm);
  out << "\n(* at the edge of the rates trained: the true value may lie beyond them, so that width is left\n"
         "   out of the slope)\n";
  return out.str();
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
                  slope_text(c.halves[0].slope, c.halves[0].interval).c_str(), c.halves[0].verdict_network.c_str(),
                  slope_text(c.halves[1].slope, c.halves[1].interval).c_str(), c.halves[1].verdict_network.c_str(),
                  c.agree() ? "yes" : !c.intervals_overlap ? "no: intervals apart" : "no: verdicts differ");
    out << line;
  }
  out << agreeing << " of " << comparisons.size() << " slopes agree between the halves\n";
  return out.str();
}

std::string describe_analysis(const nlohmann::json& summary) { return describe_analysis(summary.get<SweepSummary>()); }

}  // namespace gammalab::sim
