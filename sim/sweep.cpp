#include "sim/sweep.hpp"

#include <chrono>
#include <map>

namespace gammalab::sim {

std::vector<Configuration> enumerate_configurations(const SweepSpec& spec) {
  std::vector<Configuration> all;
  for (int width : spec.widths)
    for (auto seed : spec.seeds)
      for (const auto& scheme : spec.schemes)
        for (double lr : spec.learning_rates) all.push_back({all.size(), scheme, width, seed, lr, lr * spec.lr_ratio});
  return all;
}

TrainSpec train_spec_of(const SweepSpec& spec, const Configuration& c) {
  TrainSpec t = spec.training;
  t.init.scheme = c.scheme;
  t.lr_A = c.lr_A;
  t.lr_B = c.lr_B;
  t.seed = c.seed;
  return t;
}

namespace {

std::string fingerprint(const std::string& text) {  // FNV-1a, hex
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ULL;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

nlohmann::json manifest_of(const SweepSpec& spec, const SweepRun& run, const TrainerBackend& backend) {
  nlohmann::json manifest = run.provenance;
  manifest["spec_name"] = spec.name;
  manifest["scale"] = spec.scale;
  manifest["spec"] = run.spec_text;
  manifest["spec_hash"] = fingerprint(run.spec_text);
  manifest["device"] = backend.describe();
  manifest["configurations"] = spec.configuration_count();
  manifest["widths"] = spec.widths;
  manifest["seeds"] = spec.seeds;
  manifest["schemes"] = spec.schemes;
  manifest["learning_rates"] = spec.learning_rates;
  manifest["readout"] = spec.readout == Readout::Standard ? "sp" : "mup";
  manifest["optimizer"] = spec.training.optimizer.kind == OptimizerSpec::Kind::AdamW ? "adamw" : "sgd";
  manifest["steps"] = spec.training.steps;
  nlohmann::json subtract;
  for (const auto& scheme : spec.schemes)
    subtract[scheme] = spec.training.init.subtract_initial_product.value_or(subtracts_by_default(scheme));
  manifest["subtract_initial_product"] = subtract;
  return manifest;
}

}  // namespace

void run_sweep(const SweepSpec& spec, const SweepRun& run, TrainerBackend& backend,
               const std::function<void(const SweepProgress&)>& progress) {
  const auto start = std::chrono::steady_clock::now();
  ResultDirectory directory(run.directory, run.resume, manifest_of(spec, run, backend));
  const TeacherSpec& teacher = spec.data;
  Dataset data = make_teacher_dataset(teacher);

  // Group the unfinished configurations by (width, seed).
  std::map<std::pair<int, std::uint64_t>, std::vector<Configuration>> groups;
  std::vector<std::pair<int, std::uint64_t>> order;
  for (const auto& c : enumerate_configurations(spec)) {
    if (directory.finished().count(c.id)) continue;
    auto key = std::make_pair(c.width, c.seed);
    if (!groups.count(key)) order.push_back(key);
    groups[key].push_back(c);
  }

  SweepProgress state{directory.finished().size(), spec.configuration_count(), 0, 0};
  progress(state);
  for (const auto& key : order) {
    const auto& members = groups[key];
    std::vector<TrainSpec> specs;
    for (const auto& c : members) specs.push_back(train_spec_of(spec, c));
    backend.train_group(data, {key.first, spec.readout, key.second}, specs, [&](std::size_t index, const TrainResult& result) {
      directory.record(members[index], result);
      ++state.done;
      ++state.done_this_run;
      state.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      progress(state);
    });
  }
  directory.complete(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

}  // namespace gammalab::sim
