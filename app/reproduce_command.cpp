#include "app/reproduce_command.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>

#include "app/cli_support.hpp"
#include "app/gamma_command.hpp"
#include "app/gamma_report.hpp"
#include "app/sweep_command.hpp"
#include "cuda/device_probe.hpp"
#include "sim/coordcheck.hpp"
#include "sim/prediction.hpp"
#include "sim/result_directory.hpp"
#include "sim/result_schema.hpp"
#include "sim/sweep_spec.hpp"

namespace gammalab::app {

namespace {

namespace fs = std::filesystem;

// The experiments a user can name. A sweep or coordinate-check experiment has
// experiments/NAME-quick.toml (the 2-core CPU, minutes) and experiments/NAME-paper.toml
// (the GPU); an engine experiment needs no training. Each has its figure script.
struct Experiment {
  enum class Kind { Sweep, CoordCheck, Engine };
  // What the engine adds beside a sweep's measurement, in engine.json.
  enum class EngineNotes { None, DeltaExponents, SigmaVerdicts };
  std::string name, what, plot, figure;
  Kind kind = Kind::Sweep;
  bool slope_verdicts = false;  // print the learning-rate slopes against the engine (a width sweep)
  EngineNotes notes = EngineNotes::None;
};
const std::vector<Experiment>& experiments() {
  using Kind = Experiment::Kind;
  using Notes = Experiment::EngineNotes;
  static const std::vector<Experiment> all = {
      {"fig2", "paper 003, figure 2: optimal and maximal stable learning rate against width, Init[A] and Init[B]",
       "plots/lr_vs_width.py", "lr_vs_width.png", Kind::Sweep, true, Notes::None},
      {"fig3", "paper 003, figure 3: norms of Z_A and Z_B over training, Init[A] and Init[B], two widths, two seeds",
       "plots/norms_over_training.py", "norms_over_training.png", Kind::Sweep, false, Notes::None},
      {"initab", "paper 000: Init[AB] against Init[A] across learning rates, the gap growing as the rate shrinks",
       "plots/loss_vs_lr.py", "loss_vs_lr.png", Kind::Sweep, false, Notes::DeltaExponents},
      {"variance", "papers 000 and 002: loss against the initial scale σ of A and B, Init[AB] and IniLoRA-α, per width",
       "plots/loss_vs_sigma.py", "loss_vs_sigma.png", Kind::Sweep, false, Notes::SigmaVerdicts},
      {"schemes", "every initialisation scheme at its own tuned learning rate: best loss and optimal rate against width",
       "plots/schemes_vs_width.py", "schemes_vs_width.png", Kind::Sweep, false, Notes::None},
      {"coordcheck", "each quantity's measured exponent in n, step by step, against the engine's exact one, per scheme",
       "plots/coordcheck.py", "coordcheck.png", Kind::CoordCheck, false, Notes::None},
      {"phase", "the engine's exact (γ[η_A], γ[η_B]) regions for Init[A] and Init[B], with the LoRA+ and equal-rate lines",
       "plots/phase_diagram.py", "phase.png", Kind::Engine, false, Notes::None},
  };
  return all;
}

// The engine's diagrams for Init[A] and Init[B], written as phase-A.json and phase-B.json.
void write_phase_documents(const fs::path& output) {
  fs::create_directories(output);
  for (const char* scheme : {"A", "B"}) {
    ModelOptions options;
    options.scheme = scheme;
    sim::write_atomically(output / ("phase-" + std::string(scheme) + ".json"),
                          phase_document(options, "eta_A", "eta_B", "-2", "1").dump(2) + "\n");
  }
  sim::write_atomically(output / "manifest.json",
                        nlohmann::json{{"experiment", "phase"}, {"program", "gammalab " GAMMALAB_VERSION},
                                       {"git_revision", GAMMALAB_GIT_REVISION}, {"schemes", {"A", "B"}},
                                       {"setting", "module"}, {"optimizer", "adam"}}
                                .dump(2) + "\n");
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

// The engine's exponents of δ¹ (learning through A) and δ² (through B) at steps 1 … 4
// for each scheme, symbolic in γ[η] (single module, Adam), as engine.json.
void write_delta_exponents(const std::vector<std::string>& schemes, const fs::path& output) {
  nlohmann::json document;
  for (const auto& scheme : schemes) {
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
  nlohmann::json document = {{"scheme", "AB"}, {"setting", "network"}, {"readout", spec.readout == sim::Readout::MuP ? "mup" : "sp"},
                             {"exponents", nlohmann::json::array()}};
  for (const char* exponent : {"0", "-1/4", "-1/2", "-3/4"}) {
    ModelOptions options;
    options.scheme = "AB";
    options.setting = "network";
    options.readout = spec.readout == sim::Readout::MuP ? "mup" : "sp";
    options.sigma_A = options.sigma_B = exponent;
    const Analysis analysis = analyse(choose_model(options));
    document["exponents"].push_back({{"sigma_exponent", exponent},
                                     {"stable", region_text(analysis.every_step.stable, analysis.choice.free_parameters)},
                                     {"max_stable", max_stable_text(analysis)}});
  }
  sim::write_atomically(output / "engine.json", document.dump(2) + "\n");
}

// The coordinate check of every scheme of a spec, at the engine's maximal stable γ[η]
// for each, with η = C·n^γ[η] and C the spec's one learning rate: coordcheck-SCHEME.json
// and .csv, and a manifest. Prints one verdict line per scheme. Each scheme's (width,
// seed) runs share `threads` CPU threads.
void run_coordinate_checks(const fs::path& spec_path, const fs::path& output, int threads) {
  const std::string text = sim::read_spec_file(spec_path.string());
  const sim::SweepSpec spec = sim::parse_sweep_spec(text, spec_path.string());
  if (spec.learning_rates.size() != 1)
    throw InputError(spec_path.string() + ": [learning_rate] values: a coordinate check takes one value, the constant C in "
                     "η = C·n^γ[η] (γ[η] is the engine's maximal stable exponent of each scheme)");
  fs::create_directories(output);
  for (const auto& scheme : spec.schemes) {
    sim::CoordCheckSpec check;
    check.scheme = scheme;
    check.eta_constant = spec.learning_rates.front();
    check.widths = spec.widths;
    check.steps = spec.training.steps;
    check.seeds = spec.seeds;
    check.readout = spec.readout;
    check.training = spec.training;
    check.data = spec.data;
    check.bootstrap = spec.analysis.bootstrap;
    auto top = sim::max_stable_exponent(sim::engine_model_of(scheme, spec.training, spec.readout));
    if (!top) throw InputError(spec_path.string() + ": [sweep] schemes: the engine finds no maximal stable γ[η] for " + scheme);
    check.eta_exponent = gamma::to_string(*top);
    const auto measurements = sim::measure_coordinates(check, threads);
    const nlohmann::json fitted = sim::fit_coordinates(check, measurements);
    sim::write_atomically(output / ("coordcheck-" + scheme + ".csv"), sim::coordcheck_csv(check, measurements));
    sim::write_atomically(output / ("coordcheck-" + scheme + ".json"), fitted.dump(2) + "\n");
    std::size_t agree = 0;
    for (const auto& row : fitted["rows"]) agree += row["verdict"] == "agrees";
    std::cout << "verdict: " << scheme << " at γ[η] = " << check.eta_exponent << ": " << agree << " of " << fitted["rows"].size()
              << " (step, quantity) exponents agree with the engine\n";
  }
  sim::write_atomically(output / "manifest.json",
                        nlohmann::json{{"experiment", "coordcheck"}, {"spec_name", spec.name}, {"scale", spec.scale},
                                       {"spec", sim::spec_to_json(spec)}, {"schemes", spec.schemes}, {"program", "gammalab " GAMMALAB_VERSION},
                                       {"git_revision", GAMMALAB_GIT_REVISION},
                                       {"device", "cpu (" + std::to_string(threads) + (threads == 1 ? " thread)" : " threads)")}}
                                .dump(2) + "\n");
}

// A Python that can draw: $GAMMALAB_PYTHON, else the first of Debian's python3 and the
// python3 on PATH that imports matplotlib (machines differ in which one has it).
std::string python() {
  if (const char* chosen = std::getenv("GAMMALAB_PYTHON")) return chosen;
  for (const char* candidate : {"/usr/bin/python3", "python3"})
    if (std::system((std::string(candidate) + " -c 'import matplotlib' > /dev/null 2>&1").c_str()) == 0) return candidate;
  return "python3";
}

// Runs a figure script; false (with a message) when it fails.
bool draw(const std::string& command, const std::string& output) {
  if (std::system((command + " > /dev/null").c_str()) == 0) return true;
  std::cerr << "gammalab: the figure was not drawn (" << command << " failed: is python3-matplotlib installed?); "
            << "the data are in " << output << "\n";
  return false;
}

std::string format_slope(const sim::SlopeSummary& slope) {
  if (!slope.slope) return "no slope (fewer than two widths inside the grid)";
  char text[160];
  if (!slope.interval)
    std::snprintf(text, sizeof text, "n^%.2f (no interval)", *slope.slope);
  else
    std::snprintf(text, sizeof text, "n^%.2f [%.2f, %.2f]", *slope.slope, slope.interval->low, slope.interval->high);
  return text;
}

}  // namespace

std::function<int()> add_reproduce_command(CLI::App& app) {
  struct Options {
    std::string name, scale = "auto", device = "auto";
    std::optional<std::string> output, home;
    int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  };
  auto o = std::make_shared<Options>();
  std::string names;
  for (const auto& e : experiments()) names += (names.empty() ? "" : ", ") + e.name;
  auto* command = app.add_subcommand("reproduce", "Reproduce a paper's figure: sweep, analysis, figure and verdict");
  command->add_option("NAME", o->name, "The experiment: " + names)->required();
  command->add_option("--scale", o->scale, "quick (CPU, minutes), paper (GPU), or auto (paper when a GPU is usable)")
      ->check(CLI::IsMember({"quick", "paper", "auto"}))
      ->capture_default_str();
  command->add_option("-o,--output", o->output, "Result directory (default results/NAME-SCALE; an existing one is resumed)");
  command->add_option("--device", o->device, "cpu, gpu or auto")->check(CLI::IsMember({"cpu", "gpu", "auto"}))->capture_default_str();
  command->add_option("--threads", o->threads, "CPU threads")->capture_default_str();
  command->add_option("--home", o->home, "Where experiments/ and plots/ are (default: $GAMMALAB_HOME, ., or the source tree)");
  return [o, names] {
    auto found = std::find_if(experiments().begin(), experiments().end(), [&](const Experiment& e) { return e.name == o->name; });
    if (found == experiments().end()) reject("NAME", "unknown experiment '" + o->name + "'; accepted: " + names);
    check_threads(o->threads);
    const fs::path home = find_home(o->home);
    const std::string draw_with = python() + " '" + (home / found->plot).string() + "' ";
    if (found->kind == Experiment::Kind::Engine) {
      const std::string output = o->output.value_or("results/" + o->name);
      std::cout << "reproducing " << found->what << "\n  (the γ engine, exact: no training) → " << output << "\n";
      write_phase_documents(output);
      if (!draw(draw_with + "'" + output + "'", output)) return 1;
      std::cout << "figure: " << (fs::path(output) / "figures" / found->figure).string() << "\n";
      return 0;
    }
    std::string scale = o->scale;
    if (scale == "auto")
      scale = found->kind == Experiment::Kind::Sweep && o->device != "cpu" && cuda::probe_devices().device_count > 0 ? "paper" : "quick";
    const fs::path spec = home / "experiments" / (o->name + "-" + scale + ".toml");
    if (!fs::exists(spec)) reject("--scale", "there is no " + spec.string());
    const std::string output = o->output.value_or("results/" + o->name + "-" + scale);

    std::cout << "reproducing " << found->what << "\n  spec " << spec.string() << " (" << scale << " scale) → " << output << "\n";
    if (found->kind == Experiment::Kind::CoordCheck) {
      run_coordinate_checks(spec, output, o->threads);
      if (!draw(draw_with + "'" + output + "'", output)) return 1;
      std::cout << "figure: " << (fs::path(output) / "figures" / found->figure).string() << "\n";
      return 0;
    }
    const auto summary = sweep_and_analyse({spec.string(), output, /*resume=*/true, o->threads, o->device, false}).get<sim::SweepSummary>();
    if (found->notes == Experiment::EngineNotes::DeltaExponents) {
      std::vector<std::string> schemes;
      for (const auto& arm : summary.arms) schemes.push_back(arm.scheme);
      write_delta_exponents(schemes, output);
    }
    if (found->notes == Experiment::EngineNotes::SigmaVerdicts)
      write_sigma_verdicts(sim::load_sweep_spec(spec.string()), output);
    if (!draw(draw_with + "'" + output + "'", output)) return 1;
    std::cout << "figure: " << (fs::path(output) / "figures" / found->figure).string() << "\n";
    for (const auto& arm : found->slope_verdicts ? summary.arms : std::vector<sim::ArmSummary>{}) {
      const std::string predicted = arm.engine_network ? arm.engine_network->exact : "none";
      for (sim::Estimator e : sim::kEstimators)
        std::cout << "verdict: " << arm.scheme << " " << sim::name_of(e) << " η ∝ " << format_slope(arm.slope(e))
                  << " against the engine's n^" << predicted << " (network): " << arm.slope(e).verdict_network << "\n";
    }
    return 0;
  };
}

}  // namespace gammalab::app
