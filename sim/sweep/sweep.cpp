#include "sim/sweep/sweep.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <numeric>
#include <set>

#include "gamma/input_error.hpp"
#include "gamma/scheme.hpp"
#include "sim/model/parallel_tasks.hpp"
#include "sim/sweep/refinement.hpp"
#include "sim/sweep/result_schema.hpp"
#include "sim/model/teacher.hpp"

namespace gammalab::sim {

std::vector<Configuration> enumerate_configurations(const SweepSpec& spec) {
  std::vector<Configuration> all;
  for (int teacher = 0; teacher < spec.teachers; ++teacher)
    for (int width : spec.widths)
      for (auto seed : spec.seeds)
        for (Readout readout : spec.readouts)
          for (int rank : spec.ranks)
            for (const auto& multiplier : spec.multipliers)
              for (const auto& scheme : spec.schemes)
                for (double sigma : spec.init_sigmas.empty() ? std::vector<double>{0} : spec.init_sigmas)
                  for (double lr : spec.learning_rates)
                    all.push_back({all.size(), scheme, width, seed, lr, lr * spec.lr_ratio, sigma, readout, rank, multiplier, 0, teacher});
  return all;
}

TrainSpec train_spec_of(const SweepSpec& spec, const Configuration& c) {
  TrainSpec t = spec.training;
  t.init.scheme = c.scheme;
  t.lr_A = c.lr_A;
  t.lr_B = c.lr_B;
  t.seed = seed_under_teacher(c.seed, c.teacher);
  t.rank = c.rank;
  t.multiplier_exponent = multiplier_exponent(c.multiplier);
  if (c.init_sigma > 0) t.init.sigma = c.init_sigma;
  return t;
}

void check_rows_against_plan(const std::vector<RunRow>& rows, const SweepSpec& spec, const Shard& shard, bool complete,
                             const std::string& origin) {
  const std::vector<Configuration> grid = configurations_of_shard(spec, shard);
  std::map<std::size_t, Configuration> planned;
  for (const auto& c : grid) planned.emplace(c.id, c);
  for (const auto& c : refined_configurations(spec, rows)) planned.emplace(c.id, c);
  const std::string plan = shard.whole() ? "the manifest's spec" : "shard " + shard.text() + " of the manifest's spec";
  std::set<std::size_t> seen;
  for (const RunRow& r : rows) {
    const auto found = planned.find(r.id);
    const bool known = found != planned.end() && [&](const Configuration& c) {
      return c.scheme == r.scheme && c.width == r.width && c.teacher == r.teacher && c.seed == r.seed && c.lr_A == r.lr_A &&
             c.init_sigma == r.init_sigma && c.readout == r.readout && c.rank == r.rank && c.multiplier == r.multiplier &&
             c.round == r.round;
    }(found->second);
    if (!known)
      throw InputError(origin + ": the row of configuration " + std::to_string(r.id) + " (" + shown(r.scheme) + ", width " +
                       std::to_string(r.width) + ", teacher " + std::to_string(r.teacher) + ", rank " + std::to_string(r.rank) + ", multiplier " + shown(r.multiplier) +
                       ", seed " + std::to_string(r.seed) + ", round " + std::to_string(r.round) + ") is not that configuration of " +
                       plan + ": the runs are of another sweep, or were edited");
    std::vector<int> horizons;
    for (const auto& h : r.horizons) horizons.push_back(h.step);
    if (horizons != spec.training.horizons)
      throw InputError(origin + ": configuration " + std::to_string(r.id) + " has the columns of other horizons than the spec's [analysis] horizons");
    if (!seen.insert(r.id).second)
      throw InputError(origin + ": configuration " + std::to_string(r.id) + " appears twice; a row was copied or edited");
  }
  if (!complete || seen.size() == planned.size()) return;
  std::string missing;
  std::size_t listed = 0;
  for (const auto& [id, c] : planned)
    if (!seen.count(id) && listed++ < 5) missing += (missing.empty() ? "" : ", ") + std::to_string(id);
  if (listed > 5) missing += ", …";
  const std::size_t refined = planned.size() - grid.size();
  throw InputError(origin + ": " + std::to_string(rows.size()) + " rows, but the plan of " + plan + " has " +
                   std::to_string(planned.size()) + " configurations (" + std::to_string(grid.size()) + " of the grid" +
                   (refined ? " and " + std::to_string(refined) + " of edge refinement" : "") + ") and the manifest says complete: " +
                   std::to_string(planned.size() - seen.size()) + " missing (configuration " + missing +
                   "); rows were deleted after the sweep: restore runs.csv from a copy, or run the sweep again into a new directory");
}

std::vector<RunRow> read_checked_runs(const std::filesystem::path& directory, const Manifest& manifest) {
  const std::filesystem::path runs = directory / "runs.csv";
  const SweepSpec& spec = manifest.sweep_spec((directory / "manifest.json").string());
  std::vector<RunRow> rows = read_runs(runs);
  check_rows_against_plan(rows, spec, parse_shard(manifest.shard.value_or("1/1")), manifest.complete(), runs.string());
  return rows;
}

Manifest manifest_of(const SweepSpec& spec, const SweepRun& run, const std::string& device) {
  Manifest manifest;
  manifest.experiment = ExperimentKind::Sweep;
  manifest.provenance = run.provenance;
  manifest.spec = spec;
  manifest.spec_hash = spec_hash(spec);
  manifest.runs_schema = kRunsSchema;
  if (spec.refine.enabled()) manifest.refinement = kRefinementSchedule;
  manifest.device = device;
  manifest.configurations = spec.configuration_count();
  for (const auto& scheme : spec.schemes) {
    // How the papers write each scheme (the engine's registry), for the figures' labels.
    manifest.scheme_titles[scheme] = gamma::is_custom_scheme(scheme) ? scheme : gamma::find_scheme(scheme).title;
    manifest.subtract_initial_product[scheme] = spec.training.init.subtract_initial_product.value_or(subtracts_by_default(scheme));
  }
  if (!run.shard.whole()) {
    manifest.shard = run.shard.text();
    manifest.shard_configurations = configurations_of_shard(spec, run.shard).size();
  }
  return manifest;
}

std::string describe_trainers(const std::vector<TrainerBackend*>& trainers) {
  const std::string first = trainers.front()->describe();
  const bool alike = std::all_of(trainers.begin(), trainers.end(), [&](const TrainerBackend* t) { return t->describe() == first; });
  if (trainers.size() == 1) return first;
  if (alike) return std::to_string(trainers.size()) + " × " + first;
  std::string all;
  for (const auto* t : trainers) all += (all.empty() ? "" : "; ") + t->describe();
  return all;
}

std::vector<WorkGroup> pending_groups(const SweepSpec& spec, std::vector<Configuration> configurations,
                                      const std::set<std::size_t>& finished) {
  std::erase_if(configurations, [&](const Configuration& c) { return finished.count(c.id) > 0; });
  return group_configurations(spec, configurations);
}

void train_groups(const SweepSpec& spec, const std::vector<Dataset>& teachers, const std::vector<WorkGroup>& groups,
                  const std::vector<TrainerBackend*>& trainers,
                  const std::function<void(const Configuration&, const TrainResult&)>& one_done) {
  std::vector<std::size_t> by_cost(groups.size());
  std::iota(by_cost.begin(), by_cost.end(), 0);
  std::stable_sort(by_cost.begin(), by_cost.end(), [&](std::size_t a, std::size_t b) { return groups[a].flops > groups[b].flops; });
  // One worker per group a trainer may train at once.
  std::vector<TrainerBackend*> lanes;
  for (auto* trainer : trainers)
    for (int lane = 0; lane < trainer->concurrent_groups(); ++lane) lanes.push_back(trainer);
  std::mutex report;
  run_tasks(by_cost.size(), static_cast<int>(lanes.size()), [&](std::size_t i, int worker) {
    const WorkGroup& group = groups[by_cost[i]];
    std::vector<TrainSpec> specs;
    for (const auto& c : group.members) specs.push_back(train_spec_of(spec, c));
    const StudentKey student{group.width, group.readout, seed_under_teacher(group.seed, group.teacher)};
    lanes[worker]->train_group(teachers.at(static_cast<std::size_t>(group.teacher)), student, specs, [&](std::size_t index, const TrainResult& result) {
      std::lock_guard lock(report);
      one_done(group.members[index], result);
    });
  });
}

void run_sweep(const SweepSpec& spec, const SweepRun& run, const std::vector<TrainerBackend*>& trainers,
               const std::function<void(const SweepProgress&)>& progress) {
  const auto start = std::chrono::steady_clock::now();
  auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  ResultDirectory directory(run.directory, run.resume, manifest_of(spec, run, describe_trainers(trainers)));
  const std::vector<Dataset> teachers = make_teacher_datasets(spec.data, spec.teachers);

  SweepProgress state;
  // Trains what of `configurations` is not finished; the total grows by each round's
  // configurations, those finished before a resume counted as done.
  auto train = [&](const std::vector<Configuration>& configurations) {
    state.total += configurations.size();
    for (const auto& c : configurations) state.done += directory.finished().count(c.id);
    progress(state);
    train_groups(spec, teachers, pending_groups(spec, configurations, directory.finished()), trainers,
                 [&](const Configuration& c, const TrainResult& result) {
                   directory.record(rows_of(c, result));
                   ++state.done;
                   ++state.done_this_run;
                   state.seconds = seconds();
                   progress(state);
                 });
  };
  train(configurations_of_shard(spec, run.shard));
  // Each refinement round is proposed from the rows of the rounds before it, all
  // written, so that a resumed sweep proposes the same rounds (sim/sweep/refinement.hpp).
  for (int round = 1; spec.refine.enabled(); ++round) {
    const std::vector<Configuration> proposed = refinement_round(spec, read_runs(run.directory / "runs.csv"), round);
    if (proposed.empty()) break;
    state.refinement_round = round;
    train(proposed);
  }
  directory.complete(seconds());
}

}  // namespace gammalab::sim
