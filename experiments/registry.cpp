#include "experiments/registry.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>

#include "cuda/device_probe.hpp"
#include "experiments/coordinate_check.hpp"
#include "experiments/engine_report.hpp"
#include "experiments/figures.hpp"
#include "gamma/input_error.hpp"
#include "experiments/sweep_job.hpp"
#include "sim/sweep/manifest.hpp"
#include "sim/analysis/prediction.hpp"
#include "sim/sweep/result_directory.hpp"
#include "sim/sweep/result_schema.hpp"
#include "sim/analysis/summary.hpp"
#include "sim/analysis/mlp_coordcheck.hpp"
#include "sim/analysis/mlp_rates.hpp"
#include "sim/analysis/results_view.hpp"

namespace gammalab::experiments {

namespace {

namespace fs = std::filesystem;

// ---- what the engine adds beside a measurement --------------------------------------

// The one readout of a spec whose experiment is not a sweep over readouts.
gamma::Readout single_readout(const sim::SweepSpec& spec, const std::string& experiment) {
  if (spec.readouts.size() != 1)
    throw InputError("[model] readout: " + experiment + " takes one readout, not a list of " + std::to_string(spec.readouts.size()));
  return spec.readouts.front();
}

// The engine's exponents of δ¹ (learning through A) and δ² (through B) at steps 1 … 4
// for each scheme, symbolic in γ[η] (single module, Adam), as engine.json.
void write_delta_exponents(const sim::SweepSpec& spec, const fs::path& output) {
  nlohmann::json document;
  for (const auto& scheme : spec.schemes) {
    ModelOptions options;
    options.scheme = scheme;
    Analysis analysis = analyse(choose_model(options), 4);
    for (int t = 1; t <= 4; ++t)
      document[scheme][std::to_string(t)] = {
          {"delta1", analysis.trajectory.at(t, gamma::Quantity::delta1).to_string(gamma::Notation::Ascii)},
          {"delta2", analysis.trajectory.at(t, gamma::Quantity::delta2).to_string(gamma::Notation::Ascii)}};
  }
  sim::write_atomically(output / "engine.json", document.dump(2) + "\n");
}

// The engine's verdicts on the initial scale σ of A and B, as engine.json: Init[AB]
// with σ_A = σ_B = n^e for the exponents e a width-relative σ can have (σ fixed is
// e = 0; Kaiming's σ² = 1/n is e = -1/2), in the sweep's network setting.
void write_sigma_verdicts(const sim::SweepSpec& spec, const fs::path& output) {
  nlohmann::json document = {{"scheme", "AB"}, {"setting", gamma::settings().name(gamma::Setting::Network)},
                             {"readout", gamma::readouts().name(single_readout(spec, "the variance experiment"))}, {"exponents", nlohmann::json::array()}};
  for (const char* exponent : {"0", "-1/4", "-1/2", "-3/4"}) {
    ModelOptions options;
    options.scheme = "AB";
    options.setting = gamma::Setting::Network;
    options.readout = spec.readouts.front();
    options.sigma_A = options.sigma_B = exponent;
    const Analysis analysis = analyse(choose_model(options));
    document["exponents"].push_back({{"sigma_exponent", exponent},
                                     {"stable", region_text(analysis.every_step.stable, analysis.choice.free_parameters)},
                                     {"max_stable", max_stable_text(analysis)}});
  }
  sim::write_atomically(output / "engine.json", document.dump(2) + "\n");
}

// ---- verdict lines -------------------------------------------------------------------

// The verdict lines of the view's slopes (sim/analysis/results_view.hpp) that `shown` keeps, each
// measure at the last horizon (summary.json and `analyze` hold every horizon), and what
// chance alone gives among all the summary's slopes.
std::vector<std::string> verdict_lines(const sim::SweepSummary& summary,
                                       const std::function<bool(const sim::ViewTable&, const std::vector<sim::ViewCell>&)>& shown) {
  const sim::ResultsView view = sim::results_view(summary);
  const sim::ViewTable& slopes = view.table("slopes");
  std::vector<std::string> lines;
  for (const auto& row : slopes.rows) {
    const nlohmann::json& horizon = slopes.cell(row, "horizon").value;
    if ((horizon.is_null() || horizon == summary.horizons.back()) && shown(slopes, row)) lines.push_back(sim::verdict_line(slopes, row));
  }
  lines.push_back(sim::multiplicity_line(summary));
  return lines;
}

// A width sweep's learning-rate slopes, each against the engine bound it tests.
std::vector<std::string> slope_verdicts(const sim::SweepSummary& summary) {
  return verdict_lines(summary, [](const sim::ViewTable& slopes, const auto& row) { return slopes.cell(row, "axis").value == "width"; });
}

// The rank experiment's slopes: in n at the middle rank, and in r at the sweep's largest
// width, for every arm (scheme, multiplier), against the engine's exponents.
std::vector<std::string> rank_verdicts(const sim::SweepSummary& summary) {
  if (summary.rank_slopes.empty()) return {};
  int largest_width = 0;
  std::vector<int> ranks;
  for (const auto& r : summary.rank_slopes) largest_width = std::max(largest_width, r.width);
  for (const auto& arm : summary.arms)
    if (std::find(ranks.begin(), ranks.end(), arm.rank) == ranks.end()) ranks.push_back(arm.rank);
  std::sort(ranks.begin(), ranks.end());
  const int middle_rank = ranks[ranks.size() / 2];
  return verdict_lines(summary, [&](const sim::ViewTable& slopes, const auto& row) {
    const bool along_rank = slopes.cell(row, "axis").value == "rank";
    return slopes.cell(row, "at").value == (along_rank ? largest_width : middle_rank);
  });
}

// ---- the three kinds of experiment ---------------------------------------------------

// The engine's diagrams for Init[A] and Init[B], written as phase-A.json and phase-B.json.
std::vector<std::string> run_phase_diagrams(const fs::path& output) {
  fs::create_directories(output);
  for (const char* scheme : {"A", "B"}) {
    ModelOptions options;
    options.scheme = scheme;
    sim::write_atomically(output / ("phase-" + std::string(scheme) + ".json"),
                          phase_report(options, "eta_A", "eta_B", "-2", "1").document.dump(2) + "\n");
  }
  sim::Manifest manifest;
  manifest.experiment = sim::ExperimentKind::Phase;
  manifest.provenance = this_program();
  manifest.device = "the γ engine (exact, no training)";
  manifest.schemes = {"A", "B"};
  manifest.setting = gamma::settings().name(gamma::Setting::Module);
  manifest.optimizer = gamma::optimizers().name(gamma::Optimizer::Adam);
  manifest.status = "complete";
  sim::write_manifest(output, manifest);
  return {};
}

// The coordinate check of every scheme of a spec, at the engine's maximal stable γ[η]
// for each, with η = C·n^γ[η] and C the spec's one learning rate: coordcheck-SCHEME.json
// and .csv, and a manifest; one verdict line per scheme. Each scheme's (width, seed)
// runs share `threads` CPU threads.
std::vector<std::string> run_coordinate_checks(const fs::path& spec_path, const fs::path& output, int threads) {
  const sim::SweepSpec spec = sim::load_sweep_spec(spec_path.string());
  if (spec.learning_rates.size() != 1)
    throw InputError(spec_path.string() + ": [learning_rate] values: a coordinate check takes one value, the constant C in "
                     "η = C·n^γ[η] (γ[η] is the engine's maximal stable exponent of each scheme)");
  fs::create_directories(output);
  std::vector<std::string> verdicts;
  for (const auto& scheme : spec.schemes) {
    sim::CoordCheckSpec check;
    check.scheme = scheme;
    check.eta_constant = spec.learning_rates.front();
    check.widths = spec.widths;
    check.steps = spec.training.steps;
    check.seeds = spec.seeds;
    check.readout = single_readout(spec, "a coordinate check");
    check.training = spec.training;
    check.data = spec.data;
    check.bootstrap = spec.analysis.bootstrap;
    check.eta_exponent = engine_eta_exponent(scheme, spec.training, check.readout, spec_path.string() + ": [sweep] schemes");
    const nlohmann::json fitted = run_coordinate_check(check, threads, output, "coordcheck-" + scheme);
    std::size_t agree = 0;
    for (const auto& row : fitted["rows"]) agree += row["verdict"] == sim::statistical_verdicts().name(sim::Verdict::Agrees);
    verdicts.push_back("verdict: " + scheme + " at γ[η] = " + check.eta_exponent + ": " + std::to_string(agree) + " of " +
                       std::to_string(fitted["rows"].size()) + " (step, quantity) exponents agree with the engine");
  }
  sim::Manifest manifest;
  manifest.experiment = sim::ExperimentKind::CoordCheck;
  manifest.provenance = this_program();
  manifest.provenance.spec_file = spec_path.string();
  manifest.spec = spec;
  manifest.configurations = spec.schemes.size() * spec.widths.size() * spec.seeds.size();
  manifest.device = "cpu (" + std::to_string(threads) + (threads == 1 ? " thread)" : " threads)");
  manifest.status = "complete";
  sim::write_manifest(output, manifest);
  return verdicts;
}

// The MLP experiments: the spec's (parametrization, optimiser) pairs trained on the CPU,
// their result document and CSV written as STEM.json and STEM.csv, and a manifest.
// `measure` trains, reporting (done, total) to `progress`; `fit` and `csv` read what
// it measured; `verdicts` says it in lines.
template <class Measured>
std::vector<std::string> run_mlp_experiment(
    const fs::path& spec_path, const fs::path& output, int threads, sim::ExperimentKind kind, const std::string& stem,
    const std::function<void(const sim::SweepProgress&)>& progress,
    const std::function<Measured(const sim::MlpExperimentSpec&, int, const std::function<void(std::size_t, std::size_t)>&)>& measure,
    nlohmann::json (*fit)(const sim::MlpExperimentSpec&, const Measured&), std::string (*csv)(const sim::MlpExperimentSpec&, const Measured&),
    std::vector<std::string> (*verdicts)(const nlohmann::json&)) {
  const sim::MlpExperimentSpec spec = sim::load_mlp_spec(spec_path.string());
  fs::create_directories(output);
  const auto started = std::chrono::steady_clock::now();
  const Measured measured = measure(spec, threads, [&](std::size_t done, std::size_t total) {
    if (progress)
      progress({done, total, done, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(), 0});
  });
  const nlohmann::json document = fit(spec, measured);
  sim::write_atomically(output / (stem + ".csv"), csv(spec, measured));
  sim::write_atomically(output / (stem + ".json"), document.dump(2) + "\n");
  sim::Manifest manifest;
  manifest.experiment = kind;
  manifest.provenance = this_program();
  manifest.provenance.spec_file = spec_path.string();
  // The coordinate check trains each (configuration, width, seed) once; the learning-rate
  // sweep finds an edge for each layer group of it.
  manifest.configurations = sim::mlp_configurations(spec).size() * spec.widths.size() * spec.seeds.size() *
                            (kind == sim::ExperimentKind::MlpRates ? spec.edge.groups.size() : 1);
  manifest.device = "cpu (" + std::to_string(threads) + (threads == 1 ? " thread)" : " threads)");
  manifest.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  manifest.status = "complete";
  sim::write_manifest(output, manifest);
  return verdicts(document);
}

// ---- the registry ----------------------------------------------------------------------

enum class Kind { Sweep, CoordCheck, Engine, MlpCoordCheck, MlpRates };

struct Experiment {
  std::string name, what;
  std::string plot, figure;  // the script in plots/ and the file it draws into figures/
  Kind kind = Kind::Sweep;
  // What the engine adds beside a sweep's measurement (engine.json), if anything.
  void (*engine_notes)(const sim::SweepSpec& spec, const fs::path& output) = nullptr;
  // A sweep's verdict lines, if it prints any.
  std::vector<std::string> (*verdicts)(const sim::SweepSummary& summary) = nullptr;
};

const std::vector<Experiment>& experiments() {
  static const std::vector<Experiment> all = {
      {"fig2", "paper 003, figure 2: optimal and maximal stable learning rate against width, Init[A] and Init[B]",
       "plots/lr_vs_width.py", "lr_vs_width.png", Kind::Sweep, nullptr, slope_verdicts},
      {"fig3", "paper 003, figure 3: norms of Z_A and Z_B over training, Init[A] and Init[B], two widths, two seeds",
       "plots/norms_over_training.py", "norms_over_training.png", Kind::Sweep},
      {"initab", "paper 000: Init[AB] against Init[A] across learning rates, the gap growing as the rate shrinks",
       "plots/loss_vs_lr.py", "loss_vs_lr.png", Kind::Sweep, write_delta_exponents},
      {"variance", "papers 000 and 002: loss against the initial scale σ of A and B, Init[AB] and IniLoRA-α, per width",
       "plots/loss_vs_sigma.py", "loss_vs_sigma.png", Kind::Sweep, write_sigma_verdicts},
      {"schemes", "every initialisation scheme at its own tuned learning rate: best loss and optimal rate against width",
       "plots/schemes_vs_width.py", "schemes_vs_width.png", Kind::Sweep},
      {"coordcheck", "each quantity's measured exponent in n, step by step, against the engine's exact one, per scheme",
       "plots/coordcheck.py", "coordcheck.png", Kind::CoordCheck},
      {"rank", "the adapter rank as a second scaling dimension: optimal and maximal stable learning rate against the rank, Init[A] and Init[B], LoRA and rsLoRA",
       "plots/lr_vs_rank.py", "lr_vs_rank.png", Kind::Sweep, nullptr, rank_verdicts},
      {"mlp-coordcheck", "the deep MLP's coordinate check: each layer's feature size and change and the output's, step by step, against the engine's exact exponents, for sp, ntk, mfp and μP under SGD and Adam",
       "plots/mlp_coordcheck.py", "mlp_coordcheck.png", Kind::MlpCoordCheck},
      {"mlp-lr", "the deep MLP's maximal stable learning rate of each layer group against width, for sp, ntk, mfp and μP under SGD and Adam, against the engine's exponents",
       "plots/mlp_lr.py", "mlp_lr.png", Kind::MlpRates},
      {"phase", "the engine's exact (γ[η_A], γ[η_B]) regions for Init[A] and Init[B], with the LoRA+ and equal-rate lines",
       "plots/phase_diagram.py", "phase.png", Kind::Engine},
  };
  return all;
}

// Where experiments/ and plots/ are: --home, $GAMMALAB_HOME, the working directory, or
// the source tree this program was built from.
fs::path find_home(const std::optional<std::string>& given) {
  if (given) {
    if (!fs::exists(fs::path(*given) / "experiments")) reject("--home", *given + " has no experiments/ folder");
    return *given;
  }
  if (const char* env = std::getenv("GAMMALAB_HOME"); env && fs::exists(fs::path(env) / "experiments")) return env;
  if (fs::exists("experiments") && fs::exists("plots")) return fs::current_path();
  return GAMMALAB_SOURCE_DIR;
}

// quick or paper: auto takes the paper scale for a sweep when a GPU will train it.
sim::Scale chosen_scale(const ReproduceRequest& request, const Experiment& experiment) {
  if (request.scale) return *request.scale;
  const bool gpu = request.device != DeviceChoice::Cpu && cuda::probe_devices().device_count > 0;
  return experiment.kind == Kind::Sweep && gpu ? sim::Scale::Paper : sim::Scale::Quick;
}

}  // namespace

std::string reproduce_scales() {
  return sim::scales().name(sim::Scale::Quick) + ", " + sim::scales().name(sim::Scale::Paper) + ", " + std::string(kAutoScale);
}

std::vector<fs::path> verdict_specs(const std::optional<std::string>& home) {
  std::vector<fs::path> specs;
  for (const auto& experiment : experiments())
    if (experiment.verdicts)
      for (sim::Scale scale : {sim::Scale::Quick, sim::Scale::Paper})
        specs.push_back(find_home(home) / "experiments" / (experiment.name + "-" + sim::scales().name(scale) + ".toml"));
  return specs;
}

namespace {
std::string custom_scale_refusal() {
  return "scale 'custom' names no spec of an experiment (each has a quick and a paper one); accepted: " + reproduce_scales() +
         " (a spec of one's own runs with `gammalab sweep`)";
}
}  // namespace

std::optional<sim::Scale> reproduce_scale(std::string_view text) {
  if (gamma::same_name(text, kAutoScale)) return std::nullopt;
  const auto scale = sim::scales().find(text);
  if (!scale) throw InputError("unknown scale '" + std::string(text) + "'; accepted: " + reproduce_scales());
  if (*scale == sim::Scale::Custom) throw InputError(custom_scale_refusal());
  return scale;
}

std::string experiment_names() {
  std::string names;
  for (const auto& e : experiments()) names += (names.empty() ? "" : ", ") + e.name;
  return names;
}

Reproduction reproduce(const ReproduceRequest& request, const std::function<void(const std::string&)>& announce,
                       const std::function<void(const sim::SweepProgress&)>& progress) {
  auto found = std::find_if(experiments().begin(), experiments().end(),
                            [&](const Experiment& e) { return gamma::same_name(request.name, e.name); });
  if (found == experiments().end()) reject("NAME", "unknown experiment '" + request.name + "'; accepted: " + experiment_names());
  if (request.scale == sim::Scale::Custom) reject("--scale", custom_scale_refusal());
  check_threads(request.threads);
  if (request.output && request.output->empty()) reject("-o", "the result directory's path is empty; leave -o out for results/NAME-SCALE");
  const Experiment& experiment = *found;
  const fs::path home = find_home(request.home);

  Reproduction result;
  if (experiment.kind == Kind::Engine) {
    result.output = request.output.value_or("results/" + experiment.name);
    announce("reproducing " + experiment.what + "\n  (the γ engine, exact: no training) → " + result.output.string());
    result.verdicts = run_phase_diagrams(result.output);
  } else {
    const std::string scale = sim::scales().name(chosen_scale(request, experiment));
    const fs::path spec = home / "experiments" / (experiment.name + "-" + scale + ".toml");
    if (!fs::exists(spec)) reject("--scale", "there is no " + spec.string());
    result.output = request.output.value_or("results/" + experiment.name + "-" + scale);
    announce("reproducing " + experiment.what + "\n  spec " + spec.string() + " (" + scale + " scale) → " + result.output.string());
    if (experiment.kind == Kind::CoordCheck) {
      result.verdicts = run_coordinate_checks(spec, result.output, request.threads);
    } else if (experiment.kind == Kind::MlpCoordCheck) {
      result.verdicts = run_mlp_experiment<sim::MlpCoordMeasurements>(
          spec, result.output, request.threads, sim::ExperimentKind::MlpCoordCheck, "mlp-coordcheck", progress,
          sim::measure_mlp_coordinates, sim::fit_mlp_coordinates, sim::mlp_coordcheck_csv, sim::mlp_coordcheck_verdicts);
    } else if (experiment.kind == Kind::MlpRates) {
      result.verdicts = run_mlp_experiment<sim::MlpEdges>(spec, result.output, request.threads, sim::ExperimentKind::MlpRates, "mlp-lr",
                                                          progress, sim::measure_mlp_edges, sim::fit_mlp_edges, sim::mlp_edges_csv,
                                                          sim::mlp_rate_verdicts);
    } else {
      SweepRequest sweep;
      sweep.spec_path = spec.string();
      sweep.output = result.output.string();
      sweep.resume = true;
      sweep.threads = request.threads;
      sweep.device = request.device;
      const nlohmann::json summary = sweep_and_analyse(sweep, progress);
      if (experiment.engine_notes) experiment.engine_notes(sim::load_sweep_spec(spec.string()), result.output);
      if (experiment.verdicts) result.verdicts = experiment.verdicts(summary.get<sim::SweepSummary>());
    }
  }
  result.figure_error = draw_figure(home / experiment.plot, result.output);
  result.figure = result.output / "figures" / experiment.figure;
  return result;
}

}  // namespace gammalab::experiments
