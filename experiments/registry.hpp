#pragma once
// The experiments a user can name (`gammalab reproduce NAME`): for each, its spec files
// (experiments/NAME-quick.toml for a 2-core CPU in minutes, NAME-paper.toml for the
// GPU), how it is run and analysed, its figure script in plots/, what the engine adds
// beside the measurement, and its verdict lines.
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "experiments/sweep_job.hpp"

namespace gammalab::experiments {

struct ReproduceRequest {
  std::string name;
  // The experiment's quick or paper spec; none (auto): paper when a GPU is usable for a sweep.
  std::optional<sim::Scale> scale;
  std::optional<std::string> output, home;
  DeviceChoice device = DeviceChoice::Auto;
  int threads = 1;
};

struct Reproduction {
  std::filesystem::path output;
  std::filesystem::path figure;        // where the figure is (when drawn)
  std::string figure_error;            // why it was not drawn; empty when it was
  std::vector<std::string> verdicts;   // one line each, "verdict: …"; after a sweep's slopes, "chance: …" (sim/analysis/results_view.hpp)
};

// "fig2, fig3, …"
std::string experiment_names();

// The scale a reproduce request names: quick, paper, or "auto" (none: chosen by the
// device). A sweep's own scale, custom, names no spec of an experiment: InputError
// saying so, and for an unknown word, listing what is accepted.
inline constexpr std::string_view kAutoScale = "auto";
std::optional<sim::Scale> reproduce_scale(std::string_view text);
// "quick, paper, auto"
std::string reproduce_scales();

// The spec files of the experiments that print verdicts, at each scale (what
// `gammalab calibrate` calibrates by default); `home` as reproduce finds it.
std::vector<std::filesystem::path> verdict_specs(const std::optional<std::string>& home);

// Runs the named experiment: its sweep (resuming an existing directory), coordinate
// check or engine computation, the analysis, the engine's notes and the figure.
// `announce` gets one line saying what runs where before any work starts.
Reproduction reproduce(const ReproduceRequest& request, const std::function<void(const std::string&)>& announce,
                       const std::function<void(const sim::SweepProgress&)>& progress);

}  // namespace gammalab::experiments
