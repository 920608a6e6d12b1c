#include "app/coordcheck_command.hpp"

#include <filesystem>
#include <iostream>
#include <algorithm>
#include <memory>
#include <thread>

#include "app/cli_support.hpp"
#include "experiments/coordinate_check.hpp"
#include "experiments/sweep_job.hpp"
#include "gamma/scheme.hpp"
#include "sim/analysis/coordcheck.hpp"
#include "sim/model/lora_init.hpp"

namespace gammalab::app {

namespace {

struct Options {
  std::string scheme = "A";
  std::optional<std::string> eta_exponent;
  double eta_constant = 1.0;
  std::vector<int> widths = {128, 256, 512, 1024, 2048, 4096};
  int steps = 4, seeds = 4, train_size = 1000, bootstrap = 1000;
  int threads = experiments::default_threads();
  sim::Readout readout = sim::Readout::Standard;
  sim::Optimizer optimizer = sim::Optimizer::Adam;
  std::optional<std::string> output;
  bool json = false;
};

void check(const Options& o) {
  // Every scheme but custom, whose σ exponents this command has no options for.
  if (gamma::is_custom_scheme(o.scheme)) reject("--scheme", "custom needs σ exponents; accepted: " + gamma::scheme_names());
  try {
    sim::find_initialiser(o.scheme);  // the engine's lookup too
  } catch (const InputError& e) {
    reject("--scheme", e.what());
  }
  if (o.widths.size() < 2) reject("--widths", "needs at least two widths to fit an exponent");
  for (int w : o.widths)
    if (w < 4) reject("--widths", "every width must be at least the rank 4, not " + std::to_string(w));
  if (o.steps < 1 || o.steps > 1000) reject("--steps", "must be from 1 to 1000");
  if (o.seeds < 1 || o.seeds > 1000) reject("--seeds", "must be from 1 to 1000");
  experiments::check_threads(o.threads);
  if (!(o.eta_constant > 0)) reject("--eta-const", "must be positive");
  if (o.train_size < 1) reject("--train-size", "must be positive");
  if (o.output && std::filesystem::exists(*o.output)) reject("-o", *o.output + " already exists; choose a new directory");
  if (o.eta_exponent) {
    try {
      gamma::parse_exponent(*o.eta_exponent);
    } catch (const InputError& e) {
      reject("--eta-exp", e.what());
    }
  }
}

sim::CoordCheckSpec spec_of(const Options& o) {
  sim::CoordCheckSpec spec;
  spec.scheme = sim::find_initialiser(o.scheme).name;  // stored by its canonical name
  spec.eta_constant = o.eta_constant;
  spec.widths = o.widths;
  spec.steps = o.steps;
  spec.seeds.clear();
  for (int s = 0; s < o.seeds; ++s) spec.seeds.push_back(static_cast<std::uint64_t>(s));
  spec.readout = o.readout;
  spec.training.optimizer.kind = o.optimizer;
  spec.data.train_size = o.train_size;
  spec.bootstrap = o.bootstrap;
  spec.eta_exponent = o.eta_exponent ? *o.eta_exponent : experiments::engine_eta_exponent(spec.scheme, spec.training, spec.readout, "--eta-exp");
  return spec;
}

}  // namespace

std::function<int()> add_coordcheck_command(CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* command = app.add_subcommand("coordcheck", "Measure each quantity's exponent in n and set it beside the engine's");
  command->add_option("--scheme", o->scheme, "Initialisation scheme: " + gamma::scheme_names() + " but custom")
      ->capture_default_str();
  command->add_option("--eta-exp", o->eta_exponent,
                      "γ[η]: η = C·n^γ[η] (default: the engine's maximal stable exponent for the network setting)");
  command->add_option("--eta-const", o->eta_constant, "C in η = C·n^γ[η]")->capture_default_str();
  command->add_option("--widths", o->widths, "Widths, comma-separated")->delimiter(',')->capture_default_str();
  command->add_option("--steps", o->steps, "Training steps T")->capture_default_str();
  command->add_option("--seeds", o->seeds, "Seeds 0 … S−1")->capture_default_str();
  add_term_option(*command, "--readout", o->readout, gamma::readouts(), "sp (n^-1/2) or mup (n^-1); default sp");
  add_term_option(*command, "--optimizer", o->optimizer, gamma::optimizers(), "The optimiser; default adam");
  command->add_option("--train-size", o->train_size, "Training points of the teacher")->capture_default_str();
  command->add_option("--bootstrap", o->bootstrap, "Bootstrap resamples over seeds")->capture_default_str();
  command->add_option("--threads", o->threads, "CPU threads: (width, seed) runs at once")->capture_default_str();
  command->add_option("-o,--output", o->output, "Write coordcheck.json and coordcheck.csv into this new directory");
  command->add_flag("--json", o->json, "Print the fitted exponents as JSON");
  return [o] {
    check(*o);
    const nlohmann::json fitted = experiments::run_coordinate_check(
        spec_of(*o), o->threads, o->output ? std::optional<std::filesystem::path>(*o->output) : std::nullopt, "coordcheck");
    if (o->json) print_json(fitted);
    else std::cout << sim::describe_coordcheck(fitted);
    return 0;
  };
}

}  // namespace gammalab::app
