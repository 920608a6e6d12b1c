#include "app/calibrate_command.hpp"

#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "experiments/registry.hpp"
#include "sim/analysis/analysis.hpp"
#include "sim/analysis/calibration.hpp"

namespace gammalab::app {

namespace {

struct CalibrateOptions {
  std::vector<std::string> specs;
  int trials = 200;
  std::uint64_t seed = 1;
  std::optional<std::string> home;
};

}  // namespace

std::function<int()> add_calibrate_command(CLI::App& app) {
  auto o = std::make_shared<CalibrateOptions>();
  auto* command = app.add_subcommand(
      "calibrate",
      "The analysis's intervals and verdicts on synthetic sweeps of known truth (power laws, a wrong exponent, finite-width "
      "corrections, non-monotone edges, divergent seeds): per scenario, the intervals' coverage and each verdict's rate");
  command->add_option("SPEC", o->specs,
                      "Sweep specs whose slope widths, seeds, bootstrap resamples and margin the synthetic sweeps take (default: the "
                      "quick and paper specs of the experiments that print verdicts)");
  command->add_option("--trials", o->trials, "Synthetic sweeps per scenario (default 200)")->check(CLI::Range(10, 1'000'000));
  command->add_option("--seed", o->seed, "The seed of the synthetic noise (default 1)");
  command->add_option("--home", o->home, "Where experiments/ is, for the default specs (default: $GAMMALAB_HOME, ., or the source tree)");
  return [o] {
    std::vector<std::string> specs = o->specs;
    if (specs.empty())
      for (const auto& path : experiments::verdict_specs(o->home)) specs.push_back(path.string());
    // Every spec is read before any is calibrated: a bad one is refused before output starts.
    std::vector<sim::CalibrationSetting> settings;
    for (const auto& path : specs) {
      const sim::SweepSpec spec = sim::load_sweep_spec(path);
      const std::vector<int> widths = sim::slope_widths_of(spec);
      if (widths.size() < 2 || spec.seeds.size() < 2 || spec.analysis.bootstrap < 2)
        throw InputError(path + ": a calibration needs at least two slope widths, two seeds and two bootstrap resamples ([sweep] "
                                "widths, seeds, [analysis] bootstrap)");
      settings.push_back({path, widths, spec.seeds.size(), spec.analysis.bootstrap, spec.analysis.margin, static_cast<std::size_t>(spec.teachers)});
    }
    for (const auto& setting : settings) {
      const auto outcomes = sim::calibrate(setting, sim::calibration_scenarios(setting.margin), o->trials, o->seed);
      std::cout << sim::calibration_table(setting, outcomes) << "\n" << std::flush;
    }
    return 0;
  };
}

}  // namespace gammalab::app
