#include "sim/analysis/mlp_rates.hpp"

#include <cmath>

#include "sim/analysis/analysis.hpp"
#include "sim/analysis/mlp_coordcheck.hpp"
#include "sim/analysis/slope_verdicts.hpp"
#include "sim/analysis/statistics.hpp"
#include "sim/model/parallel_tasks.hpp"
#include "sim/sweep/result_schema.hpp"

namespace gammalab::sim {

bool mlp_run_stable(const MlpNetworkSpec& network, const MlpEdgeSpec& edge) {
  bool stable = true;
  MlpForward initial;
  std::vector<double> initial_size;  // the layers', then the output's (not bounded by its own size)
  train_mlp(network, [&](const MlpForward& now) {
    if (now.step == 0) {
      initial = now, initial_size = rms_sizes(now);
      return true;
    }
    const std::vector<double> change = rms_changes(now, initial);  // the layers', then the output's
    stable = now.output.allFinite() && change.back() <= edge.bound;
    for (std::size_t l = 0; stable && l < now.features.size(); ++l) stable = change[l] <= edge.bound * initial_size[l];
    return stable;  // an unstable step ends the run: nothing later can make it stable
  });
  return stable;
}

namespace {

// The largest stable η of one run's group, from `start`: doubled or halved until the
// edge is bracketed, then bisected in log η; none outside [lowest, highest].
std::optional<double> find_edge(MlpNetworkSpec network, std::size_t group, const MlpEdgeSpec& edge, double start, std::size_t& runs) {
  auto stable = [&](double eta) {
    network.learning_rates = {0, 0, 0};
    network.learning_rates[group] = eta;
    ++runs;
    return mlp_run_stable(network, edge);
  };
  double low = start, high = start;
  if (stable(start)) {
    do {
      low = high, high *= 2;
      if (high > edge.highest) return std::nullopt;
    } while (stable(high));
  } else {
    do {
      high = low, low /= 2;
      if (low < edge.lowest) return std::nullopt;
    } while (!stable(low));
  }
  while (high / low > 1 + edge.precision) {
    const double middle = std::sqrt(low * high);
    (stable(middle) ? low : high) = middle;
  }
  return std::sqrt(low * high);
}

}  // namespace

MlpEdges measure_mlp_edges(const MlpExperimentSpec& spec, int threads, const std::function<void(std::size_t, std::size_t)>& progress) {
  const auto models = mlp_configurations(spec);
  const std::size_t groups = spec.edge.groups.size(), seeds = spec.seeds.size();
  MlpEdges out;
  out.eta.assign(models.size(), std::vector<std::vector<std::vector<std::optional<double>>>>(
                                    groups, std::vector<std::vector<std::optional<double>>>(spec.widths.size(), std::vector<std::optional<double>>(seeds))));
  const std::size_t chains = models.size() * groups * seeds;
  std::vector<std::size_t> runs(chains, 0);
  TaskProgress done(chains, progress);
  run_tasks(chains, threads, [&](std::size_t i, int) {
    const std::size_t c = i / (groups * seeds), g = i / seeds % groups, s = i % seeds;
    double start = spec.edge.start;
    for (std::size_t w = 0; w < spec.widths.size(); ++w) {
      MlpNetworkSpec network = spec.network;
      network.width = spec.widths[w];
      network.seed = spec.seeds[s];
      set_parametrization(network, models[c], 1.0);
      auto edge = find_edge(network, static_cast<std::size_t>(spec.edge.groups[g]), spec.edge, start, runs[i]);
      out.eta[c][g][w][s] = edge;
      if (edge) start = *edge;
    }
    done.one_done();
  });
  for (auto r : runs) out.runs += r;
  return out;
}

nlohmann::json fit_mlp_edges(const MlpExperimentSpec& spec, const MlpEdges& edges) {
  const auto models = mlp_configurations(spec);
  const SeedBootstrap bootstrap = bootstrap_over_seeds(spec.widths.size(), 1, spec.seeds.size(), spec.bootstrap, "mlp-lr-bootstrap");
  nlohmann::json curves = nlohmann::json::array();
  for (std::size_t c = 0; c < models.size(); ++c) {
    const gamma::MlpAnswer answer = gamma::answer_mlp(models[c]);
    for (std::size_t g = 0; g < spec.edge.groups.size(); ++g) {
      const gamma::LayerGroup group = spec.edge.groups[g];
      gamma::GroupRates others;
      for (gamma::LayerGroup other : gamma::kLayerGroups)
        if (other != group) others[other] = gamma::MaxAffine();  // not trained, as in the runs
      const gamma::GroupRate alone = gamma::group_rate(models[c], group, others);
      std::vector<std::vector<std::optional<double>>> log_edges(spec.widths.size());
      nlohmann::json measured = nlohmann::json::array();
      std::size_t not_found = 0;
      for (std::size_t w = 0; w < spec.widths.size(); ++w) {
        nlohmann::json at_width = nlohmann::json::array();
        for (const auto& e : edges.eta[c][g][w]) {
          log_edges[w].push_back(e ? std::optional<double>(std::log(*e)) : std::nullopt);
          not_found += !e;
          at_width.push_back(e ? nlohmann::json(*e) : nlohmann::json(nullptr));
        }
        measured.push_back(at_width);
      }
      const AxisEstimates points = seed_mean_estimates(spec.widths, log_edges, bootstrap);
      const SlopeSummary slope = summarise_slope(points, SlopeTarget{"stable", alone.max_stable, std::nullopt},
                                                 VerdictRules{spec.margin, {}}, "width");
      const auto& table = answer.rates.at(group).max_stable;
      curves.push_back({{"parametrization", gamma::parametrizations().name(models[c].parametrization)},
                        {"optimizer", gamma::optimizers().name(models[c].optimizer)},
                        {"group", gamma::layer_groups().name(group)},
                        {"engine_alone", alone.max_stable ? nlohmann::json(gamma::to_string(*alone.max_stable)) : nlohmann::json(nullptr)},
                        {"engine_table", table ? nlohmann::json(gamma::to_string(*table)) : nlohmann::json(nullptr)},
                        {"binding", alone.binding},
                        {"edges", measured},
                        {"edges_not_found", not_found},
                        {"slope", width_slope_json(slope)}});
    }
  }
  return {{"version", kMlpRatesVersion}, {"spec", mlp_spec_to_json(spec)}, {"runs", edges.runs}, {"curves", curves}};
}

std::string mlp_edges_csv(const MlpExperimentSpec& spec, const MlpEdges& edges) {
  const auto models = mlp_configurations(spec);
  std::string csv = "parametrization,optimizer,group,width,seed,edge\n";
  for (std::size_t c = 0; c < models.size(); ++c)
    for (std::size_t g = 0; g < spec.edge.groups.size(); ++g)
      for (std::size_t w = 0; w < spec.widths.size(); ++w)
        for (std::size_t s = 0; s < spec.seeds.size(); ++s) {
          const auto& e = edges.eta[c][g][w][s];
          csv += gamma::parametrizations().name(models[c].parametrization) + "," + gamma::optimizers().name(models[c].optimizer) + "," +
                 gamma::layer_groups().name(spec.edge.groups[g]) + "," + std::to_string(spec.widths[w]) + "," + std::to_string(spec.seeds[s]) +
                 "," + (e ? csv_number(*e) : "") + "\n";
        }
  return csv;
}

// One line per curve: the measured slope of the group's edge, its interval, the engine's
// exponent and the verdict within the margin.
std::vector<std::string> mlp_rate_verdicts(const nlohmann::json& document) {
  std::vector<std::string> lines;
  char text[160];
  for (const auto& curve : document["curves"]) {
    const auto& slope = curve["slope"];
    std::string measured = "no slope";
    if (slope["slope"].is_number()) {
      std::snprintf(text, sizeof text, "%.3f", slope["slope"].get<double>());
      measured = text;
      if (slope["interval"].is_array()) {
        std::snprintf(text, sizeof text, " [%.3f, %.3f]", slope["interval"][0].get<double>(), slope["interval"][1].get<double>());
        measured += text;
      }
    }
    lines.push_back("verdict: " + curve["parametrization"].get<std::string>() + " " + curve["optimizer"].get<std::string>() + " " +
                    curve["group"].get<std::string>() + ": maximal stable η ∝ n^" + measured + " against the engine's " +
                    (curve["engine_alone"].is_string() ? curve["engine_alone"].get<std::string>() : "none") + ": " +
                    slope["verdict_network"].get<std::string>() +
                    (curve["edges_not_found"].get<std::size_t>() == 0
                         ? ""
                         : " (" + std::to_string(curve["edges_not_found"].get<std::size_t>()) +
                               " edges outside the search's range, their widths left out)"));
  }
  return lines;
}

}  // namespace gammalab::sim
