#include "sim/sweep/work_plan.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <numeric>
#include <tuple>

#include "gamma/input_error.hpp"
#include "sim/model/lora_init.hpp"
#include "sim/model/lora_network.hpp"
#include "sim/sweep/request_names.hpp"
#include "sim/sweep/sweep.hpp"

namespace gammalab::sim {

double training_flops(const SweepSpec& spec, int width, int rank) {
  return spec.training.steps * lora_step_flops(spec.data.train_size, width, rank);
}

CpuMemory cpu_memory_bytes(const SweepSpec& spec, int width, int rank) {
  const double n = width, train = spec.data.train_size, rows = train + spec.data.test_size;
  const bool reads_W_h = std::any_of(spec.schemes.begin(), spec.schemes.end(),
                                     [](const std::string& scheme) { return find_initialiser(scheme).reads_frozen_weight; });
  CpuMemory doubles;
  doubles.student = n * n + 2 * rows * n + (reads_W_h ? 6 * n * n : 0);
  doubles.per_worker = std::max(rows * n + 2 * train * n, reads_W_h ? 2 * n * n : 0) + 8 * n * rank + 3 * rows * rank;
  return {doubles.student * sizeof(double), doubles.per_worker * sizeof(double)};
}

std::vector<WorkGroup> group_configurations(const SweepSpec& spec, const std::vector<Configuration>& configurations) {
  std::vector<WorkGroup> groups;
  std::map<std::tuple<int, int, std::uint64_t, Readout, int, std::string>, std::size_t> index_of;
  for (const auto& c : configurations) {
    auto [at, inserted] = index_of.try_emplace({c.width, c.teacher, c.seed, c.readout, c.rank, c.multiplier}, groups.size());
    if (inserted) groups.push_back({c.width, c.teacher, c.seed, c.readout, c.rank, c.multiplier, {}, 0});
    WorkGroup& group = groups[at->second];
    group.members.push_back(c);
    group.flops += training_flops(spec, c.width, c.rank);
  }
  return groups;
}

std::vector<std::vector<std::size_t>> balance_by_flops(const std::vector<WorkGroup>& groups, int parts) {
  std::vector<std::size_t> by_cost(groups.size());
  std::iota(by_cost.begin(), by_cost.end(), 0);
  std::stable_sort(by_cost.begin(), by_cost.end(), [&](std::size_t a, std::size_t b) { return groups[a].flops > groups[b].flops; });
  std::vector<std::vector<std::size_t>> plan(static_cast<std::size_t>(std::max(parts, 1)));
  std::vector<double> load(plan.size(), 0.0);
  for (std::size_t g : by_cost) {
    const auto lightest = static_cast<std::size_t>(std::min_element(load.begin(), load.end()) - load.begin());
    plan[lightest].push_back(g);
    load[lightest] += groups[g].flops;
  }
  return plan;
}

Shard parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  Shard shard{0, 0};
  auto read = [](std::string_view digits, int& value) {
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    return error == std::errc() && end == digits.data() + digits.size() && !digits.empty();
  };
  const std::string_view all(text);
  if (slash == std::string::npos || !read(all.substr(0, slash), shard.index) || !read(all.substr(slash + 1), shard.count) ||
      shard.count < 1 || shard.index < 1 || shard.index > shard.count)
    throw InputError(request_names().shard + ": '" + shown(text) +
                     "' is not a shard; write i/k with 1 <= i <= k, e.g. 2/4 for the second of four parts");
  return shard;
}

std::vector<Configuration> configurations_of_shard(const SweepSpec& spec, const Shard& shard) {
  const auto all = enumerate_configurations(spec);
  if (shard.whole()) return all;
  const auto groups = group_configurations(spec, all);
  const auto plan = balance_by_flops(groups, shard.count);
  std::vector<Configuration> mine;
  for (std::size_t g : plan[static_cast<std::size_t>(shard.index - 1)])
    mine.insert(mine.end(), groups[g].members.begin(), groups[g].members.end());
  std::sort(mine.begin(), mine.end(), [](const Configuration& a, const Configuration& b) { return a.id < b.id; });
  return mine;
}

}  // namespace gammalab::sim
