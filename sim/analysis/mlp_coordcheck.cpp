#include "sim/analysis/mlp_coordcheck.hpp"

#include <cmath>

#include "sim/analysis/coordcheck.hpp"
#include "sim/analysis/statistics.hpp"
#include "sim/model/parallel_tasks.hpp"
#include "sim/sweep/result_schema.hpp"

namespace gammalab::sim {

std::vector<std::string> mlp_quantity_keys(int layers, int step) {
  const std::string prefix = step == 0 ? "" : "d";
  std::vector<std::string> keys;
  for (int l = 1; l <= layers; ++l) keys.push_back(prefix + "x" + std::to_string(l));
  keys.push_back(prefix + "f");
  return keys;
}

std::string mlp_quantity_symbol(const std::string& key) {
  const bool change = key.front() == 'd';
  const std::string rest = change ? key.substr(1) : key;
  if (rest == "f") return change ? "Δf" : "f";
  const int layer = std::stoi(rest.substr(1));
  return change ? gamma::feature_change_symbol(layer) : gamma::feature_symbol(layer);
}

std::vector<gamma::MlpModel> mlp_configurations(const MlpExperimentSpec& spec) {
  std::vector<gamma::MlpModel> models;
  for (auto p : spec.parametrizations)
    for (auto o : spec.optimizers) models.push_back(gamma::mlp_preset(p, o, gamma::Alignment::Full, spec.network.layers));
  return models;
}

namespace {

// One run's RMS sizes, [step][layer 0 … L−1, output].
std::vector<std::vector<double>> measure_run(const MlpExperimentSpec& spec, const gamma::MlpModel& model, int width, std::uint64_t seed) {
  MlpNetworkSpec network = spec.network;
  network.width = width;
  network.seed = seed;
  set_parametrization(network, model, spec.eta(model.optimizer));
  const std::size_t L = static_cast<std::size_t>(network.layers);
  std::vector<std::vector<double>> sizes(static_cast<std::size_t>(network.steps) + 1, std::vector<double>(L + 1, NAN));
  MlpForward initial;
  train_mlp(network, [&](const MlpForward& now) {
    auto& at = sizes[static_cast<std::size_t>(now.step)];
    if (now.step == 0) initial = now;
    at = now.step == 0 ? rms_sizes(now) : rms_changes(now, initial);
    return true;
  });
  return sizes;
}

// The engine's exponent of measured quantity q (layer index, or L for the output) at a step.
gamma::MaxAffine engine_exponent(const gamma::MlpStep& step, int t, std::size_t q, std::size_t layers) {
  if (t == 0) return q == layers ? step.output : step.features[q];
  return q == layers ? step.output_change : step.feature_change[q];
}

bool grows(const gamma::MaxAffine& g) { return !g.is_zero_quantity() && g.evaluate({}) > gamma::Exponent(0); }

}  // namespace

MlpCoordMeasurements measure_mlp_coordinates(const MlpExperimentSpec& spec, int threads,
                                             const std::function<void(std::size_t, std::size_t)>& progress) {
  const auto models = mlp_configurations(spec);
  MlpCoordMeasurements out;
  out.rms.assign(models.size(), std::vector<std::vector<std::vector<std::vector<double>>>>(
                                    spec.widths.size(), std::vector<std::vector<std::vector<double>>>(spec.seeds.size())));
  // Widest first, so that the long runs do not end up last.
  struct Run {
    std::size_t model, width, seed;
  };
  std::vector<Run> runs;
  for (std::size_t w = spec.widths.size(); w-- > 0;)
    for (std::size_t m = 0; m < models.size(); ++m)
      for (std::size_t s = 0; s < spec.seeds.size(); ++s) runs.push_back({m, w, s});
  TaskProgress done(runs.size(), progress);
  run_tasks(runs.size(), threads, [&](std::size_t i, int) {
    const Run& r = runs[i];
    out.rms[r.model][r.width][r.seed] = measure_run(spec, models[r.model], spec.widths[r.width], spec.seeds[r.seed]);
    done.one_done();
  });
  return out;
}

nlohmann::json fit_mlp_coordinates(const MlpExperimentSpec& spec, const MlpCoordMeasurements& m) {
  const auto models = mlp_configurations(spec);
  const auto L = static_cast<std::size_t>(spec.network.layers);
  // Every (width, seed) is its own network on the one data set: seeds are resampled
  // independently at each width, as in the LoRA coordinate check.
  const SeedBootstrap bootstrap = bootstrap_over_seeds(spec.widths.size(), 1, spec.seeds.size(), spec.bootstrap, "mlp-coordcheck-bootstrap");
  const std::string past = statistical_verdicts().name(Verdict::Undetermined) + " (past the first quantity that grows)";
  nlohmann::json checks = nlohmann::json::array();
  for (std::size_t c = 0; c < models.size(); ++c) {
    const gamma::MlpModel& model = models[c];
    const gamma::MlpAnswer answer = gamma::answer_mlp(model);
    // Rows in the order the network computes them (step by step, input to output): the
    // first that grows with n is the last the stable path predicts.
    nlohmann::json rows = nlohmann::json::array(), first_growth = nullptr;
    for (int t = 0; t <= spec.network.steps; ++t) {
      const auto& step = answer.trajectory.steps[std::min<std::size_t>(static_cast<std::size_t>(t), answer.trajectory.steps.size() - 1)];
      const auto keys = mlp_quantity_keys(spec.network.layers, t);
      for (std::size_t q = 0; q <= L; ++q) {
        const gamma::MaxAffine exact = engine_exponent(step, t, q, L);
        nlohmann::json row = {{"step", t}, {"quantity", keys[q]}, {"engine", exact.to_string(gamma::Notation::Ascii)}};
        row.update(fit_coordinate_exponent(
            spec.widths, [&](std::size_t w, std::size_t s) { return m.rms[c][w][s][static_cast<std::size_t>(t)][q]; }, exact, bootstrap));
        row["predicted"] = first_growth.is_null();
        if (!row["predicted"]) row["verdict"] = past, row.erase("gap");
        else if (t > 0 && grows(exact)) first_growth = {{"step", t}, {"quantity", keys[q]}};
        rows.push_back(row);
      }
    }
    checks.push_back({{"parametrization", gamma::parametrizations().name(model.parametrization)},
                      {"optimizer", gamma::optimizers().name(model.optimizer)},
                      {"eta", spec.eta(model.optimizer)},
                      {"engine_stable", answer.stable},
                      {"first_growth", first_growth},
                      {"rows", rows}});
  }
  nlohmann::json quantities = nlohmann::json::array();
  for (int t : {0, 1})
    for (const auto& key : mlp_quantity_keys(spec.network.layers, t)) quantities.push_back({{"key", key}, {"symbol", mlp_quantity_symbol(key)}});
  return {{"version", kMlpCoordCheckVersion}, {"spec", mlp_spec_to_json(spec)}, {"quantities", quantities}, {"checks", checks}};
}

std::string mlp_coordcheck_csv(const MlpExperimentSpec& spec, const MlpCoordMeasurements& m) {
  const auto models = mlp_configurations(spec);
  std::string csv = "parametrization,optimizer,width,seed,step,quantity,rms\n";
  for (std::size_t c = 0; c < models.size(); ++c)
    for (std::size_t w = 0; w < spec.widths.size(); ++w)
      for (std::size_t s = 0; s < spec.seeds.size(); ++s)
        for (int t = 0; t <= spec.network.steps; ++t) {
          const auto keys = mlp_quantity_keys(spec.network.layers, t);
          for (std::size_t q = 0; q < keys.size(); ++q) {
            csv += gamma::parametrizations().name(models[c].parametrization) + "," + gamma::optimizers().name(models[c].optimizer) + "," +
                   std::to_string(spec.widths[w]) + "," + std::to_string(spec.seeds[s]) + "," + std::to_string(t) + "," + keys[q] + "," +
                   csv_number(m.rms[c][w][s][static_cast<std::size_t>(t)][q]) + "\n";
          }
        }
  return csv;
}

// Per (parametrization, optimiser): how many of the predicted (step, quantity) exponents
// agree, and which depart.
std::vector<std::string> mlp_coordcheck_verdicts(const nlohmann::json& document) {
  const std::string agrees = statistical_verdicts().name(Verdict::Agrees);
  std::vector<std::string> lines;
  for (const auto& check : document["checks"]) {
    std::size_t agree = 0, predicted = 0;
    std::string departing;
    for (const auto& row : check["rows"]) {
      if (!row["predicted"].get<bool>()) continue;
      ++predicted;
      if (row["verdict"] == agrees) ++agree;
      else departing += (departing.empty() ? "" : ", ") + mlp_quantity_symbol(row["quantity"]) + " at step " +
                        std::to_string(row["step"].get<int>()) + " (" + row["verdict"].get<std::string>() + ")";
    }
    lines.push_back("verdict: " + check["parametrization"].get<std::string>() + " " + check["optimizer"].get<std::string>() + ": " +
                    std::to_string(agree) + " of " + std::to_string(predicted) + " (step, quantity) exponents agree with the engine" +
                    (check["first_growth"].is_null() ? "" : " (unstable: predicted up to " + mlp_quantity_symbol(check["first_growth"]["quantity"]) +
                                                            " at step " + std::to_string(check["first_growth"]["step"].get<int>()) + ", which grows)") +
                    (departing.empty() ? "" : "; not: " + departing));
  }
  return lines;
}

}  // namespace gammalab::sim
