#pragma once
// manifest.json: what a result directory holds and how it came to be, for each kind of
// experiment gammalab writes — a sweep (or one shard of it, or shards merged), a
// coordinate check, the engine's phase diagrams, the MLP's coordinate check and
// learning-rate edges (their spec is in their own result document). One type, written by to_json and read
// by manifest_from_json, nothing else; schema/manifest.schema.json describes the same
// keys and a test holds every manifest gammalab writes against it.
//
// The spec is stored once, as data (spec_to_json): its name, scale, widths, seeds and
// schemes are read from it, not repeated beside it.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/sweep/sweep_spec.hpp"

namespace gammalab::sim {

// 2: the manifest's own version recorded, the kind of experiment named, the spec kept
// once. A manifest without a version is of version 1 (it repeated the spec's keys beside
// it): refused, as every other version, with the program that wrote it named.
inline constexpr int kManifestVersion = 2;

enum class ExperimentKind { Sweep, CoordCheck, Phase, MlpCoordCheck, MlpRates };
// Their names as manifests write them, and their titles as a sentence reads them ("it
// holds a sweep", "the engine's phase diagrams").
const gamma::Vocabulary<ExperimentKind>& experiment_kinds();

// Who wrote a result directory, from what: the program (its version and the commit it
// was built from) and the spec file it was given.
struct Provenance {
  std::string program, git_revision;
  std::optional<std::string> spec_file;
};

// One shard of a merged sweep: where it ran and for how long.
struct ShardRecord {
  std::string shard;  // "2/3"
  std::string directory, device;
  double wall_seconds = 0;
};

struct Manifest {
  int version = kManifestVersion;
  ExperimentKind experiment = ExperimentKind::Sweep;
  Provenance provenance;
  std::optional<SweepSpec> spec;  // a sweep's and a coordinate check's
  std::string spec_hash;          // a sweep's: spec_hash(*spec)
  int runs_schema = 0;            // a sweep's: the runs.csv schema it writes
  // A sweep's with refined edges: the schedule that proposed its refined rates
  // (sim/sweep/refinement.hpp: kRefinementSchedule), which a reader must propose alike.
  std::optional<std::string> refinement;
  std::string device;             // what trained it: "cpu (2 threads)", "merged from 3 shards: …"
  std::size_t configurations = 0; // the grid's configurations (refinement adds its own)
  std::vector<std::string> schemes;                      // the phase diagrams' (the others' are the spec's)
  std::map<std::string, std::string> scheme_titles;      // a sweep's: how the papers write each scheme
  std::map<std::string, bool> subtract_initial_product;  // a sweep's: per scheme, as trained
  std::optional<std::string> setting, optimizer;         // the phase diagrams'
  std::optional<std::string> shard;                      // one shard's: "2/3"
  std::optional<std::size_t> shard_configurations;
  std::optional<int> processes;       // MPI ranks that trained it
  std::vector<ShardRecord> shards;    // a merged sweep's parts
  std::string status = "running";     // "running", then "complete"
  std::optional<double> wall_seconds;
  std::map<std::string, std::string> checksums;  // a complete sweep's: file → FNV-1a

  bool complete() const { return status == "complete"; }
  // What people call the result: the spec's name, or the kind of experiment.
  std::string title() const;
  // The spec's scale (quick, paper, custom); none without a spec.
  std::optional<std::string> scale() const;
  // The schemes it holds results for: the spec's, or the phase diagrams'.
  const std::vector<std::string>& scheme_names() const;
  // The spec, for a manifest that holds one; InputError naming `origin` otherwise.
  const SweepSpec& sweep_spec(const std::string& origin) const;
};

void to_json(nlohmann::json& json, const Manifest& manifest);
// Reads a manifest document; every key checked (an unknown or mistyped one is an
// InputError naming `origin` and the key). Refuses another version and a sweep whose
// runs_schema this program does not read.
Manifest manifest_from_json(const nlohmann::json& json, const std::string& origin);
// DIRECTORY/manifest.json; InputError naming the directory when it holds none (then
// `remedy`, where given, says what to do), or the file and the key where it is not a
// gammalab manifest. `field`, where given, starts the message (the option or argument
// that named the directory: "DIR", "directory").
Manifest read_manifest(const std::filesystem::path& directory, const std::string& field = "", const std::string& remedy = "");
void write_manifest(const std::filesystem::path& directory, const Manifest& manifest);

}  // namespace gammalab::sim
