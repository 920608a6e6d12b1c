#include "app/reproduce_command.hpp"

#include <iostream>
#include <memory>

#include "app/cli_support.hpp"
#include "app/interrupt.hpp"
#include "app/progress.hpp"
#include "experiments/registry.hpp"

namespace gammalab::app {

std::function<int()> add_reproduce_command(CLI::App& app) {
  auto o = std::make_shared<experiments::ReproduceRequest>();
  o->threads = experiments::default_threads();
  auto* command = app.add_subcommand("reproduce", "Reproduce a paper's figure: sweep, analysis, figure and verdict");
  command->add_option("NAME", o->name, "The experiment: " + experiments::experiment_names())->required();
  command->add_option_function<std::string>(
      "--scale",
      [o](const std::string& text) {
        try {
          o->scale = experiments::reproduce_scale(text);
        } catch (const InputError& e) {
          throw CLI::ValidationError("--scale", e.what());
        }
      },
      "quick (CPU, minutes), paper (GPU), or auto (paper when a GPU is usable); default auto");
  command->add_option("-o,--output", o->output, "Result directory (default results/NAME-SCALE; an existing sweep is resumed; a coordinate check or MLP experiment runs again)");
  add_term_option(*command, "--device", o->device, experiments::device_choices(), "Where to train; default auto");
  command->add_option("--threads", o->threads, "CPU threads")->capture_default_str();
  command->add_option("--home", o->home, "Where experiments/ and plots/ are (default: $GAMMALAB_HOME, ., or the source tree)");
  return [o] {
    const StopMessage stopped("\ngammalab: stopped. A sweep keeps every configuration written so far, and the same command "
                              "(gammalab reproduce " + o->name + " …) resumes it where this one stopped; a coordinate check or "
                              "MLP experiment writes its results at the end, and runs again from the start.\n");
    ProgressReporter progress("configurations");
    const experiments::Reproduction result = experiments::reproduce(
        *o, [](const std::string& line) { std::cout << line << std::endl; }, progress.for_sweep(false));
    progress.finish();
    // The verdicts come from the data alone: printed even where the figure could not be drawn.
    if (result.figure_error.empty()) std::cout << "figure: " << result.figure.string() << "\n";
    for (const auto& line : result.verdicts) std::cout << line << "\n";
    if (!result.figure_error.empty()) {
      std::cerr << "gammalab: the figure was not drawn (" << result.figure_error << "); the data are in "
                << result.output.string() << "\n";
      return 1;
    }
    return 0;
  };
}

}  // namespace gammalab::app
