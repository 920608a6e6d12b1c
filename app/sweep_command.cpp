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
#include "mpi/distributed_sweep.hpp"
#include "sim/analysis.hpp"
#include "sim/sweep.hpp"

namespace gammalab::app {

namespace {

// The trainers of this process: the CPU, or one per GPU used. The GPU when asked for,
// or when `auto` finds one; never a silent fall back to the CPU for a spec the GPU
// cannot train. An MPI rank takes one GPU: `only_gpu`, counted modulo the GPUs it sees.
struct Trainers {
  std::vector<std::unique_ptr<sim::TrainerBackend>> owned;
  std::vector<sim::TrainerBackend*> all() const {
    std::vector<sim::TrainerBackend*> pointers;
    for (const auto& trainer : owned) pointers.push_back(trainer.get());
    return pointers;
  }
};

Trainers choose_trainers(const SweepRequest& r, const sim::SweepSpec& spec, std::optional<int> only_gpu) {
  cuda::DeviceProbe probe = cuda::probe_devices();
  Trainers trainers;
  const bool use_gpu = r.device == "gpu" || (r.device == "auto" && probe.device_count > 0);
  if (!use_gpu) {
    trainers.owned.push_back(std::make_unique<sim::CpuBackend>(r.threads));
    return trainers;
  }
  if (probe.device_count == 0) reject("--device", "gpu asked for, but " + probe.description);
  if (auto why = cuda::unsupported_on_gpu(spec.training); !why.empty())
    reject("--device", "the GPU backend cannot train this spec: " + why + (r.device == "auto" ? " (it was chosen by --device auto)" : ""));
  if (only_gpu) trainers.owned.push_back(cuda::make_gpu_backend(*only_gpu % probe.device_count));
  else trainers.owned = cuda::make_gpu_backends(r.gpus > 0 ? r.gpus : probe.device_count);
  return trainers;
}

sim::SweepRun sweep_run_of(const SweepRequest& r, const sim::Shard& shard) {
  return {r.output, r.resume,
          {{"program", "gammalab " GAMMALAB_VERSION}, {"git_revision", GAMMALAB_GIT_REVISION}, {"spec_file", r.spec_path}},
          shard};
}

}  // namespace

SweepOutcome run_sweep_request(const SweepRequest& r) {
  check_threads(r.threads);
  if (r.gpus < 0) reject("--gpus", "must be 1 or more (0, the default, uses every visible GPU), not " + std::to_string(r.gpus));
  const sim::Shard shard = sim::parse_shard(r.shard);
  const std::string text = sim::read_spec_file(r.spec_path);
  const sim::SweepSpec spec = sim::parse_sweep_spec(text, r.spec_path);
  const int launched = mpi::launched_processes();
  std::optional<mpi::World> world;
  if (r.mpi || launched > 1)
    world.emplace(r.mpi ? "--mpi" : "mpirun -np " + std::to_string(launched));
  const bool root = !world || world->rank() == 0;

  const Trainers trainers = choose_trainers(r, spec, world ? std::optional<int>(world->local_rank()) : std::nullopt);
  ProgressReporter progress("configurations");
  auto report = [&](const sim::SweepProgress& p) {
    if (!r.quiet && root) progress.update(p.done, p.total, p.done_this_run, p.seconds);
  };
  if (world) {
    switch (mpi::run_sweep_on_ranks(*world, spec, sweep_run_of(r, shard), *trainers.owned.front(), report)) {
      case mpi::RankOutcome::Contributed: return SweepOutcome::OtherRank;
      case mpi::RankOutcome::Stopped: return SweepOutcome::Stopped;
      case mpi::RankOutcome::Wrote: break;
    }
  } else {
    sim::run_sweep(spec, sweep_run_of(r, shard), trainers.all(), report);
  }
  if (!r.quiet) progress.finish();
  return shard.whole() ? SweepOutcome::Whole : SweepOutcome::Shard;
}

nlohmann::json analyse_result_directory(const std::filesystem::path& directory, const std::optional<std::string>& loss,
                                        std::optional<int> bootstrap) {
  std::ifstream manifest_file(directory / "manifest.json");
  if (!manifest_file) reject("DIR", directory.string() + " has no manifest.json: not a sweep's result directory");
  nlohmann::json manifest = nlohmann::json::parse(manifest_file, nullptr, false);
  if (!manifest.is_object() || !manifest.contains("spec"))
    reject("DIR", (directory / "manifest.json").string() + " is not a gammalab manifest");
  if (manifest.contains("shard"))
    reject("DIR", directory.string() + " holds shard " + manifest["shard"].get<std::string>() +
                      " of a sweep, not all of it: join the shards with gammalab merge DIR... -o OUT, then analyse OUT");
  sim::SweepSpec spec = sim::spec_of_manifest(manifest, (directory / "manifest.json").string());
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

nlohmann::json sweep_and_analyse(const SweepRequest& request) {
  run_sweep_request(request);
  return analyse_result_directory(request.output);
}

std::function<int()> add_sweep_command(CLI::App& app) {
  auto o = std::make_shared<SweepRequest>();
  o->threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  auto* command = app.add_subcommand("sweep", "Train every configuration of a spec file and analyse the result");
  command->add_option("SPEC", o->spec_path, "The sweep's TOML spec (keys: README, 'Sweep spec')")->required();
  command->add_option("-o,--output", o->output, "The result directory to create")->required();
  command->add_flag("--resume", o->resume, "Continue an interrupted sweep in an existing directory");
  command->add_option("--threads", o->threads, "CPU threads (configurations trained at once)")->capture_default_str();
  command->add_option("--device", o->device, "cpu, gpu, or auto (the GPU when one is usable, else the CPU)")
      ->check(CLI::IsMember({"cpu", "gpu", "auto"}))
      ->capture_default_str();
  command->add_option("--gpus", o->gpus, "Use at most this many of this host's GPUs (default: every visible one)");
  command->add_option("--shard", o->shard, "Run part i of k (i/k, 1 <= i <= k) into its own directory; join with gammalab merge")
      ->capture_default_str();
  command->add_flag("--mpi", o->mpi, "Run as one rank of an MPI job (implied under mpirun with more than one process)");
  command->add_flag("--quiet", o->quiet, "No progress and no analysis printout");
  return [o] {
    switch (run_sweep_request(*o)) {
      case SweepOutcome::OtherRank: return 0;
      case SweepOutcome::Stopped: return kExitBadInput;  // rank 0 printed why
      case SweepOutcome::Shard:
        if (!o->quiet)
          std::cout << "shard " << o->shard << " written to " << o->output
                    << "\nwhen every shard is done: gammalab merge DIR... -o OUT (then OUT holds the whole sweep, analysed)\n";
        return 0;
      case SweepOutcome::Whole: break;
    }
    nlohmann::json summary = analyse_result_directory(o->output);
    if (!o->quiet) std::cout << sim::describe_analysis(summary) << "results: " << o->output << "\n";
    return 0;
  };
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
    nlohmann::json summary = analyse_result_directory(o->directory, o->loss, o->bootstrap);
    if (o->json) print_json(summary);
    else std::cout << sim::describe_analysis(summary);
    return 0;
  };
}

}  // namespace gammalab::app
