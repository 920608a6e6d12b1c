#include "app/sweep_command.hpp"

#include <iostream>
#include <memory>

#include "app/cli_support.hpp"
#include "app/interrupt.hpp"
#include "app/progress.hpp"
#include "experiments/sweep_job.hpp"
#include "sim/analysis/analysis.hpp"

namespace gammalab::app {

using namespace experiments;

std::function<int()> add_sweep_command(CLI::App& app) {
  auto o = std::make_shared<SweepRequest>();
  o->threads = default_threads();
  auto* command = app.add_subcommand("sweep", "Train every configuration of a spec file and analyse the result");
  command->add_option("SPEC", o->spec_path, "The sweep's TOML spec (keys: docs/simulator.md, 'The spec file')")->required();
  command->add_option("-o,--output", o->output, "The result directory to create")->required();
  command->add_flag("--resume", o->resume, "Continue an interrupted sweep in an existing directory");
  command->add_option("--threads", o->threads, "CPU threads (configurations trained at once)")->capture_default_str();
  add_term_option(*command, "--device", o->device, device_choices(), "Where to train: default auto, the GPU when one is usable");
  command->add_option("--gpus", o->gpus, "Use at most this many of this host's GPUs (default: every visible one)");
  command->add_option("--shard", o->shard, "Run part i of k (i/k, 1 <= i <= k) into its own directory; join with gammalab merge")
      ->capture_default_str();
  command->add_flag("--mpi", o->mpi, "Run as one rank of an MPI job (implied under mpirun with more than one process)");
  command->add_flag("--quiet", o->quiet, "No progress and no analysis printout");
  command->add_flag("--dry-run", o->dry_run,
                    "State the configuration count and the estimated memory and time (refusing a spec that cannot fit), "
                    "then stop: nothing is trained or written");
  return [o] {
    const StopMessage stopped("\ngammalab: stopped; every configuration written so far is kept. Continue with:\n  gammalab sweep " +
                              o->spec_path + " -o " + o->output + " --resume" + (o->shard == "1/1" ? "" : " --shard " + o->shard) + "\n");
    ProgressReporter progress("configurations");
    // Before training, so that a sweep of hours says so while it can still be stopped.
    auto estimated = [&](const SweepEstimate& estimate) {
      if (!o->quiet || o->dry_run) std::cout << estimate.text << std::flush;
    };
    const SweepOutcome outcome = run_sweep_request(*o, progress.for_sweep(o->quiet), estimated);
    progress.finish();
    switch (outcome) {
      case SweepOutcome::DryRun:
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
    std::optional<sim::LossStatistic> loss;
    std::optional<int> bootstrap;
    bool json = false;
    bool split_seeds = false;
  };
  auto o = std::make_shared<Options>();
  auto* command = app.add_subcommand("analyze", "Optimal and maximal stable learning rates, slopes, and the engine's prediction");
  command->add_option("DIR", o->directory, "A sweep's result directory")->required();
  add_term_option(*command, "--loss", o->loss, sim::loss_statistics(), "The loss compared across rates; default the spec's");
  command->add_option("--bootstrap", o->bootstrap, "Bootstrap resamples over seeds")->check(CLI::Range(0, 1000000));
  command->add_flag("--json", o->json, "Print summary.json instead of the table");
  command->add_flag("--split-seeds", o->split_seeds,
                    "Analyse two disjoint halves of the seeds apart and say whether each slope agrees between them "
                    "(writes DIR/split-seeds.json)");
  return [o] {
    if (o->split_seeds) {
      const sim::SeedHalves halves = analyse_seed_halves_of_directory(o->directory, o->loss, o->bootstrap);
      if (o->json) print_json(sim::seed_halves_json(halves));
      else std::cout << sim::describe_seed_halves(halves);
      return 0;
    }
    nlohmann::json summary = analyse_result_directory(o->directory, o->loss, o->bootstrap);
    if (summary.value("status_of_runs", "") != "complete")
      std::cerr << "gammalab: warning: " << o->directory << " holds a sweep that is not complete (status "
                << summary.value("status_of_runs", "unknown") << "): this analysis covers only the configurations finished so far, "
                << "and summary.json says so in status_of_runs; finish it with gammalab sweep SPEC -o " << o->directory << " --resume\n";
    if (o->json) print_json(summary);
    else std::cout << sim::describe_analysis(summary);
    return 0;
  };
}

}  // namespace gammalab::app
