#include "sim/analysis.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "gamma/input_error.hpp"
#include "sim/prediction.hpp"
#include "sim/random.hpp"

namespace gammalab::sim {

std::vector<RunRow> read_runs(const std::filesystem::path& runs_csv) {
  std::ifstream file(runs_csv);
  if (!file) throw InputError(runs_csv.string() + ": cannot read (is this a sweep's result directory?)");
  std::string line;
  std::getline(file, line);
  std::vector<RunRow> rows;
  for (int number = 2; std::getline(file, line); ++number) {
    if (line.empty()) continue;
    std::vector<std::string> f;
    std::stringstream cells(line);
    for (std::string cell; std::getline(cells, cell, ',');) f.push_back(cell);
    try {
      if (f.size() != 16) throw std::invalid_argument("columns");
      rows.push_back({std::stoull(f[0]), f[1], std::stoi(f[2]), std::stoull(f[3]), std::stod(f[4]), std::stod(f[5]),
                      std::stod(f[6]), std::stod(f[7]), std::stod(f[8]), std::stod(f[9]), std::stod(f[10]), f[11] == "1",
                      std::stod(f[15])});
    } catch (const std::exception&) {
      throw InputError(runs_csv.string() + ":" + std::to_string(number) + ": malformed row (expected the 16 columns of " +
                       "runs.csv)");
    }
  }
  return rows;
}

double least_squares_slope(const std::vector<double>& x, const std::vector<double>& y) {
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < x.size(); ++i) mx += x[i], my += y[i];
  mx /= static_cast<double>(x.size());
  my /= static_cast<double>(y.size());
  double sxy = 0, sxx = 0;
  for (std::size_t i = 0; i < x.size(); ++i) sxy += (x[i] - mx) * (y[i] - my), sxx += (x[i] - mx) * (x[i] - mx);
  return sxy / sxx;
}

double parabola_vertex(double x0, double y0, double x1, double y1, double x2, double y2) {
  double numerator = (x1 - x0) * (x1 - x0) * (y1 - y2) - (x1 - x2) * (x1 - x2) * (y1 - y0);
  double denominator = (x1 - x0) * (y1 - y2) - (x1 - x2) * (y1 - y0);
  if (denominator == 0) return x1;
  return std::clamp(x1 - 0.5 * numerator / denominator, std::min(x0, x2), std::max(x0, x2));
}

namespace {

// One scheme at one width: the loss statistic and stability on the grid lr × seed.
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

using Sample = std::vector<std::size_t>;  // seed indices at one width, drawn with replacement

std::optional<Estimate> optimum(const Cell& cell, const Sample& sample) {
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

std::optional<Estimate> max_stable(const Cell& cell, const Sample& sample) {
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

double percentile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  double position = q * static_cast<double>(values.size() - 1);
  auto below = static_cast<std::size_t>(std::floor(position));
  auto above = std::min(below + 1, values.size() - 1);
  return values[below] + (position - static_cast<double>(below)) * (values[above] - values[below]);
}

nlohmann::json interval_json(const std::vector<double>& replicates, double (*transform)(double)) {
  if (replicates.size() < 2) return nullptr;
  return {transform(percentile(replicates, 0.025)), transform(percentile(replicates, 0.975))};
}

double identity(double x) { return x; }
double exponential(double x) { return std::exp(x); }

}  // namespace

nlohmann::json analyse_runs(const std::vector<RunRow>& rows, const SweepSpec& spec) {
  std::vector<std::uint64_t> seeds = spec.seeds;
  std::map<std::uint64_t, std::size_t> seed_index;
  for (std::size_t i = 0; i < seeds.size(); ++i) seed_index[seeds[i]] = i;

  auto statistic = [&](const RunRow& r) -> double {
    if (r.diverged) return INFINITY;
    switch (spec.analysis.loss) {
      case LossStatistic::FinalTrain: return std::log(r.final_train_loss);
      case LossStatistic::FinalTest: return std::log(r.final_test_loss);
      case LossStatistic::LastKTrain: return std::log(r.mean_last_train_loss);
    }
    throw std::logic_error("a loss statistic without a case");
  };

  // cells[arm][width], an arm being a scheme and its initial scale (0: the scheme's own)
  using Arm = std::pair<std::string, double>;
  std::vector<Arm> arms;
  for (const auto& scheme : spec.schemes)
    for (double sigma : spec.init_sigmas.empty() ? std::vector<double>{0} : spec.init_sigmas) arms.emplace_back(scheme, sigma);
  std::map<Arm, std::map<int, Cell>> cells;
  for (const auto& arm : arms)
    for (int width : spec.widths) {
      Cell& cell = cells[arm][width];
      for (double lr : spec.learning_rates) cell.log_lr.push_back(std::log(lr));
      std::sort(cell.log_lr.begin(), cell.log_lr.end());
      cell.log_loss.assign(cell.log_lr.size(), std::vector<double>(seeds.size(), INFINITY));
      cell.stable.assign(cell.log_lr.size(), std::vector<bool>(seeds.size(), false));
    }
  std::size_t used = 0;
  for (const auto& r : rows) {
    auto arm = cells.find({r.scheme, r.init_sigma});
    if (arm == cells.end() || !arm->second.count(r.width) || !seed_index.count(r.seed)) continue;
    Cell& cell = arm->second[r.width];
    auto at = std::lower_bound(cell.log_lr.begin(), cell.log_lr.end(), std::log(r.lr_A) - 1e-12);
    if (at == cell.log_lr.end()) continue;
    std::size_t i = static_cast<std::size_t>(at - cell.log_lr.begin()), s = seed_index[r.seed];
    cell.log_loss[i][s] = statistic(r);
    cell.stable[i][s] = !r.diverged && r.final_train_loss <= spec.analysis.stable_factor * r.initial_train_loss;
    ++used;
  }

  std::vector<int> slope_widths;
  for (int width : spec.widths)
    if ((spec.analysis.slope_min_width == 0 || width >= spec.analysis.slope_min_width) &&
        (spec.analysis.slope_max_width == 0 || width <= spec.analysis.slope_max_width))
      slope_widths.push_back(width);

  // Each (width, seed) trains its own student, so the bootstrap draws seeds
  // independently at each width: resamples[b][w] is the sample used at width w.
  using WidthSamples = std::vector<Sample>;
  Sample all_seeds(seeds.size());
  for (std::size_t i = 0; i < seeds.size(); ++i) all_seeds[i] = i;
  const WidthSamples everyone(spec.widths.size(), all_seeds);
  std::vector<WidthSamples> resamples;
  if (seeds.size() >= 2) {
    Rng rng(20261123, "bootstrap");
    for (int b = 0; b < spec.analysis.bootstrap; ++b) {
      WidthSamples sample(spec.widths.size(), Sample(seeds.size()));
      for (auto& at_width : sample)
        for (auto& s : at_width) s = rng.below(seeds.size());
      resamples.push_back(sample);
    }
  }

  const std::string& loss_name = loss_statistics().name(spec.analysis.loss);
  nlohmann::json summary = {{"loss_statistic", loss_name},
                            {"stable_factor", spec.analysis.stable_factor},
                            {"bootstrap_resamples", resamples.size()},
                            {"seeds", seeds.size()},
                            {"runs_used", used},
                            {"slope_widths", slope_widths},
                            {"schemes", nlohmann::json::array()}};

  using Estimator = std::optional<Estimate> (*)(const Cell&, const Sample&);
  for (const auto& arm : arms) {
    const auto& [scheme, sigma] = arm;
    // With its own σ a scheme is no longer the engine's preset (the reproduce command's
    // variance experiment sets σ's exponents beside the measurement instead).
    const EnginePrediction prediction = sigma > 0 ? EnginePrediction{} : predict_max_stable_exponent(spec, scheme);
    auto exact = [](const std::optional<gamma::Rational>& q) {
      return q ? nlohmann::json{{"exact", gamma::to_string(*q)}, {"value", static_cast<double>(*q)}} : nlohmann::json(nullptr);
    };
    nlohmann::json entry = {{"scheme", scheme},
                            {"init_sigma", sigma > 0 ? nlohmann::json(sigma) : nlohmann::json(nullptr)},
                            {"engine_max_stable_exponent", {{"network", exact(prediction.network)}, {"module", exact(prediction.module)}}},
                            {"widths", nlohmann::json::array()}};
    const std::pair<const char*, Estimator> estimators[] = {{"optimal", &optimum}, {"max_stable", &max_stable}};
    for (std::size_t wi = 0; wi < spec.widths.size(); ++wi) {
      const int width = spec.widths[wi];
      const Cell& cell = cells[arm][width];
      nlohmann::json w = {{"width", width}};
      for (const auto& [name, estimate] : estimators) {
        auto point = estimate(cell, all_seeds);
        std::vector<double> replicates, best_losses;
        for (const auto& sample : resamples)
          if (auto e = estimate(cell, sample[wi])) {
            replicates.push_back(e->log_lr);
            best_losses.push_back(e->best_log_loss);
          }
        w[std::string(name) + "_lr"] = point ? nlohmann::json(std::exp(point->log_lr)) : nlohmann::json(nullptr);
        w[std::string(name) + "_lr_interval"] = interval_json(replicates, &exponential);
        w[std::string(name) + "_at_grid_edge"] = point && point->at_edge;
        if (std::string(name) == "optimal" && point) {
          w["best_mean_log_loss"] = point->best_log_loss;
          w["best_mean_log_loss_interval"] = interval_json(best_losses, &identity);
        }
      }
      entry["widths"].push_back(w);
    }
    nlohmann::json slopes;
    for (const auto& [name, estimate] : estimators) {
      // A width whose estimate sits at the edge of the grid only bounds the true value,
      // so it is left out of the slope (and the summary says which widths were used).
      std::vector<int> fitted;
      for (std::size_t wi = 0; wi < spec.widths.size(); ++wi) {
        const int width = spec.widths[wi];
        auto e = estimate(cells[arm][width], all_seeds);
        if (e && !e->at_edge && std::find(slope_widths.begin(), slope_widths.end(), width) != slope_widths.end())
          fitted.push_back(width);
      }
      auto slope_of = [&, estimate = estimate](const WidthSamples& sample) -> std::optional<double> {
        std::vector<double> x, y;
        for (std::size_t wi = 0; wi < spec.widths.size(); ++wi) {
          const int width = spec.widths[wi];
          if (std::find(fitted.begin(), fitted.end(), width) == fitted.end()) continue;
          auto e = estimate(cells[arm][width], sample[wi]);
          if (!e) return std::nullopt;
          x.push_back(std::log(static_cast<double>(width)));
          y.push_back(e->log_lr);
        }
        if (x.size() < 2) return std::nullopt;
        return least_squares_slope(x, y);
      };
      auto point = slope_of(everyone);
      std::vector<double> replicates;
      for (const auto& sample : resamples)
        if (auto s = slope_of(sample)) replicates.push_back(*s);
      nlohmann::json s = {{"slope", point ? nlohmann::json(*point) : nlohmann::json(nullptr)},
                          {"interval", interval_json(replicates, &identity)},
                          {"widths_used", fitted},
                          {"resamples_used", replicates.size()}};
      for (const auto& [setting, predicted] : {std::pair{"network", prediction.network}, std::pair{"module", prediction.module}}) {
        if (!predicted || s["interval"].is_null()) {
          s["verdict_" + std::string(setting)] = "undetermined";
          continue;
        }
        double p = static_cast<double>(*predicted);
        bool inside = s["interval"][0].get<double>() <= p && p <= s["interval"][1].get<double>();
        s["verdict_" + std::string(setting)] = inside ? "agrees" : "departs";
      }
      slopes[name] = s;
    }
    entry["slopes"] = slopes;
    summary["schemes"].push_back(entry);
  }
  return summary;
}

std::string describe_analysis(const nlohmann::json& summary) {
  std::ostringstream out;
  char line[512];
  auto fmt_interval = [](const nlohmann::json& i) -> std::string {
    if (i.is_null()) return "(no interval)";
    char t[96];
    std::snprintf(t, sizeof t, "[%.3g, %.3g]", i[0].get<double>(), i[1].get<double>());
    return t;
  };
  out << "loss: " << summary["loss_statistic"].get<std::string>() << " (seed-averaged log), "
      << summary["seeds"].get<std::size_t>() << " seeds, " << summary["bootstrap_resamples"].get<std::size_t>()
      << " bootstrap resamples; stable: final train loss ≤ " << summary["stable_factor"].get<double>() << " × initial\n";
  for (const auto& scheme : summary["schemes"]) {
    const auto& engine = scheme["engine_max_stable_exponent"];
    out << "\n" << scheme["scheme"].get<std::string>();
    if (!scheme["init_sigma"].is_null()) out << " with σ = " << scheme["init_sigma"].get<double>();
    out << ": engine's maximal stable γ[η] — network "
        << (engine["network"].is_null() ? "none" : engine["network"]["exact"].get<std::string>()) << ", module "
        << (engine["module"].is_null() ? "none" : engine["module"]["exact"].get<std::string>()) << "\n";
    out << "  width   optimal η   interval               max stable η   interval\n";
    for (const auto& w : scheme["widths"]) {
      std::snprintf(line, sizeof line, "  %-6d  %-10.4g%s %-22s %-12.4g%s %s\n", w["width"].get<int>(),
                    w["optimal_lr"].is_null() ? NAN : w["optimal_lr"].get<double>(), w["optimal_at_grid_edge"].get<bool>() ? "*" : " ",
                    fmt_interval(w["optimal_lr_interval"]).c_str(),
                    w["max_stable_lr"].is_null() ? NAN : w["max_stable_lr"].get<double>(),
                    w["max_stable_at_grid_edge"].get<bool>() ? "*" : " ", fmt_interval(w["max_stable_lr_interval"]).c_str());
      out << line;
    }
    for (const char* name : {"optimal", "max_stable"}) {
      const auto& s = scheme["slopes"][name];
      if (s["slope"].is_null()) {
        out << "  slope of " << name << " η: fewer than two widths with an estimate inside the grid\n";
        continue;
      }
      std::snprintf(line, sizeof line, "  slope of log %s η vs log n: %.3f %s — engine network %s: %s; module %s: %s\n", name,
                    s["slope"].get<double>(), fmt_interval(s["interval"]).c_str(),
                    engine["network"].is_null() ? "none" : engine["network"]["exact"].get<std::string>().c_str(),
                    s["verdict_network"].get<std::string>().c_str(),
                    engine["module"].is_null() ? "none" : engine["module"]["exact"].get<std::string>().c_str(),
                    s["verdict_module"].get<std::string>().c_str());
      out << line;
    }
  }
  out << "\n(* at the edge of the learning-rate grid: the true value may lie beyond it, so that width is left\n"
         "   out of the slope)\n";
  return out.str();
}

}  // namespace gammalab::sim
