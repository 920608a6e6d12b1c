#include "sim/sweep/shard_merge.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <map>

#include "gamma/input_error.hpp"
#include "sim/sweep/request_names.hpp"
#include "sim/sweep/result_directory.hpp"
#include "sim/sweep/result_schema.hpp"
#include "sim/sweep/sweep.hpp"
#include "sim/sweep/work_plan.hpp"

namespace gammalab::sim {

namespace {

struct Part {
  std::filesystem::path directory;
  Manifest manifest;
  Shard shard;
};

// A shard's complete directory, read under a lock for reading, which `locks` keeps
// until the merge is written.
Part read_part(const std::filesystem::path& directory, std::vector<DirectoryLock>& locks) {
  const std::string& field = request_names().shards;
  const std::string name = directory.string();
  locks.push_back(lock_result_directory(directory, Access::Read, field));
  Part part{directory, read_manifest(directory, field, "give the directories that the sweep's shards were written to"), {}};
  if (part.manifest.experiment != ExperimentKind::Sweep)
    throw InputError(field + ": " + name + " holds " + experiment_kinds().title(part.manifest.experiment) + ", not a sweep's shard");
  if (!part.manifest.shard)
    throw InputError(field + ": " + name + " is a whole sweep, not a shard; merge joins the parts of a sweep run as shards (" +
                     request_names().shard + " i/k)");
  part.shard = parse_shard(*part.manifest.shard);
  if (!part.manifest.complete())
    throw InputError(field + ": " + name + " holds shard " + part.shard.text() + ", which is not complete (status " +
                     part.manifest.status + "); finish it by resuming it in " + name + ": " + request_names().shard + " " +
                     part.shard.text() + " " + request_names().resume);
  check_checksums(directory, part.manifest);
  return part;
}

// The parts must be one sweep's shards, from one program: the same spec, the same
// revision, the same number of shards.
void check_alike(const Part& first, const Part& part) {
  auto differ = [&](const char* key, const std::string& mine, const std::string& theirs) {
    if (mine != theirs)
      throw InputError(request_names().shards + ": " + part.directory.string() + " has " + key + " " + (mine.empty() ? "(none)" : mine) + " but " +
                       first.directory.string() + " has " + (theirs.empty() ? "(none)" : theirs) +
                       ": shards of different sweeps or programs cannot be merged");
  };
  differ("spec_hash", part.manifest.spec_hash, first.manifest.spec_hash);
  differ("program", part.manifest.provenance.program, first.manifest.provenance.program);
  differ("git_revision", part.manifest.provenance.git_revision, first.manifest.provenance.git_revision);
  if (part.shard.count != first.shard.count)
    throw InputError(request_names().shards + ": " + part.directory.string() + " is shard " + part.shard.text() + " but " +
                     first.directory.string() + " is shard " + first.shard.text() + ": every part must come from the same split into " +
                     std::to_string(first.shard.count) + " shards");
}

}  // namespace

void merge_shards(const std::vector<std::filesystem::path>& directories, const std::filesystem::path& output) {
  const std::string& field = request_names().shards;
  if (directories.empty()) throw InputError(field + ": give the directories of every shard");
  std::vector<DirectoryLock> locks;
  std::vector<Part> parts;
  std::map<int, std::filesystem::path> by_index;
  for (const auto& directory : directories) {
    parts.push_back(read_part(directory, locks));
    const Part& part = parts.back();
    check_alike(parts.front(), part);
    auto [at, fresh] = by_index.emplace(part.shard.index, part.directory);
    if (!fresh)
      throw InputError(field + ": shard " + part.shard.text() + " is given twice: " + at->second.string() + " and " + part.directory.string());
  }
  const int count = parts.front().shard.count;
  std::string missing;
  for (int index = 1; index <= count; ++index)
    if (!by_index.count(index)) missing += (missing.empty() ? "" : ", ") + Shard{index, count}.text();
  if (!missing.empty()) throw InputError(field + ": shard " + missing + " missing; merge needs all " + std::to_string(count) + " parts");

  // Each part must hold exactly the configurations of its shard.
  const Manifest& manifest = parts.front().manifest;
  const SweepSpec& spec = manifest.sweep_spec((parts.front().directory / "manifest.json").string());
  std::vector<std::string> runs, curves;
  std::vector<ShardRecord> shards;
  double wall_seconds = 0;
  std::string devices;
  for (const Part& part : parts) {
    // Every row checked here, each shard's against its own part of the plan, so that a
    // bad shard is the one named.
    read_checked_runs(part.directory, part.manifest);
    std::vector<std::string> rows = read_csv_rows(part.directory / "runs.csv");
    runs.insert(runs.end(), rows.begin(), rows.end());
    for (auto& row : read_csv_rows(part.directory / "curves.csv")) curves.push_back(std::move(row));
    const double seconds = part.manifest.wall_seconds.value_or(0.0);
    wall_seconds += seconds;
    const std::string& device = part.manifest.device;
    if (devices.find(device) == std::string::npos) devices += (devices.empty() ? "" : "; ") + device;
    shards.push_back({part.shard.text(), part.directory.string(), device, seconds});
  }

  Manifest merged = manifest;
  merged.shard.reset();
  merged.shard_configurations.reset();
  merged.device = "merged from " + std::to_string(count) + " shards: " + devices;
  merged.wall_seconds = wall_seconds;  // the parts' time added up, wherever they ran
  merged.shards = shards;
  merged.status = "complete";
  std::filesystem::create_directories(output);
  write_atomically(output / "runs.csv", sorted_csv(runs_header(spec.training.horizons), std::move(runs)));
  write_atomically(output / "curves.csv", sorted_csv(curves_header(), std::move(curves)));
  merged.checksums = checksums_of(output);  // the merged files', not the first part's
  write_manifest(output, merged);
}

}  // namespace gammalab::sim
