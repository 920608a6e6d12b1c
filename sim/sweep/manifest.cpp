#include "sim/sweep/manifest.hpp"

#include <fstream>
#include <set>

#include "gamma/input_error.hpp"
#include "sim/sweep/refinement.hpp"
#include "sim/sweep/result_directory.hpp"
#include "sim/sweep/result_schema.hpp"

namespace gammalab::sim {

const gamma::Vocabulary<ExperimentKind>& experiment_kinds() {
  static const gamma::Vocabulary<ExperimentKind> vocabulary(
      "experiment", {{ExperimentKind::Sweep, "sweep", "a sweep", {}},
                     {ExperimentKind::CoordCheck, "coordcheck", "a coordinate check", {}},
                     {ExperimentKind::Phase, "phase", "the engine's phase diagrams", {}},
                     {ExperimentKind::MlpCoordCheck, "mlp-coordcheck", "the MLP's coordinate check", {}},
                     {ExperimentKind::MlpRates, "mlp-lr", "the MLP's learning-rate edges", {}}});
  return vocabulary;
}

const SweepSpec& Manifest::sweep_spec(const std::string& origin) const {
  if (!spec) throw InputError(origin + ": holds no spec; it is the manifest of " + experiment_kinds().title(experiment) + ", not of a sweep");
  return *spec;
}

std::string Manifest::title() const { return spec ? spec->name : experiment_kinds().title(experiment); }

std::optional<std::string> Manifest::scale() const { return spec ? std::optional(scales().name(spec->scale)) : std::nullopt; }

const std::vector<std::string>& Manifest::scheme_names() const { return spec ? spec->schemes : schemes; }

void to_json(nlohmann::json& json, const Manifest& m) {
  json = {{"version", m.version},
          {"experiment", experiment_kinds().name(m.experiment)},
          {"program", m.provenance.program},
          {"git_revision", m.provenance.git_revision},
          {"device", m.device},
          {"status", m.status}};
  if (m.provenance.spec_file) json["spec_file"] = *m.provenance.spec_file;
  if (m.spec) {
    json["spec"] = spec_to_json(*m.spec);
    json["configurations"] = m.configurations;
  }
  if (m.experiment == ExperimentKind::Sweep) {
    json["spec_hash"] = m.spec_hash;
    json["runs_schema"] = m.runs_schema;
    if (m.refinement) json["refinement"] = *m.refinement;
    json["scheme_titles"] = m.scheme_titles;
    json["subtract_initial_product"] = m.subtract_initial_product;
  }
  if (!m.schemes.empty()) json["schemes"] = m.schemes;
  if (m.setting) json["setting"] = *m.setting;
  if (m.optimizer) json["optimizer"] = *m.optimizer;
  if (m.shard) json["shard"] = *m.shard;
  if (m.shard_configurations) json["shard_configurations"] = *m.shard_configurations;
  if (m.processes) json["processes"] = *m.processes;
  for (const auto& part : m.shards)
    json["shards"].push_back(
        {{"shard", part.shard}, {"directory", part.directory}, {"device", part.device}, {"wall_seconds", part.wall_seconds}});
  if (m.wall_seconds) json["wall_seconds"] = *m.wall_seconds;
  if (!m.checksums.empty()) json["checksums"] = m.checksums;
}

namespace {

// A manifest's keys read one by one: each read names the file and the key when the
// value has the wrong type, and finish() refuses a key nobody read.
class ManifestReader {
 public:
  ManifestReader(const nlohmann::json& json, std::string origin) : json_(json), origin_(std::move(origin)) {
    if (!json_.is_object()) throw InputError(origin_ + ": not a gammalab manifest (not a JSON object)");
  }
  bool has(const std::string& key) const { return json_.contains(key); }
  template <class T>
  std::optional<T> optional(const std::string& key, const char* expected) {
    if (!json_.contains(key)) return std::nullopt;
    read_.insert(key);
    try {
      return json_.at(key).get<T>();
    } catch (const nlohmann::json::exception&) {
      throw InputError(origin_ + ": " + key + " is " + shortened(json_.at(key).dump()) + "; accepted: " + expected);
    }
  }
  template <class T>
  T required(const std::string& key, const char* expected) {
    auto value = optional<T>(key, expected);
    if (!value) throw InputError(origin_ + ": " + key + " is missing; it is " + expected);
    return *value;
  }
  const nlohmann::json& raw(const std::string& key) {
    read_.insert(key);
    return json_.at(key);
  }
  void finish() const {
    for (const auto& [key, value] : json_.items())
      if (!read_.count(key)) throw InputError(origin_ + ": unknown key \"" + shortened(key) + "\" (not a key of a gammalab manifest)");
  }
  static std::string shortened(const std::string& text) { return text.size() <= 64 ? text : text.substr(0, 61) + "…"; }

 private:
  const nlohmann::json& json_;
  std::string origin_;
  std::set<std::string> read_;
};

}  // namespace

Manifest manifest_from_json(const nlohmann::json& json, const std::string& origin) {
  ManifestReader in(json, origin);
  Manifest m;
  m.version = in.optional<int>("version", "a whole number").value_or(1);
  if (m.version != kManifestVersion)
    throw InputError(origin + ": manifest version " + std::to_string(m.version) + ", but this gammalab reads version " +
                     std::to_string(kManifestVersion) + "; read it with the gammalab that wrote it (" +
                     (json.contains("program") && json["program"].is_string() ? json["program"].get<std::string>()
                                                                               : std::string("its manifest's program")) +
                     "), or run the experiment again");
  const auto experiment = in.optional<std::string>("experiment", "sweep, coordcheck or phase");
  m.experiment = experiment ? experiment_kinds().parse(*experiment) : ExperimentKind::Sweep;
  m.provenance.program = in.optional<std::string>("program", "a string").value_or("");
  m.provenance.git_revision = in.optional<std::string>("git_revision", "a string").value_or("");
  m.provenance.spec_file = in.optional<std::string>("spec_file", "a path");
  m.device = in.optional<std::string>("device", "a string").value_or("");
  m.status = in.optional<std::string>("status", "running or complete").value_or("running");
  if (m.status != "running" && m.status != "complete")
    throw InputError(origin + ": status is \"" + ManifestReader::shortened(m.status) + "\"; accepted: running, complete");
  if (m.experiment == ExperimentKind::Sweep) {
    m.runs_schema = in.optional<int>("runs_schema", "a whole number").value_or(1);
    if (m.runs_schema != kRunsSchema)
      throw InputError(origin + ": runs_schema " + std::to_string(m.runs_schema) + ", but this gammalab reads schema " +
                       std::to_string(kRunsSchema) + "; analyse it with the gammalab that wrote it (" +
                       (m.provenance.program.empty() ? std::string("its manifest's program") : m.provenance.program) + "), or run the sweep again");
    m.spec_hash = in.required<std::string>("spec_hash", "the spec's fingerprint, 16 hex digits");
    m.scheme_titles = in.optional<std::map<std::string, std::string>>("scheme_titles", "an object of strings").value_or(std::map<std::string, std::string>{});
    m.subtract_initial_product =
        in.optional<std::map<std::string, bool>>("subtract_initial_product", "an object of true/false").value_or(std::map<std::string, bool>{});
  }
  m.refinement = in.optional<std::string>("refinement", "the name of a refinement schedule");
  if (in.has("spec")) m.spec = spec_from_json(in.raw("spec"), origin + " (spec)");
  // A sweep and a LoRA coordinate check keep their spec here; the phase diagrams have
  // none, and the MLP experiments keep theirs in their own document.
  else if (m.experiment == ExperimentKind::Sweep || m.experiment == ExperimentKind::CoordCheck)
    throw InputError(origin + ": spec is missing; not a sweep's manifest");
  if (m.spec && m.spec->refine.enabled() && m.refinement != kRefinementSchedule)
    throw InputError(origin + ": its stability edges were refined by " + m.refinement.value_or("another schedule") +
                     ", but this gammalab refines by " + kRefinementSchedule + "; analyse it with the gammalab that wrote it (" +
                     m.provenance.program + "), or run the sweep again");
  m.configurations = in.optional<std::size_t>("configurations", "a whole number").value_or(0);
  if (m.experiment == ExperimentKind::Phase) {
    m.schemes = in.required<std::vector<std::string>>("schemes", "a list of scheme names");
    m.setting = in.required<std::string>("setting", "module or network");
    m.optimizer = in.required<std::string>("optimizer", "adam or sgd");
  }
  m.shard = in.optional<std::string>("shard", "a shard as K/N, e.g. \"2/3\"");
  m.shard_configurations = in.optional<std::size_t>("shard_configurations", "a whole number");
  m.processes = in.optional<int>("processes", "a whole number");
  if (in.has("shards")) {
    const nlohmann::json& parts = in.raw("shards");
    if (!parts.is_array()) throw InputError(origin + ": shards is not a list of shard records");
    for (const auto& part : parts) {
      ManifestReader p(part, origin + ": shards[]");
      m.shards.push_back({p.required<std::string>("shard", "K/N"), p.required<std::string>("directory", "a path"),
                          p.required<std::string>("device", "a string"), p.required<double>("wall_seconds", "seconds")});
      p.finish();
    }
  }
  m.wall_seconds = in.optional<double>("wall_seconds", "seconds");
  m.checksums = in.optional<std::map<std::string, std::string>>("checksums", "an object of file name → 16 hex digits").value_or(std::map<std::string, std::string>{});
  in.finish();
  return m;
}

Manifest read_manifest(const std::filesystem::path& directory, const std::string& field, const std::string& remedy) {
  const std::string start = field.empty() ? "" : field + ": ", then = remedy.empty() ? "" : "; " + remedy;
  const std::filesystem::path path = directory / "manifest.json";
  if (!std::filesystem::is_directory(directory))
    throw InputError(start + directory.string() + (std::filesystem::exists(directory) ? " is a file" : " does not exist") +
                     ", not a gammalab result directory" + then);
  std::ifstream file(path);
  if (!std::filesystem::is_regular_file(path) || !file)
    throw InputError(start + directory.string() + " has no manifest.json, so it is not a gammalab result directory" + then);
  const nlohmann::json json = nlohmann::json::parse(file, nullptr, false);
  if (json.is_discarded()) throw InputError(start + path.string() + " is not valid JSON: not a gammalab manifest");
  try {
    return manifest_from_json(json, path.string());
  } catch (const InputError& e) {
    throw InputError(start + e.what());
  }
}

void write_manifest(const std::filesystem::path& directory, const Manifest& manifest) {
  write_atomically(directory / "manifest.json", nlohmann::json(manifest).dump(2) + "\n");
}

}  // namespace gammalab::sim
