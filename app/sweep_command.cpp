#include "app/sweep_command.hpp"

#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include "app/cli_support.hpp"
#include "app/progress.hpp"
#include "cuda/device_probe.hpp"
#include "cuda/gpu_backend.hpp"
#include "sim/analysis.hpp"
#include "sim/sweep.hpp"

namespace gammalab::app {

namespace {

// Reads the spec kept in a result directory's manifest and writes summary.json.
nlohmann::json analyse_directory(const std::filesystem::path& directory, const std::optional<std::string>& loss,
                                 std::optional<int> bootstrap) {
  std::ifstream manifest_file(directory / "manifest.json");
  if (!manifest_file) reject("DIR", directory.string() + " has no manifest.json: not a sweep's result directory");
  nlohmann::json manifest = nlohmann::json::parse(manifest_file, nullptr, false);
  if (!manifest.is_object() || !manifest.contains("spec"))
    reject("DIR", (directory / "manifest.json").string() + " is not a gammalab manifest");
  sim::SweepSpec spec = sim::parse_sweep_spec(manifest["spec"].get<std::string>(), (directory / "manifest.json").string() + " (spec)");
  if (loss)
    spec.analysis.loss = *loss == "final_test"     ? sim::AnalysisSpec::LossStatistic::FinalTest
                         : *loss == "last_k_train" ? sim::AnalysisSpec::LossStatistic::LastKTrain
                                                   : sim::AnalysisSpec::LossStatistic::FinalTrain;
  if (bootstrap) spec.analysis.bootstrap = *bootstrap;
  nlohmann::json summary = sim::analyse_runs(sim::read_runs(directory / "runs.csv"), spec);
  summary["status_of_runs"] = manifest.value("status", "unknown");
  sim::write_atomically(directory / "summary.json", summary.dump(2) + "\n");
  return summary;
}

// The trainer: the GPU when asked for, or when `auto` finds one; never a silent fall back
// to the CPU for a spec the GPU cannot train.
std::unique_ptr<sim::TrainerBackend> choose_backend(const std::string& device, int threads, const sim::SweepSpec& spec) {
  cuda::DeviceProbe probe = cuda::probe_devices();
  const bool use_gpu = device == "gpu" || (device == "auto" && probe.device_count > 0);
  if (!use_gpu) return std::make_unique<sim::CpuBackend>(threads);
  if (probe.device_count == 0) reject("--device", "gpu asked for, but " + probe.description);
  if (auto why = cuda::unsupported_on_gpu(spec.training); !why.empty())
    reject("--device", "the GPU backend cannot train this spec: " + why + (device == "auto" ? " (it was chosen by --device auto)" : ""));
  return cuda::make_gpu_backend();
}

}  // namespace

std::function<int()> add_sweep_command(CLI::App& app) {
  struct Options {
    std::string spec, output;
    bool resume = false;
    int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    std::string device = "auto";
    bool quiet = false;
  };
  auto o = std::make_shared<Options>();
  auto* command = app.add_subcommand("sweep", "Train every configuration of a spec file and analyse the result");
  command->add_option("SPEC", o->spec, "The sweep's TOML spec (keys: README, 'Sweep spec')")->required();
  command->add_option("-o,--output", o->output, "The result directory to create")->required();
  command->add_flag("--resume", o->resume, "Continue an interrupted sweep in an existing directory");
  command->add_option("--threads", o->threads, "CPU threads (configurations trained at once)")->capture_default_str();
  command->add_option("--device", o->device, "cpu, gpu, or auto (the GPU when one is usable, else the CPU)")
      ->check(CLI::IsMember({"cpu", "gpu", "auto"}))
      ->capture_default_str();
  command->add_flag("--quiet", o->quiet, "No progress and no analysis printout");
  return [o] {
    nlohmann::json summary = sweep_and_analyse({o->spec, o->output, o->resume, o->threads, o->device, o->quiet});
    if (!o->quiet) std::cout << sim::describe_analysis(summary) << "results: " << o->output << "\n";
    return 0;
  };
}

nlohmann::json sweep_and_analyse(const SweepRequest& r) {
  if (r.threads < 1 || r.threads > 1024) reject("--threads", "must be from 1 to 1024, not " + std::to_string(r.threads));
  std::string text = sim::read_spec_file(r.spec_path);
  sim::SweepSpec spec = sim::parse_sweep_spec(text, r.spec_path);  // all checks before anything is written
  std::unique_ptr<sim::TrainerBackend> backend = choose_backend(r.device, r.threads, spec);
  sim::SweepRun run{r.output, r.resume, text,
                    {{"program", "gammalab " GAMMALAB_VERSION}, {"git_revision", GAMMALAB_GIT_REVISION}, {"spec_file", r.spec_path}}};
  ProgressReporter progress("configurations");
  sim::run_sweep(spec, run, *backend, [&](const sim::SweepProgress& p) {
    if (!r.quiet) progress.update(p.done, p.total, p.done_this_run, p.seconds);
  });
  progress.finish();
  return analyse_directory(r.output, std::nullopt, std::nullopt);
}

std::function<int()> add_analyze_command(CLI::App& app) {
  struct Options {
    std::string directory;
    std::optional<std::string> loss;
    std::optional<int> bootstrap;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  auto* command = app.add_subcommand("analyze", "Optimal and maximal stable learning rates, slopes, and the engine's prediction");
  command->add_option("DIR", o->directory, "A sweep's result directory")->required();
  command->add_option("--loss", o->loss, "final_train (default), final_test or last_k_train")
      ->check(CLI::IsMember({"final_train", "final_test", "last_k_train"}));
  command->add_option("--bootstrap", o->bootstrap, "Bootstrap resamples over seeds")->check(CLI::Range(0, 1000000));
  command->add_flag("--json", o->json, "Print summary.json instead of the table");
  return [o] {
    nlohmann::json summary = analyse_directory(o->directory, o->loss, o->bootstrap);
    if (o->json) print_json(summary);
    else std::cout << sim::describe_analysis(summary);
    return 0;
  };
}

}  // namespace gammalab::app
