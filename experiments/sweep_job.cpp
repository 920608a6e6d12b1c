#include "experiments/sweep_job.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <limits>
#include <memory>
#include <sstream>
#include <thread>
#include <tuple>

#include "cuda/device_probe.hpp"
#include "cuda/gpu_backend.hpp"
#include "gamma/input_error.hpp"
#include "git_revision.hpp"  // generated at build time (cmake/git_revision.cmake)
#include "mpi/distributed_sweep.hpp"
#include "sim/analysis/analysis.hpp"
#include "sim/sweep/result_schema.hpp"
#include "sim/analysis/summary.hpp"
#include "sim/sweep/shard_merge.hpp"

namespace gammalab::experiments {

namespace {

// The trainers of this process: the CPU, or one per GPU used. The GPU when asked for,
// or when `auto` finds one; never a silent fall back to the CPU for a spec the GPU
// cannot train. An MPI rank takes one GPU: `only_gpu`, counted modulo the GPUs it sees.
struct Trainers {
  std::vector<std::unique_ptr<sim::TrainerBackend>> owned;
  std::vector<int> gpus;  // the device of each GPU trainer; empty: the CPU trains
  std::vector<sim::TrainerBackend*> all() const {
    std::vector<sim::TrainerBackend*> pointers;
    for (const auto& trainer : owned) pointers.push_back(trainer.get());
    return pointers;
  }
};

// Why the GPU backend cannot train the spec, at any of its ranks; empty when it can.
std::string unsupported_on_gpu(const sim::SweepSpec& spec) {
  for (int rank : spec.ranks) {
    sim::TrainSpec training = spec.training;
    training.rank = rank;
    if (auto why = cuda::unsupported_on_gpu(training); !why.empty()) return why;
  }
  return {};
}

Trainers choose_trainers(const SweepRequest& r, const sim::SweepSpec& spec, std::optional<int> only_gpu) {
  // --device cpu never loads the GPU backend's plugin (cuda/gpu_plugin.hpp).
  const cuda::DeviceProbe probe = r.device == DeviceChoice::Cpu ? cuda::DeviceProbe{} : cuda::probe_devices();
  Trainers trainers;
  const bool use_gpu = r.device == DeviceChoice::Gpu || (r.device == DeviceChoice::Auto && probe.device_count > 0);
  if (!use_gpu) {
    trainers.owned.push_back(std::make_unique<sim::CpuBackend>(r.threads));
    return trainers;
  }
  if (probe.device_count == 0) reject("--device", "gpu asked for, but " + probe.description);
  if (auto why = unsupported_on_gpu(spec); !why.empty())
    reject("--device", "the GPU backend cannot train this spec: " + why + (r.device == DeviceChoice::Auto ? " (it was chosen by --device auto)" : ""));
  if (only_gpu) {
    trainers.gpus = {*only_gpu % probe.device_count};
    trainers.owned.push_back(cuda::make_gpu_backend(trainers.gpus.front()));
  } else {
    trainers.owned = cuda::make_gpu_backends(r.gpus > 0 ? r.gpus : probe.device_count);
    for (int device = 0; device < static_cast<int>(trainers.owned.size()); ++device) trainers.gpus.push_back(device);
  }
  return trainers;
}

// The rates the time estimate assumes, measured once and written down, never measured at
// run time: the least that bench_train_step measured for one CPU thread, 17–40 GFLOP/s
// where the build has AVX-512 (the default build is for the building machine's
// instructions) and 5–19 with AVX2 (docs/simulator.md); 3–5 for the x86-64 baseline,
// measured before the step's own loops (not since); one H100 or H200 at 25–28 TFLOP/s on
// paper-scale widths (docs/gpu.md), far less on narrow ones, where launches dominate.
#if defined(__AVX512F__)
constexpr double kCpuFlopsPerThread = 17e9;
#elif defined(__AVX2__)
constexpr double kCpuFlopsPerThread = 5e9;
#else
constexpr double kCpuFlopsPerThread = 3e9;
#endif
constexpr double kGpuFlops = 25e12;

// What this machine can give a sweep without swapping: /proc/meminfo's MemAvailable, or
// where there is none, the free physical pages.
std::pair<double, std::string> available_memory() {
  std::ifstream meminfo("/proc/meminfo");
  for (std::string key; meminfo >> key;) {
    double kib = 0;
    meminfo >> kib;
    if (key == "MemAvailable:") return {kib * 1024, "MemAvailable in /proc/meminfo"};
    meminfo.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return {static_cast<double>(::sysconf(_SC_AVPHYS_PAGES)) * static_cast<double>(::sysconf(_SC_PAGESIZE)), "free physical pages"};
}

std::string bytes_text(double bytes) {
  char text[32];
  if (bytes >= 1024.0 * 1024 * 1024) std::snprintf(text, sizeof text, "%.1f GiB", bytes / (1024.0 * 1024 * 1024));
  else std::snprintf(text, sizeof text, "%.0f MiB", std::max(1.0, bytes / (1024.0 * 1024)));
  return text;
}

std::string duration_text(double seconds) {
  char text[32];
  if (seconds < 120) std::snprintf(text, sizeof text, "%.0f s", std::max(1.0, seconds));
  else if (seconds < 2 * 3600) std::snprintf(text, sizeof text, "%.0f min", seconds / 60);
  else if (seconds < 2 * 86400) std::snprintf(text, sizeof text, "%.1f h", seconds / 3600);
  else std::snprintf(text, sizeof text, "%.1f days", seconds / 86400);
  return text;
}

// The estimate of what `r` trains on `trainers` (sim/sweep/work_plan.hpp: the FLOPs of each
// group, and on the CPU its memory; cuda/gpu_backend.hpp: a group's GPU memory), for a
// job of `processes` MPI ranks that share its groups.
SweepEstimate estimate_sweep(const SweepRequest& r, const sim::SweepSpec& spec, const sim::Shard& shard, const Trainers& trainers,
                             int processes) {
  const std::vector<sim::Configuration> configurations = sim::configurations_of_shard(spec, shard);
  const std::vector<sim::WorkGroup> groups = sim::group_configurations(spec, configurations);
  std::ostringstream text;
  text << "spec " << r.spec_path << ": ";
  if (shard.whole()) text << configurations.size() << " configurations";
  else text << "shard " << shard.text() << ", " << configurations.size() << " of the grid's " << spec.configuration_count() << " configurations";
  if (spec.teachers > 1) text << " (" << spec.teachers << " teachers, each training the whole grid)";
  if (spec.refine.enabled()) text << " in the grid; edge refinement adds rounds after it, which no estimate can count";
  if (r.resume) text << " (a resumed sweep trains only those not finished)";
  text << "\n";

  double flops = 0;
  for (const auto& group : groups) flops += group.flops;
  SweepEstimate estimate;
  const std::string device = sim::describe_trainers(trainers.all());
  if (trainers.gpus.empty()) {
    // One group at a time, its configurations spread over the threads: the memory of
    // the widest group with its workers, the time of each group at its workers' rate.
    double needed = 0, seconds = 0;
    int width = 0, workers = 0;
    sim::CpuMemory parts;
    for (const auto& group : groups) {
      const int busy = std::min(r.threads, static_cast<int>(group.members.size()));
      const sim::CpuMemory memory = sim::cpu_memory_bytes(spec, group.width, group.rank);
      if (memory.with_workers(busy) > needed) std::tie(needed, width, workers, parts) = std::tuple(memory.with_workers(busy), group.width, busy, memory);
      seconds += group.flops / (kCpuFlopsPerThread * busy * processes);
    }
    const auto [available, source] = available_memory();
    const std::string made_of = bytes_text(parts.student) + " for the frozen student, shared, and " + bytes_text(parts.per_worker) +
                                " for each of " + std::to_string(workers) + (workers == 1 ? " worker" : " workers");
    text << "memory: about " << bytes_text(needed) << " at width " << width << " on " << device << ": " << made_of << "; "
         << bytes_text(available) << " available (" << source << ")\n";
    text << "time: about " << std::setprecision(3) << flops << " FLOP of training; at the " << kCpuFlopsPerThread / 1e9
         << " GFLOP/s per thread measured on one core (docs/simulator.md), roughly " << duration_text(seconds)
         << " — an estimate, not a measurement\n";
    if (needed > available) {
      estimate.refusal = "[sweep] widths: width " + std::to_string(width) + " needs about " + bytes_text(needed) +
                         " of memory on the cpu (" + made_of + "), but " + bytes_text(available) + " are available (" + source + "); ";
      const auto fit = static_cast<int>((available - parts.student) / parts.per_worker);
      estimate.refusal += fit >= 1 ? "use --threads " + std::to_string(fit) + " or fewer"
                                   : "leave out the widths from " + std::to_string(width) + " up, or train on a machine with more "
                                     "memory, or on a GPU (--device gpu)";
    }
  } else {
    // Each GPU trains a group at a time (two where they are small): the largest group
    // against the smallest card used.
    const sim::Dataset data = sim::make_teacher_dataset(spec.data);
    double needed = 0, available = std::numeric_limits<double>::infinity();
    int width = 0, size = 0, smallest = 0;
    for (const auto& group : groups) {
      const int members = static_cast<int>(group.members.size());
      const double bytes = cuda::gpu_group_memory_bytes(data, group.width, members, group.rank);
      if (bytes > needed) std::tie(needed, width, size) = std::tuple(bytes, group.width, members);
    }
    for (int gpu : trainers.gpus)
      if (const double bytes = cuda::gpu_memory_bytes(gpu); bytes < available) std::tie(available, smallest) = std::tuple(bytes, gpu);
    const double seconds = flops / (kGpuFlops * static_cast<double>(trainers.gpus.size()) * processes);
    const std::string group = "a group (every rate, scheme and σ of one width, teacher and seed) of " + std::to_string(size) +
                              " configurations at width " + std::to_string(width);
    text << "memory: about " << bytes_text(needed) << " of GPU memory for " << group << " on " << device << "; GPU " << smallest
         << " has " << bytes_text(available) << "\n";
    text << "time: about " << std::setprecision(3) << flops << " FLOP of training; at the " << kGpuFlops / 1e12
         << " TFLOP/s one GPU reaches at paper-scale widths (docs/gpu.md), at least " << duration_text(seconds)
         << ", and longer at narrow widths, where kernel launches dominate — an estimate, not a measurement\n";
    if (needed > available)
      estimate.refusal = "[sweep] widths: " + group + " needs about " + bytes_text(needed) + " of GPU memory, but GPU " +
                         std::to_string(smallest) + " has " + bytes_text(available) +
                         "; give fewer learning rates, schemes or σ per sweep, or leave out the widths from " + std::to_string(width) + " up";
  }
  estimate.text = text.str();
  return estimate;
}

sim::SweepRun sweep_run_of(const SweepRequest& r, const sim::Shard& shard) {
  sim::Provenance provenance = this_program();
  provenance.spec_file = r.spec_path;
  return {r.output, r.resume, provenance, shard};
}

// Every rank checks the memory of its own device, and the job stops as one: rank 0 hears
// each rank's refusal and passes the first on to all (a rank that stopped alone would
// leave the others waiting for it). Nothing else is in flight between ranks yet.
std::string refusal_of_any_rank(const mpi::World& world, std::string refusal) {
  constexpr int kRefusalTag = 100;  // apart from mpi/distributed_sweep.cpp's tags
  if (world.rank() != 0) {
    world.send(0, kRefusalTag, refusal);
  } else {
    for (int heard = 1; heard < world.size(); ++heard) {
      const mpi::Message message = world.receive();
      if (refusal.empty() && !message.text.empty()) refusal = "rank " + std::to_string(message.from) + ": " + message.text;
    }
  }
  world.broadcast(refusal);
  return refusal;
}

}  // namespace

void check_threads(int threads) {
  if (threads < 1 || threads > 1024) reject("--threads", "must be from 1 to 1024, not " + std::to_string(threads));
}

int default_threads() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

SweepOutcome run_sweep_request(const SweepRequest& r, const std::function<void(const sim::SweepProgress&)>& progress,
                               const std::function<void(const SweepEstimate&)>& estimated) {
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
  const SweepEstimate estimate = estimate_sweep(r, spec, shard, trainers, world ? world->size() : 1);
  if (root && estimated) estimated(estimate);
  const std::string refusal = world ? refusal_of_any_rank(*world, estimate.refusal) : estimate.refusal;
  if (!refusal.empty()) {
    if (!root) return SweepOutcome::Stopped;  // rank 0 says why
    throw InputError(refusal);
  }
  if (r.dry_run) return SweepOutcome::DryRun;
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

sim::Provenance this_program() { return {"gammalab " GAMMALAB_VERSION, GAMMALAB_GIT_REVISION, std::nullopt}; }

void require_whole_sweep(const std::filesystem::path& directory, const sim::Manifest& manifest) {
  if (manifest.experiment != sim::ExperimentKind::Sweep)
    reject("DIR", directory.string() + " holds " + sim::experiment_kinds().title(manifest.experiment) + ", not a sweep");
  if (manifest.shard)
    reject("DIR", directory.string() + " holds shard " + *manifest.shard +
                      " of a sweep, not all of it: join the shards with gammalab merge DIR... -o OUT, then analyse OUT");
}

namespace {

// A whole sweep's result directory as the analysis reads it, held for `access` while
// it is read (and, for an analysis, while summary.json is written): its manifest, its
// spec (with the analysis options given on the command line), and its runs, checked as
// every reader checks them.
struct ResultOnDisk {
  sim::DirectoryLock lock;
  sim::Manifest manifest;
  sim::SweepSpec spec;
  std::vector<sim::RunRow> runs;
};

ResultOnDisk read_result_directory(const std::filesystem::path& directory, sim::Access access, std::optional<sim::LossStatistic> loss,
                                   std::optional<int> bootstrap) {
  ResultOnDisk result{sim::lock_result_directory(directory, access, "DIR"), sim::read_manifest(directory, "DIR"), {}, {}};
  require_whole_sweep(directory, result.manifest);
  result.spec = result.manifest.sweep_spec((directory / "manifest.json").string());
  if (loss) result.spec.analysis.loss = *loss;
  if (bootstrap) result.spec.analysis.bootstrap = *bootstrap;
  sim::check_checksums(directory, result.manifest);
  result.runs = sim::read_checked_runs(directory, result.manifest);
  return result;
}

// Where merge writes `requested`: the path without a trailing separator ("out/" is out,
// whose staging folder is out.merging beside it, not inside it), refused where it is
// empty or anything is there already, a dangling symbolic link included.
std::filesystem::path merge_destination(const std::filesystem::path& requested) {
  std::filesystem::path output = requested;
  while (!output.empty() && !output.has_filename() && output != output.root_path()) output = output.parent_path();
  if (output.empty() || output.filename() == "." || output.filename() == "..")
    reject("-o", "'" + shown(requested.string()) + "' names no new directory; give one, e.g. -o results/merged");
  const auto status = std::filesystem::symlink_status(output);
  if (std::filesystem::is_symlink(status) && !std::filesystem::exists(output))
    reject("-o", output.string() + " is a symbolic link to " + std::filesystem::read_symlink(output).string() +
                     ", which does not exist; remove the link, or choose another directory");
  if (std::filesystem::exists(status)) reject("-o", output.string() + " already exists; choose another directory");
  return output;
}

}  // namespace

nlohmann::json analyse_result_directory(const std::filesystem::path& directory, std::optional<sim::LossStatistic> loss,
                                        std::optional<int> bootstrap) {
  const ResultOnDisk result = read_result_directory(directory, sim::Access::Write, loss, bootstrap);
  nlohmann::json summary = sim::analyse_runs(result.runs, result.spec);
  summary["status_of_runs"] = result.manifest.status;
  sim::write_atomically(directory / "summary.json", summary.dump(2) + "\n");
  return summary;
}

sim::SeedHalves analyse_seed_halves_of_directory(const std::filesystem::path& directory, std::optional<sim::LossStatistic> loss,
                                                 std::optional<int> bootstrap) {
  const ResultOnDisk result = read_result_directory(directory, sim::Access::Write, loss, bootstrap);
  sim::SeedHalves halves = sim::analyse_seed_halves(result.runs, result.spec);
  sim::write_atomically(directory / "split-seeds.json", sim::seed_halves_json(halves).dump(2) + "\n");
  return halves;
}

void check_result_directory(const std::filesystem::path& directory, const std::string& field) {
  const sim::DirectoryLock lock = sim::lock_result_directory(directory, sim::Access::Read, field);
  const sim::Manifest manifest = sim::read_manifest(directory, field);
  if (manifest.experiment != sim::ExperimentKind::Sweep)
    reject(field, directory.string() + " holds " + sim::experiment_kinds().title(manifest.experiment) + ", not a sweep");
  sim::check_checksums(directory, manifest);
  sim::read_checked_runs(directory, manifest);
}

sim::SweepSummary summary_for_report(const std::filesystem::path& directory) {
  const ResultOnDisk result = read_result_directory(directory, sim::Access::Read, {}, {});
  const std::optional<sim::SweepSummary> summary = sim::read_summary(directory / "summary.json");
  const std::string analyse = "analyse it first: gammalab analyze " + directory.string();
  if (!summary)
    reject("DIR", directory.string() + " has no summary.json: its analysis did not run, or was stopped before it wrote one; " + analyse);
  const std::string& status = result.manifest.status;
  if (summary->status_of_runs.value_or("unknown") != status || summary->runs_used != result.runs.size())
    reject("DIR", (directory / "summary.json").string() + " is not the analysis of the rows there: it analysed " +
                      std::to_string(summary->runs_used) + " runs of a sweep " + summary->status_of_runs.value_or("of unknown status") +
                      ", but runs.csv holds " + std::to_string(result.runs.size()) + " rows and the manifest says " + status + "; " +
                      analyse + " again");
  return *summary;
}

nlohmann::json merge_and_analyse(const std::vector<std::filesystem::path>& parts, const std::filesystem::path& requested) {
  const std::filesystem::path output = merge_destination(requested);
  std::filesystem::path staging = output;
  staging += ".merging";
  if (output.has_parent_path()) std::filesystem::create_directories(output.parent_path());
  // Made exclusively: an existing staging folder is another merge's, at work or killed,
  // and is never touched.
  if (!std::filesystem::create_directory(staging))
    reject("-o", staging.string() + " exists: another merge is writing " + output.string() +
                     " now; wait for it, or, if none runs (one was killed), remove " + staging.string());
  nlohmann::json summary;
  try {
    sim::merge_shards(parts, staging);
    summary = analyse_result_directory(staging);
    // Renamed into place unless something took the name meanwhile: exactly one merge wins.
    if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, output.c_str(), RENAME_NOREPLACE) != 0) {
      if (errno == EEXIST || errno == ENOTEMPTY)
        reject("-o", output.string() + " was written by another merge while this one ran; it is kept, and this merge's copy dropped");
      throw std::runtime_error("cannot rename " + staging.string() + " to " + output.string() + ": " + std::strerror(errno));
    }
  } catch (...) {
    std::filesystem::remove_all(staging);  // ours: made above
    throw;
  }
  return summary;
}

nlohmann::json sweep_and_analyse(const SweepRequest& request, const std::function<void(const sim::SweepProgress&)>& progress) {
  run_sweep_request(request, progress, {});
  return analyse_result_directory(request.output);
}

}  // namespace gammalab::experiments
