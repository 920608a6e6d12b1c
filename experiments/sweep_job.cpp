#include "experiments/sweep_job.hpp"

#include <fstream>
#include <memory>
#include <thread>

#include "cuda/device_probe.hpp"
#include "cuda/gpu_backend.hpp"
#include "gamma/input_error.hpp"
#include "mpi/distributed_sweep.hpp"
#include "sim/analysis.hpp"
#include "sim/result_schema.hpp"
#include "sim/shard_merge.hpp"

namespace gammalab::experiments {

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
  const bool use_gpu = r.device == DeviceChoice::Gpu || (r.device == DeviceChoice::Auto && probe.device_count > 0);
  if (!use_gpu) {
    trainers.owned.push_back(std::make_unique<sim::CpuBackend>(r.threads));
    return trainers;
  }
  if (probe.device_count == 0) reject("--device", "gpu asked for, but " + probe.description);
  if (auto why = cuda::unsupported_on_gpu(spec.training); !why.empty())
    reject("--device", "the GPU backend cannot train this spec: " + why + (r.device == DeviceChoice::Auto ? " (it was chosen by --device auto)" : ""));
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

void check_threads(int threads) {
  if (threads < 1 || threads > 1024) reject("--threads", "must be from 1 to 1024, not " + std::to_string(threads));
}

int default_threads() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

SweepOutcome run_sweep_request(const SweepRequest& r, const std::function<void(const sim::SweepProgress&)>& progress) {
  check_threads(r.threads);
  if (r.output.empty()) reject("-o", "the result directory's path is empty; give one, e.g. -o results/my-sweep");
  if (r.gpus < 0) reject("--gpus", "must be 1 or more (0, the default, uses every visible GPU), not " + std::to_string(r.gpus));
  const sim::Shard shard = sim::parse_shard(r.shard);
  const sim::SweepSpec spec = sim::load_sweep_spec(r.spec_path);
  const int launched = mpi::launched_processes();
  std::optional<mpi::World> world;
  if (r.mpi || launched > 1)
    world.emplace(r.mpi ? "--mpi" : "mpirun -np " + std::to_string(launched));
  const bool root = !world || world->rank() == 0;

  const Trainers trainers = choose_trainers(r, spec, world ? std::optional<int>(world->local_rank()) : std::nullopt);
  auto report = [&](const sim::SweepProgress& p) {
    if (root) progress(p);
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
  return shard.whole() ? SweepOutcome::Whole : SweepOutcome::Shard;
}

namespace {

// A whole sweep's result directory as the analysis reads it: its manifest, its spec
// (with the analysis options given on the command line), and its runs.
struct ResultOnDisk {
  nlohmann::json manifest;
  sim::SweepSpec spec;
  std::vector<sim::RunRow> runs;
};

ResultOnDisk read_result_directory(const std::filesystem::path& directory, std::optional<sim::LossStatistic> loss,
                                   std::optional<int> bootstrap) {
  std::ifstream manifest_file(directory / "manifest.json");
  if (!manifest_file) reject("DIR", directory.string() + " has no manifest.json: not a sweep's result directory");
  ResultOnDisk result;
  result.manifest = nlohmann::json::parse(manifest_file, nullptr, false);
  if (!result.manifest.is_object() || !result.manifest.contains("spec"))
    reject("DIR", (directory / "manifest.json").string() + " is not a gammalab manifest");
  if (result.manifest.contains("shard"))
    reject("DIR", directory.string() + " holds shard " + result.manifest["shard"].get<std::string>() +
                      " of a sweep, not all of it: join the shards with gammalab merge DIR... -o OUT, then analyse OUT");
  result.spec = sim::spec_of_manifest(result.manifest, (directory / "manifest.json").string());
  if (loss) result.spec.analysis.loss = *loss;
  if (bootstrap) result.spec.analysis.bootstrap = *bootstrap;
  sim::check_checksums(directory, result.manifest);
  result.runs = sim::read_runs(directory / "runs.csv");
  return result;
}

}  // namespace

nlohmann::json analyse_result_directory(const std::filesystem::path& directory, std::optional<sim::LossStatistic> loss,
                                        std::optional<int> bootstrap) {
  const ResultOnDisk result = read_result_directory(directory, loss, bootstrap);
  nlohmann::json summary = sim::analyse_runs(result.runs, result.spec);
  summary["status_of_runs"] = result.manifest.value("status", "unknown");
  sim::write_atomically(directory / "summary.json", summary.dump(2) + "\n");
  return summary;
}

sim::SeedHalves analyse_seed_halves_of_directory(const std::filesystem::path& directory, std::optional<sim::LossStatistic> loss,
                                                 std::optional<int> bootstrap) {
  const ResultOnDisk result = read_result_directory(directory, loss, bootstrap);
  sim::SeedHalves halves = sim::analyse_seed_halves(result.runs, result.spec);
  sim::write_atomically(directory / "split-seeds.json", sim::seed_halves_json(halves).dump(2) + "\n");
  return halves;
}

nlohmann::json merge_and_analyse(const std::vector<std::filesystem::path>& parts, const std::filesystem::path& output) {
  if (std::filesystem::exists(output)) reject("-o", output.string() + " already exists; choose another directory");
  std::filesystem::path staging = output;
  staging += ".merging";
  std::filesystem::remove_all(staging);
  nlohmann::json summary;
  try {
    sim::merge_shards(parts, staging);
    summary = analyse_result_directory(staging);
  } catch (...) {
    std::filesystem::remove_all(staging);
    throw;
  }
  std::filesystem::rename(staging, output);
  return summary;
}

nlohmann::json sweep_and_analyse(const SweepRequest& request, const std::function<void(const sim::SweepProgress&)>& progress) {
  run_sweep_request(request, progress);
  return analyse_result_directory(request.output);
}

}  // namespace gammalab::experiments
