#include "sim/analysis/coordcheck.hpp"

#include <cmath>
#include <map>
#include <sstream>

#include "gamma/lora_dynamics.hpp"
#include "sim/model/lora_network.hpp"
#include "sim/model/coordinate_size.hpp"
#include "sim/model/parallel_tasks.hpp"
#include "sim/analysis/prediction.hpp"
#include "sim/sweep/result_schema.hpp"
#include "sim/analysis/summary.hpp"
#include "sim/analysis/statistics.hpp"

namespace gammalab::sim {

namespace {

// The engine's exact exponents of the measured quantities at each step.
std::vector<std::map<gamma::Quantity, gamma::MaxAffine>> engine_exponents(const CoordCheckSpec& spec) {
  gamma::LoraModel model = engine_model_of(spec.scheme, spec.training, spec.readout);
  model.eta_A = model.eta_B = gamma::parse_exponent(spec.eta_exponent);
  gamma::Trajectory trajectory = gamma::run_dynamics(model, spec.steps);
  std::vector<std::map<gamma::Quantity, gamma::MaxAffine>> steps(static_cast<std::size_t>(spec.steps) + 1);
  for (int t = 0; t <= spec.steps; ++t)
    for (gamma::Quantity id : kCoordQuantities) {
      auto found = trajectory.steps.at(std::min(t, trajectory.horizon())).find(id);
      if (found != trajectory.steps.at(std::min(t, trajectory.horizon())).end()) steps[t][id] = found->second;
    }
  return steps;
}


// RMS sizes at each step of one (width, seed) run: [step][quantity], in the order of
// kCoordQuantities. The run is trained by the one trainer (schedule and divergence rule
// included), which shows the factors after every step; a quantity that does not exist at
// a step (an update at step 0) and every step after a divergence are NaN.
std::vector<std::vector<double>> measure_run(const CoordCheckSpec& spec, const Dataset& data, double exponent, int width,
                                             std::uint64_t seed) {
  auto student = make_frozen_student(data, width, spec.readout, seed);
  TrainSpec t = spec.training;
  t.init.scheme = spec.scheme;
  t.seed = seed;
  t.steps = spec.steps;
  t.lr_A = t.lr_B = spec.eta_constant * std::pow(static_cast<double>(width), exponent);
  t.record_every = 0;
  std::erase_if(t.horizons, [&](int h) { return h > spec.steps; });
  const double scale = adapter_scale(t);
  std::vector<std::vector<double>> per_step(static_cast<std::size_t>(spec.steps) + 1,
                                            std::vector<double>(kCoordQuantities.size(), NAN));
  Eigen::MatrixXd A_before, B_before, Z_A_before, Z_B_before;
  Eigen::VectorXd f_before;
  train(*student, t, [&](const FactorsAtStep& now) {
    const Eigen::MatrixXd Z_A = now.train.Z * now.A.transpose(), Z_B = scale * Z_A * now.B.transpose();
    const Eigen::VectorXd f = lora_outputs(now.train, now.A, now.B, student->w_out, scale);
    std::map<gamma::Quantity, double> size = {{gamma::Quantity::Z_A, rms(Z_A)}, {gamma::Quantity::Z_B, rms(Z_B)},
                                              {gamma::Quantity::B, rms(now.B)}};
    if (now.step > 0) {
      size[gamma::Quantity::dZ_B] = rms(Z_B - Z_B_before);
      size[gamma::Quantity::delta1] = rms(scale * (now.train.Z * (now.A - A_before).transpose()) * B_before.transpose());
      size[gamma::Quantity::delta2] = rms(scale * Z_A_before * (now.B - B_before).transpose());
      size[gamma::Quantity::df] = rms(f - f_before);
    }
    for (std::size_t q = 0; q < kCoordQuantities.size(); ++q)
      if (auto found = size.find(kCoordQuantities[q]); found != size.end()) per_step[now.step][q] = found->second;
    A_before = now.A, B_before = now.B, Z_A_before = Z_A, Z_B_before = Z_B, f_before = f;
  });
  return per_step;
}

}  // namespace

CoordMeasurements measure_coordinates(const CoordCheckSpec& spec, int threads) {
  const Dataset data = make_teacher_dataset(spec.data);
  const double exponent = [&] {
    gamma::Exponent e = gamma::parse_exponent(spec.eta_exponent);
    return e.is_minus_infinity() ? -INFINITY : static_cast<double>(e.value());
  }();
  CoordMeasurements out;
  out.rms.assign(spec.widths.size(), std::vector<std::vector<std::vector<double>>>(spec.seeds.size()));
  // Runs are taken widest first, so that the long ones do not end up last.
  std::vector<std::pair<std::size_t, std::size_t>> runs;
  for (std::size_t w = spec.widths.size(); w-- > 0;)
    for (std::size_t s = 0; s < spec.seeds.size(); ++s) runs.emplace_back(w, s);
  run_tasks(runs.size(), threads, [&](std::size_t i, int) {
    const auto [w, s] = runs[i];
    out.rms[w][s] = measure_run(spec, data, exponent, spec.widths[w], spec.seeds[s]);
  });
  return out;
}

namespace {

// One row of a LoRA coordinate check: the quantity's exponent at one step.
nlohmann::json fit_row(const CoordCheckSpec& spec, const CoordMeasurements& m, int step, std::size_t q,
                       const gamma::MaxAffine& exact, const SeedBootstrap& bootstrap) {
  nlohmann::json row = {{"step", step}, {"quantity", gamma::info(kCoordQuantities[q]).key},
                        {"engine", exact.to_string(gamma::Notation::Ascii)}};
  row.update(fit_coordinate_exponent(spec.widths, [&](std::size_t w, std::size_t s) { return m.rms[w][s][step][q]; }, exact, bootstrap));
  return row;
}

}  // namespace

nlohmann::json fit_coordinate_exponent(const std::vector<int>& widths, const std::function<double(std::size_t, std::size_t)>& rms,
                                       const gamma::MaxAffine& exact, const SeedBootstrap& bootstrap) {
  std::vector<double> log_width;
  for (int w : widths) log_width.push_back(std::log(static_cast<double>(w)));
  // The mean of log RMS over a sample of seeds, per width; nothing if any is zero.
  auto slope_for = [&](const WidthSamples& sample) -> std::optional<double> {
    std::vector<double> y;
    for (std::size_t w = 0; w < widths.size(); ++w) {
      double sum = 0;
      for (auto s : sample[w]) {
        double value = rms(w, s);
        if (!(value > 0)) return std::nullopt;
        sum += std::log(value);
      }
      y.push_back(sum / static_cast<double>(sample[w].size()));
    }
    return least_squares_slope(log_width, y);
  };
  bool all_zero = true, all_finite = true;
  for (std::size_t w = 0; w < widths.size(); ++w)
    for (auto s : bootstrap.everyone[w]) all_zero = all_zero && rms(w, s) == 0, all_finite = all_finite && std::isfinite(rms(w, s));
  const auto& verdicts = statistical_verdicts();
  nlohmann::json row = {{"interval", nullptr}};
  if (!all_finite) {  // a run that diverged before this step (the MLP's unstable parametrizations)
    row["slope"] = nullptr;
    row["verdict"] = verdicts.name(Verdict::Undetermined) + " (not finite at some widths)";
    return row;
  }
  if (all_zero) {
    row["slope"] = "exactly zero";
    row["verdict"] = verdicts.name(exact.is_zero_quantity() ? Verdict::Agrees : Verdict::Departs);
    return row;
  }
  const auto slope = slope_for(bootstrap.everyone);
  if (!slope) {
    row["slope"] = nullptr;
    row["verdict"] = verdicts.name(Verdict::Undetermined) + " (zero at some widths only)";
    return row;
  }
  row["slope"] = *slope;
  std::vector<double> replicates;
  for (const auto& sample : bootstrap.resamples)
    if (auto r = slope_for(sample)) replicates.push_back(*r);
  const auto interval = percentile_interval(replicates);
  if (!interval) {
    row["verdict"] = verdicts.name(Verdict::Undetermined) + " (one seed)";
    return row;
  }
  row["interval"] = *interval;
  if (exact.is_zero_quantity()) {
    row["verdict"] = verdicts.name(Verdict::Departs);  // the engine says exactly zero, the measurement is not
    return row;
  }
  const double predicted = static_cast<double>(exact.forms().front().constant_term());
  row["verdict"] = verdicts.name(verdict_of(predicted, *interval));
  row["gap"] = *slope - predicted;
  return row;
}

nlohmann::json fit_coordinates(const CoordCheckSpec& spec, const CoordMeasurements& m) {
  const auto engine = engine_exponents(spec);
  // Each (width, seed) is an independent student of the check's one teacher: the
  // statistics module resamples seeds independently at each width.
  const SeedBootstrap bootstrap = bootstrap_over_seeds(spec.widths.size(), 1, spec.seeds.size(), spec.bootstrap, "coordcheck-bootstrap");
  nlohmann::json rows = nlohmann::json::array();
  for (int step = 0; step <= spec.steps; ++step)
    for (std::size_t q = 0; q < kCoordQuantities.size(); ++q) {
      const gamma::Quantity id = kCoordQuantities[q];
      if (!engine[step].count(id)) continue;  // an update at step 0
      rows.push_back(fit_row(spec, m, step, q, engine[step].at(id), bootstrap));
    }
  nlohmann::json quantities = nlohmann::json::array();
  for (gamma::Quantity id : kCoordQuantities) quantities.push_back({{"key", gamma::info(id).key}, {"symbol", gamma::info(id).symbol}});
  return {{"version", kCoordCheckVersion}, {"scheme", spec.scheme}, {"eta_exponent", spec.eta_exponent}, {"eta_constant", spec.eta_constant},
          {"widths", spec.widths},     {"seeds", spec.seeds.size()},       {"steps", spec.steps},
          {"readout", gamma::readouts().name(spec.readout)},         {"quantities", quantities}, {"rows", rows}};
}

std::string describe_coordcheck(const nlohmann::json& fitted) {
  std::ostringstream out;
  out << "coordinate check: " << fitted["scheme"].get<std::string>() << ", η = " << fitted["eta_constant"].get<double>()
      << "·n^(" << fitted["eta_exponent"].get<std::string>() << "), readout " << fitted["readout"].get<std::string>()
      << ", " << fitted["seeds"].get<std::size_t>() << " seeds; exponent of the RMS coordinate in n\n";
  out << "step  quantity  measured  interval              engine      verdict\n";
  char line[256];
  for (const auto& row : fitted["rows"]) {
    std::string measured = row["slope"].is_number() ? std::to_string(row["slope"].get<double>()).substr(0, 7)
                           : row["slope"].is_null() ? "—"
                                                    : row["slope"].get<std::string>();
    std::string interval = "—";
    if (!row["interval"].is_null()) {
      char t[64];
      std::snprintf(t, sizeof t, "[%.3f, %.3f]", row["interval"][0].get<double>(), row["interval"][1].get<double>());
      interval = t;
    }
    std::snprintf(line, sizeof line, "%-4d  %-8s  %-8s  %-20s  %-10s  %s\n", row["step"].get<int>(),
                  row["quantity"].get<std::string>().c_str(), measured.c_str(), interval.c_str(),
                  row["engine"].get<std::string>().c_str(), row["verdict"].get<std::string>().c_str());
    out << line;
  }
  return out.str();
}

std::string coordcheck_csv(const CoordCheckSpec& spec, const CoordMeasurements& measurements) {
  std::string csv = "width,seed,step,quantity,rms\n";
  for (std::size_t w = 0; w < spec.widths.size(); ++w)
    for (std::size_t s = 0; s < spec.seeds.size(); ++s)
      for (int t = 0; t <= spec.steps; ++t)
        for (std::size_t q = 0; q < kCoordQuantities.size(); ++q) {
          const double value = measurements.rms[w][s][static_cast<std::size_t>(t)][q];
          if (std::isnan(value)) continue;
          csv += std::to_string(spec.widths[w]) + "," + std::to_string(spec.seeds[s]) + "," + std::to_string(t) + "," +
                 gamma::info(kCoordQuantities[q]).key + "," + csv_number(value) + "\n";
        }
  return csv;
}

}  // namespace gammalab::sim
