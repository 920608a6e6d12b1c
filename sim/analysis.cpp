#include "sim/analysis.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "gamma/input_error.hpp"
#include "sim/prediction.hpp"
#include "sim/sweep.hpp"

namespace gammalab::sim {

double parabola_vertex(double x0, double y0, double x1, double y1, double x2, double y2) {
  double numerator = (x1 - x0) * (x1 - x0) * (y1 - y2) - (x1 - x2) * (x1 - x2) * (y1 - y0);
  double denominator = (x1 - x0) * (y1 - y2) - (x1 - x2) * (y1 - y0);
  if (denominator == 0) return x1;
  return std::clamp(x1 - 0.5 * numerator / denominator, std::min(x0, x2), std::max(x0, x2));
}

namespace {

// One arm at one width: the loss statistic and stability on the grid lr × seed.
struct Cell {
  std::vector<double> log_lr;                 // sorted
  std::vector<std::vector<double>> log_loss;  // [lr][seed]; +inf where diverged or missing
  std::vector<std::vector<bool>> stable;      // [lr][seed]
};

struct Estimate {
  double log_lr;
  bool at_edge = false;
  double best_log_loss = 0;
};

std::optional<Estimate> optimum(const Cell& cell, const SeedSample& sample) {
  std::vector<double> mean(cell.log_lr.size());
  for (std::size_t i = 0; i < mean.size(); ++i) {
    double sum = 0;
    for (auto s : sample) sum += cell.log_loss[i][s];
    mean[i] = sum / static_cast<double>(sample.size());
  }
  auto best = std::min_element(mean.begin(), mean.end());
  if (best == mean.end() || !std::isfinite(*best)) return std::nullopt;
  std::size_t k = static_cast<std::size_t>(best - mean.begin());
  Estimate e{cell.log_lr[k], k == 0 || k + 1 == mean.size(), *best};
  if (!e.at_edge && std::isfinite(mean[k - 1]) && std::isfinite(mean[k + 1]))
    e.log_lr = parabola_vertex(cell.log_lr[k - 1], mean[k - 1], cell.log_lr[k], mean[k], cell.log_lr[k + 1], mean[k + 1]);
  return e;
}

std::optional<Estimate> max_stable(const Cell& cell, const SeedSample& sample) {
  double sum = 0;
  bool at_edge = false;
  for (auto s : sample) {
    std::optional<std::size_t> largest;
    for (std::size_t i = 0; i < cell.log_lr.size(); ++i)
      if (cell.stable[i][s]) largest = i;
    if (!largest) return std::nullopt;
    at_edge = at_edge || *largest + 1 == cell.log_lr.size();
    sum += cell.log_lr[*largest];
  }
  return Estimate{sum / static_cast<double>(sample.size()), at_edge, 0};
}

std::optional<Estimate> estimate(Estimator e, const Cell& cell, const SeedSample& sample) {
  return e == Estimator::Optimal ? optimum(cell, sample) : max_stable(cell, sample);
}

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

// An arm: a scheme and its initial scale (0: the scheme's own).
struct Arm {
  std::string scheme;
  double sigma;
};

// Every run's place on the grid: cells[arm][width index], and how many rows were placed.
struct Grid {
  std::vector<Arm> arms;
  std::vector<std::vector<Cell>> cells;
  std::size_t used = 0;
};

// The cells of the spec, empty (every run missing).
Grid empty_grid(const SweepSpec& spec) {
  Grid grid;
  for (const auto& scheme : spec.schemes)
    for (double sigma : spec.init_sigmas.empty() ? std::vector<double>{0} : spec.init_sigmas) grid.arms.push_back({scheme, sigma});
  Cell empty;
  for (double lr : spec.learning_rates) empty.log_lr.push_back(std::log(lr));
  std::sort(empty.log_lr.begin(), empty.log_lr.end());
  empty.log_loss.assign(empty.log_lr.size(), std::vector<double>(spec.seeds.size(), INFINITY));
  empty.stable.assign(empty.log_lr.size(), std::vector<bool>(spec.seeds.size(), false));
  grid.cells.assign(grid.arms.size(), std::vector<Cell>(spec.widths.size(), empty));
  return grid;
}

// Where configuration id sits in the grid: arm, width, seed, and learning rate (its
// place in the sorted grid), each the index of the spec's own value.
struct Place {
  std::size_t arm, width, seed, lr;
};

std::vector<Place> places_of(const SweepSpec& spec, const std::vector<Configuration>& configurations) {
  auto index_of = [](const auto& values) {
    std::map<std::decay_t<decltype(values[0])>, std::size_t> index;
    for (std::size_t i = 0; i < values.size(); ++i) index.emplace(values[i], i);
    return index;
  };
  const auto width = index_of(spec.widths);
  const auto seed = index_of(spec.seeds);
  std::vector<double> sorted = spec.learning_rates;
  std::sort(sorted.begin(), sorted.end());
  const auto lr = index_of(sorted);
  std::map<std::pair<std::string, double>, std::size_t> arm;
  const Grid grid = empty_grid(spec);
  for (std::size_t a = 0; a < grid.arms.size(); ++a) arm.emplace(std::pair{grid.arms[a].scheme, grid.arms[a].sigma}, a);
  std::vector<Place> places;
  for (const auto& c : configurations)
    places.push_back({arm.at({c.scheme, c.init_sigma}), width.at(c.width), seed.at(c.seed), lr.at(c.lr_A)});
  return places;
}

// The rows placed on the grid by configuration id; a row that is not its
// configuration is refused.
Grid grid_of(const std::vector<RunRow>& rows, const SweepSpec& spec) {
  Grid grid = empty_grid(spec);
  const std::vector<Configuration> configurations = enumerate_configurations(spec);
  const std::vector<Place> places = places_of(spec, configurations);
  for (const auto& r : rows) {
    const Configuration* c = r.id < configurations.size() ? &configurations[r.id] : nullptr;
    if (!c || c->scheme != r.scheme || c->width != r.width || c->seed != r.seed || c->lr_A != r.lr_A || c->init_sigma != r.init_sigma)
      throw InputError("runs.csv: the row of configuration " + std::to_string(r.id) + " (" + r.scheme + ", width " +
                       std::to_string(r.width) + ", seed " + std::to_string(r.seed) +
                       ") is not that configuration of the manifest's spec: the runs are of another sweep");
    const Place& p = places[r.id];
    Cell& cell = grid.cells[p.arm][p.width];
    cell.log_loss[p.lr][p.seed] = log_loss_of(r, spec.analysis.loss);
    cell.stable[p.lr][p.seed] = !r.diverged && r.final_train_loss <= spec.analysis.stable_factor * r.initial_train_loss;
    ++grid.used;
  }
  return grid;
}

std::vector<int> slope_widths_of(const SweepSpec& spec) {
  std::vector<int> widths;
  for (int width : spec.widths)
    if ((spec.analysis.slope_min_width == 0 || width >= spec.analysis.slope_min_width) &&
        (spec.analysis.slope_max_width == 0 || width <= spec.analysis.slope_max_width))
      widths.push_back(width);
  return widths;
}

// One arm's estimates at one width (index wi), with their bootstrap intervals.
WidthSummary summarise_width(int width, std::size_t wi, const Cell& cell, const SeedBootstrap& bootstrap) {
  WidthSummary w;
  w.width = width;
  for (Estimator e : kEstimators) {
    const auto point = estimate(e, cell, bootstrap.everyone[wi]);
    std::vector<double> replicates, best_losses;
    for (const auto& sample : bootstrap.resamples)
      if (auto r = estimate(e, cell, sample[wi])) {
        replicates.push_back(r->log_lr);
        best_losses.push_back(r->best_log_loss);
      }
    LrEstimate& out = w.estimate(e);
    if (point) out.lr = std::exp(point->log_lr);
    if (auto i = percentile_interval(replicates)) out.interval = Interval{std::exp(i->low), std::exp(i->high)};
    out.at_grid_edge = point && point->at_edge;
    if (e == Estimator::Optimal && point) {
      w.best_mean_log_loss = point->best_log_loss;
      w.best_mean_log_loss_interval = percentile_interval(best_losses);
    }
  }
  return w;
}

std::string verdict_text(const std::optional<gamma::Rational>& predicted, const std::optional<Interval>& interval) {
  if (!predicted || !interval) return "undetermined";
  return to_string(verdict_of(static_cast<double>(*predicted), *interval));
}

// The slope of one estimator's log η against log n over `slope_widths`. A width whose
// estimate sits at the edge of the grid only bounds the true value, so it is left out
// (and the summary says which widths were used).
SlopeSummary fit_slope(Estimator e, const std::vector<Cell>& cells, const SweepSpec& spec, const std::vector<int>& slope_widths,
                       const SeedBootstrap& bootstrap, const EnginePrediction& prediction) {
  SlopeSummary s;
  std::vector<std::size_t> fitted;  // width indices
  for (std::size_t wi = 0; wi < spec.widths.size(); ++wi) {
    auto point = estimate(e, cells[wi], bootstrap.everyone[wi]);
    if (point && !point->at_edge && std::find(slope_widths.begin(), slope_widths.end(), spec.widths[wi]) != slope_widths.end()) {
      fitted.push_back(wi);
      s.widths_used.push_back(spec.widths[wi]);
    }
  }
  auto slope_of = [&](const WidthSamples& sample) -> std::optional<double> {
    std::vector<double> x, y;
    for (std::size_t wi : fitted) {
      auto r = estimate(e, cells[wi], sample[wi]);
      if (!r) return std::nullopt;
      x.push_back(std::log(static_cast<double>(spec.widths[wi])));
      y.push_back(r->log_lr);
    }
    if (x.size() < 2) return std::nullopt;
    return least_squares_slope(x, y);
  };
  s.slope = slope_of(bootstrap.everyone);
  std::vector<double> replicates;
  for (const auto& sample : bootstrap.resamples)
    if (auto r = slope_of(sample)) replicates.push_back(*r);
  s.interval = percentile_interval(replicates);
  s.resamples_used = replicates.size();
  s.verdict_network = verdict_text(prediction.network, s.interval);
  s.verdict_module = verdict_text(prediction.module, s.interval);
  return s;
}

std::optional<ExactExponent> exact(const std::optional<gamma::Rational>& q) {
  if (!q) return std::nullopt;
  return ExactExponent{gamma::to_string(*q), static_cast<double>(*q)};
}

ArmSummary summarise_arm(const Arm& arm, const std::vector<Cell>& cells, const SweepSpec& spec,
                         const std::vector<int>& slope_widths, const SeedBootstrap& bootstrap) {
  // With its own σ a scheme is no longer the engine's preset (the reproduce command's
  // variance experiment sets σ's exponents beside the measurement instead).
  const EnginePrediction prediction = arm.sigma > 0 ? EnginePrediction{} : predict_max_stable_exponent(spec, arm.scheme);
  ArmSummary summary;
  summary.scheme = arm.scheme;
  if (arm.sigma > 0) summary.init_sigma = arm.sigma;
  summary.engine_network = exact(prediction.network);
  summary.engine_module = exact(prediction.module);
  for (std::size_t wi = 0; wi < spec.widths.size(); ++wi) summary.widths.push_back(summarise_width(spec.widths[wi], wi, cells[wi], bootstrap));
  for (Estimator e : kEstimators) summary.slope(e) = fit_slope(e, cells, spec, slope_widths, bootstrap, prediction);
  return summary;
}

}  // namespace

SweepSummary analyse_runs(const std::vector<RunRow>& rows, const SweepSpec& spec) {
  const Grid grid = grid_of(rows, spec);
  const SeedBootstrap bootstrap = bootstrap_over_seeds(spec.widths.size(), spec.seeds.size(), spec.analysis.bootstrap, "bootstrap");
  SweepSummary summary;
  summary.loss_statistic = loss_statistics().name(spec.analysis.loss);
  summary.stable_factor = spec.analysis.stable_factor;
  summary.bootstrap_resamples = bootstrap.resamples.size();
  summary.seeds = spec.seeds.size();
  summary.runs_used = grid.used;
  summary.slope_widths = slope_widths_of(spec);
  for (std::size_t a = 0; a < grid.arms.size(); ++a)
    summary.arms.push_back(summarise_arm(grid.arms[a], grid.cells[a], spec, summary.slope_widths, bootstrap));
  return summary;
}

namespace {

std::string interval_text(const std::optional<Interval>& i) {
  if (!i) return "(no interval)";
  char t[96];
  std::snprintf(t, sizeof t, "[%.3g, %.3g]", i->low, i->high);
  return t;
}

std::string exact_text(const std::optional<ExactExponent>& e) { return e ? e->exact : "none"; }

void describe_arm(std::ostream& out, const ArmSummary& arm) {
  char line[512];
  out << "\n" << arm.scheme;
  if (arm.init_sigma) out << " with σ = " << *arm.init_sigma;
  out << ": engine's maximal stable γ[η] — network " << exact_text(arm.engine_network) << ", module "
      << exact_text(arm.engine_module) << "\n";
  out << "  width   optimal η   interval               max stable η   interval\n";
  for (const auto& w : arm.widths) {
    std::snprintf(line, sizeof line, "  %-6d  %-10.4g%s %-22s %-12.4g%s %s\n", w.width, w.optimal.lr.value_or(NAN),
                  w.optimal.at_grid_edge ? "*" : " ", interval_text(w.optimal.interval).c_str(), w.max_stable.lr.value_or(NAN),
                  w.max_stable.at_grid_edge ? "*" : " ", interval_text(w.max_stable.interval).c_str());
    out << line;
  }
  for (Estimator e : kEstimators) {
    const SlopeSummary& s = arm.slope(e);
    if (!s.slope) {
      out << "  slope of " << name_of(e) << " η: fewer than two widths with an estimate inside the grid\n";
      continue;
    }
    std::snprintf(line, sizeof line, "  slope of log %s η vs log n: %.3f %s — engine network %s: %s; module %s: %s\n", name_of(e),
                  *s.slope, interval_text(s.interval).c_str(), exact_text(arm.engine_network).c_str(), s.verdict_network.c_str(),
                  exact_text(arm.engine_module).c_str(), s.verdict_module.c_str());
    out << line;
  }
}

}  // namespace

std::string describe_analysis(const SweepSummary& summary) {
  std::ostringstream out;
  out << "loss: " << summary.loss_statistic << " (seed-averaged log), " << summary.seeds << " seeds, "
      << summary.bootstrap_resamples << " bootstrap resamples; stable: final train loss ≤ " << summary.stable_factor
      << " × initial\n";
  for (const auto& arm : summary.arms) describe_arm(out, arm);
  out << "\n(* at the edge of the learning-rate grid: the true value may lie beyond it, so that width is left\n"
         "   out of the slope)\n";
  return out.str();
}

std::string describe_analysis(const nlohmann::json& summary) { return describe_analysis(summary.get<SweepSummary>()); }

}  // namespace gammalab::sim
