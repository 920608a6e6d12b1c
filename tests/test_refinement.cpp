// Stability edges located beyond the grid (sim/sweep/refinement.hpp) on a synthetic edge whose
// place is known, and the analysis of seed halves and of the internal criterion on a
// real tiny sweep.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>
#include <tuple>

#include "gamma/input_error.hpp"
#include "result_files.hpp"
#include "sim/analysis/analysis.hpp"
#include "sim/sweep/refinement.hpp"
#include "sim/sweep/sweep.hpp"

using namespace gammalab;
using namespace gammalab::sim;
namespace fs = std::filesystem;

namespace {

// A trainer whose runs are stable exactly below η_edge(n) = constant·n^-1/2 under every
// criterion (loss and s·Z_B jump past the bounds above it), so that the edge refinement
// must find is known. After `fail_after` results it throws, like a run that is killed.
class SyntheticEdge final : public TrainerBackend {
 public:
  explicit SyntheticEdge(double constant, int fail_after = -1) : constant_(constant), fail_after_(fail_after) {}
  double edge(int width) const { return constant_ / std::sqrt(static_cast<double>(width)); }
  std::string describe() const override { return "synthetic edge"; }
  std::vector<TrainResult> train_group(const Dataset&, const StudentKey& student, const std::vector<TrainSpec>& specs,
                                       const std::function<void(std::size_t, const TrainResult&)>& one_done) override {
    std::vector<TrainResult> results;
    for (std::size_t i = 0; i < specs.size(); ++i) {
      if (fail_after_ >= 0 && done_++ >= fail_after_) throw std::runtime_error("killed");
      const bool stable = specs[i].lr_A < edge(student.width);
      TrainResult r;
      r.initial_train_loss = 1;
      r.final_train_loss = r.final_test_loss = r.mean_last_train = r.max_train_loss = stable ? 0.5 : 5;
      r.steps_done = specs[i].steps;
      for (int h : specs[i].horizons) r.horizons.push_back({h, stable ? 1.0 : 5.0, stable ? 1.0 : 1e4});
      one_done(i, r);
      results.push_back(r);
    }
    return results;
  }

 private:
  double constant_;
  int fail_after_, done_ = 0;
};

std::string spec_text(double max_rate, const std::string& refine) {
  return "[sweep]\nwidths = [16, 64, 256]\nseeds = 2\nschemes = [\"A\"]\nsteps = 20\n"
         "[learning_rate]\nmin = 1e-3\nmax = " + std::to_string(max_rate) + "\nper_decade = 2\n" + refine +
         "[data]\ntrain_size = 8\ntest_size = 4\nteacher_width = 8\n";
}

void run(const SweepSpec& spec, const fs::path& dir, TrainerBackend& trainer, bool resume = false) {
  run_sweep(spec, {dir, resume, {}, {}}, {&trainer}, [](const SweepProgress&) {});
}

// Per (width, seed): the largest stable rate run and the smallest unstable one above it.
std::map<std::pair<int, std::uint64_t>, std::pair<double, double>> brackets(const std::vector<RunRow>& rows) {
  std::map<std::pair<int, std::uint64_t>, std::pair<double, double>> found;
  for (const RunRow& r : rows) {
    auto& [low, high] = found.try_emplace({r.width, r.seed}, 0.0, INFINITY).first->second;
    if (r.final_train_loss < 1) low = std::max(low, r.lr_A);
    else high = std::min(high, r.lr_A);
  }
  return found;
}

}  // namespace

TEST_CASE("refinement finds a synthetic edge inside the grid to the precision asked, in rounds a resume repeats") {
  const SweepSpec spec = parse_sweep_spec(spec_text(1, "edge_precision = 0.02\n"), "edge.toml");
  SyntheticEdge trainer(0.3);
  const fs::path dir = scratch("refined");
  run(spec, dir, trainer);
  const std::vector<RunRow> rows = read_runs(dir / "runs.csv");
  CHECK(rows.size() > spec.configuration_count());  // the grid, then the refined rates
  for (const auto& [line, bracket] : brackets(rows)) {
    CAPTURE(line.first);
    const double edge = trainer.edge(line.first);
    CHECK(bracket.first < edge);
    CHECK(bracket.second >= edge);
    CHECK(bracket.second / bracket.first <= 1.02);
  }
  // The analysis reads the refined edge, not the grid's: the slope is -1/2 to the precision.
  const SweepSummary summary = analyse_runs(rows, spec);
  for (std::size_t wi = 0; wi < spec.widths.size(); ++wi)
    CHECK(*summary.arms[0].widths[wi].max_stable.lr == doctest::Approx(trainer.edge(spec.widths[wi])).epsilon(0.02));
  CHECK(*summary.arms[0].max_stable_slope.slope == doctest::Approx(-0.5).epsilon(0.02));
  // Every measure's edge is refined, not only the one the verdict lines print.
  CHECK(std::abs(*summary.arms[0].stability.back().slope.slope + 0.5) < 0.02);

  // Several rates a bracket a round: the grid's steps of √10 reach 2% (a shrink of 58 in
  // log rate) in 3 rounds of up to 3 rates, where bisection took 6.
  const int rounds = std::max_element(rows.begin(), rows.end(), [](const RunRow& a, const RunRow& b) { return a.round < b.round; })->round;
  CHECK(rounds == 3);

  // A sweep killed in the middle of refinement, in its first round or its last, and
  // resumed, writes what an uninterrupted one did.
  const auto in_rounds_before = [&](int round) {
    return static_cast<int>(std::count_if(rows.begin(), rows.end(), [&](const RunRow& r) { return r.round < round; }));
  };
  for (int round : {1, rounds}) {
    CAPTURE(round);
    const fs::path killed = scratch("refined-killed");
    SyntheticEdge dies(0.3, in_rounds_before(round) + 5);
    CHECK_THROWS(run(spec, killed, dies));
    SyntheticEdge again(0.3);
    run(spec, killed, again, true);
    CHECK(read_text(killed / "runs.csv") == read_text(dir / "runs.csv"));
    fs::remove_all(killed);
  }
  fs::remove_all(dir);
}

TEST_CASE("a k-section cuts a bracket into the fewest steps that reach the precision in the fewest rounds of up to 3 rates") {
  // Already within the precision: no rate.
  CHECK(section_steps(1.05, 0.1) == 1);
  CHECK(section_steps(1.1, 0.1) == 1);
  // One round: as many steps as the shrink needs, up to 4.
  CHECK(section_steps(1.1 * 1.1, 0.1) == 2);
  CHECK(section_steps(std::pow(1.1, 2.5), 0.1) == 3);
  CHECK(section_steps(std::pow(1.1, 4), 0.1) == 4);
  // The quick fig2's grid step (3 per decade) to 10%: a shrink of 8.05, 2 rounds of 3 steps
  // (bisection: 4 rounds); the paper's (4 per decade) to 8%: 7.48, also 2 rounds of 3.
  CHECK(section_steps(std::pow(10, 1.0 / 3), 0.1) == 3);
  CHECK(section_steps(std::pow(10, 1.0 / 4), 0.08) == 3);
  // A shrink of exactly 16 takes 2 rounds of 4 steps; just above it, 3 rounds of 3.
  CHECK(section_steps(std::pow(1.02, 16), 0.02) == 4);
  CHECK(section_steps(std::pow(1.02, 17), 0.02) == 3);
}

TEST_CASE("an edge beyond the grid is found by extending the grid upwards, up to extend_up_to") {
  // Edges at 30·n^-1/2: 7.5, 3.75 and 1.9, all above the grid's top rate of 1.
  const SweepSpec spec = parse_sweep_spec(spec_text(1, "edge_precision = 0.05\nextend_up_to = 5\n"), "beyond.toml");
  SyntheticEdge trainer(30);
  const fs::path dir = scratch("extended");
  run(spec, dir, trainer);
  const std::vector<RunRow> rows = read_runs(dir / "runs.csv");
  for (const auto& [line, bracket] : brackets(rows)) {
    CAPTURE(line.first);
    if (line.first == 16) {  // 7.5 lies beyond 5: the largest rate tried is 5, and stable
      CHECK(bracket.first == 5);
      CHECK(std::isinf(bracket.second));
    } else {
      CHECK(bracket.first < trainer.edge(line.first));
      CHECK(bracket.second / bracket.first <= 1.05);
    }
  }
  // Extended in one round to 5 (in steps of 5^1/3), then 2 rounds of sections to 5%.
  CHECK(std::max_element(rows.begin(), rows.end(), [](const RunRow& a, const RunRow& b) { return a.round < b.round; })->round == 3);
  const SweepSummary summary = analyse_runs(rows, spec);
  CHECK(summary.arms[0].widths[0].max_stable.at_grid_edge);  // a bound, left out of the slope
  CHECK_FALSE(summary.arms[0].widths[1].max_stable.at_grid_edge);
  CHECK(summary.arms[0].max_stable_slope.points_used == std::vector<int>{64, 256});
  CHECK(*summary.arms[0].max_stable_slope.slope == doctest::Approx(-0.5).epsilon(0.05));
  // Refined rows that refinement did not propose are refused by the analysis.
  std::vector<RunRow> edited = rows;
  for (RunRow& r : edited)
    if (r.round > 0) {
      r.lr_A *= 1.01;
      break;
    }
  CHECK_THROWS_WITH_AS(analyse_runs(edited, spec), doctest::Contains("is not that configuration"), InputError);
  fs::remove_all(dir);
}

namespace {

// A trainer whose optimum and edges are known: log L = log 0.5 + 2·(log10 η − log10 η*(n))²
// with η*(n) = 0.01·n^-1/2 (capped at 0.9 × the initial loss, so that it stays stable
// under the final-loss criterion), stable below η_edge(n) = 0.3·n^-1/2 under every
// criterion, and for the seed `island_seed` stable again on [0.3, 0.5] (an island above
// its first failure).
class SyntheticLandscape final : public TrainerBackend {
 public:
  explicit SyntheticLandscape(std::uint64_t island_seed, int fail_after = -1) : island_seed_(island_seed), fail_after_(fail_after) {}
  static double optimum(int width) { return 0.01 / std::sqrt(static_cast<double>(width)); }
  static double edge(int width) { return 0.3 / std::sqrt(static_cast<double>(width)); }
  std::string describe() const override { return "synthetic landscape"; }
  std::vector<TrainResult> train_group(const Dataset&, const StudentKey& student, const std::vector<TrainSpec>& specs,
                                       const std::function<void(std::size_t, const TrainResult&)>& one_done) override {
    std::vector<TrainResult> results;
    for (std::size_t i = 0; i < specs.size(); ++i) {
      if (fail_after_ >= 0 && done_++ >= fail_after_) throw std::runtime_error("killed");
      const double lr = specs[i].lr_A;
      const bool stable = lr < edge(student.width) || (student.seed == island_seed_ && lr >= 0.3 && lr <= 0.5);
      const double away = std::log10(lr / optimum(student.width));
      TrainResult r;
      r.initial_train_loss = 1;
      r.final_train_loss = r.final_test_loss = r.mean_last_train = stable ? std::min(0.5 * std::exp(2 * away * away), 0.9) : 5;
      r.max_train_loss = stable ? 1 : 5;
      r.steps_done = specs[i].steps;
      for (int h : specs[i].horizons) r.horizons.push_back({h, stable ? 1.0 : 5.0, stable ? 1.0 : 1e4});
      one_done(i, r);
      results.push_back(r);
    }
    return results;
  }

 private:
  std::uint64_t island_seed_;
  int fail_after_, done_ = 0;
};

constexpr std::uint64_t kNoIsland = 1000;  // not a seed of the spec below

const std::string kLandscapeSpec =
    "[sweep]\nwidths = [16, 64, 256]\nseeds = 2\nschemes = [\"A\"]\nsteps = 20\n"
    "[learning_rate]\nmin = 1e-4\nmax = 1\nper_decade = 2\nedge_precision = 0.02\noptimum_per_decade = 6\n"
    "[data]\ntrain_size = 8\ntest_size = 4\nteacher_width = 8\n";

}  // namespace

TEST_CASE("a stable island above a failure neither moves the edge nor draws refinement; the seed is counted") {
  const SweepSpec spec = parse_sweep_spec(kLandscapeSpec, "island.toml");
  SyntheticLandscape trainer(spec.seeds.front());
  const fs::path dir = scratch("island");
  run(spec, dir, trainer);
  const std::vector<RunRow> rows = read_runs(dir / "runs.csv");
  // The island's seed ran the grid's 0.316 (in [0.3, 0.5]) stable: the largest stable
  // rate, which the edge used to be read from. Refinement narrows the first failure above
  // the monotone stable rates, as for the other seed, and nothing around the island.
  for (const RunRow& r : rows)
    if (r.round > 0) CHECK(r.lr_A < 0.3);
  const SweepSummary summary = analyse_runs(rows, spec);
  const ArmSummary& arm = summary.arms[0];
  for (std::size_t wi = 0; wi < spec.widths.size(); ++wi) {
    CAPTURE(spec.widths[wi]);
    CHECK(*arm.widths[wi].max_stable.lr == doctest::Approx(SyntheticLandscape::edge(spec.widths[wi])).epsilon(0.02));
    CHECK(arm.widths[wi].max_stable.non_monotone_seeds == 1);
    for (const StabilitySummary& s : arm.stability) CHECK(s.widths[wi].non_monotone_seeds == 1);
  }
  CHECK(*arm.max_stable_slope.slope == doctest::Approx(-0.5).epsilon(0.02));
  // In summary.json, and read back.
  const nlohmann::json json = summary;
  CHECK(json["schemes"][0]["widths"][0]["max_stable_non_monotone_seeds"] == 1);
  CHECK(json["schemes"][0]["stability"][0]["widths"][2]["non_monotone_seeds"] == 1);
  CHECK(json.get<SweepSummary>().arms[0].stability[0].widths[2].non_monotone_seeds == 1);
  fs::remove_all(dir);
}

TEST_CASE("refinement surrounds each optimum with rates at the spec's spacing: its vertex rests on five or more, and the plan counts them") {
  const SweepSpec spec = parse_sweep_spec(kLandscapeSpec, "optimum.toml");
  SyntheticLandscape trainer(kNoIsland);
  const fs::path dir = scratch("optimum");
  run(spec, dir, trainer);
  const std::vector<RunRow> rows = read_runs(dir / "runs.csv");
  // Each line's first round holds the four rates 10^(±1/6), 10^(±2/6) around its best
  // grid rate: η*(16) = 2.5e-3 lies nearest the grid's 3.16e-3.
  std::vector<double> probes;
  for (const RunRow& r : rows)
    if (r.round == 1 && r.width == 16 && r.seed == spec.seeds.front() && r.lr_A < 0.01) probes.push_back(r.lr_A);
  std::sort(probes.begin(), probes.end());
  REQUIRE(probes.size() == 4);
  for (int j : {-2, -1, 1, 2}) {
    CAPTURE(j);
    CHECK(std::any_of(probes.begin(), probes.end(),
                      [&](double p) { return p == doctest::Approx(std::pow(10, -2.5 + j / 6.0)).epsilon(1e-12); }));
  }
  // The vertex of the exact parabola in log η rests on at least five rates and finds η*.
  const SweepSummary summary = analyse_runs(rows, spec);
  for (std::size_t wi = 0; wi < spec.widths.size(); ++wi) {
    CAPTURE(spec.widths[wi]);
    const WidthSummary& w = summary.arms[0].widths[wi];
    CHECK(w.optimal_points >= 5);
    CHECK(*w.optimal.lr == doctest::Approx(SyntheticLandscape::optimum(spec.widths[wi])).epsilon(1e-6));
  }
  CHECK(*summary.arms[0].optimal_slope.slope == doctest::Approx(-0.5).epsilon(1e-6));
  // The probes are planned: every refined row is a configuration of the plan, which holds
  // no other, and a sweep killed in its first round and resumed writes the same rows.
  CHECK_NOTHROW(check_rows_against_plan(rows, spec, Shard{}, true, "runs.csv"));
  CHECK(refined_configurations(spec, rows).size() ==
        static_cast<std::size_t>(std::count_if(rows.begin(), rows.end(), [](const RunRow& r) { return r.round > 0; })));
  const fs::path killed = scratch("optimum-killed");
  SyntheticLandscape dies(kNoIsland, static_cast<int>(spec.configuration_count()) + 7);
  CHECK_THROWS(run(spec, killed, dies));
  SyntheticLandscape again(kNoIsland);
  run(spec, killed, again, true);
  CHECK(read_text(killed / "runs.csv") == read_text(dir / "runs.csv"));
  fs::remove_all(killed);
  fs::remove_all(dir);
}

TEST_CASE("a real tiny sweep: seed halves analyse as sweeps of those seeds alone; the internal criterion reads s·Z_B") {
  const std::string common =
      "schemes = [\"A\", \"B\"]\nsteps = 20\n[learning_rate]\nmin = 1e-2\nmax = 3\nper_decade = 3\n"
      "[data]\ntrain_size = 32\ntest_size = 8\nteacher_width = 32\n[analysis]\nbootstrap = 200\ninternal_bound = 5\n"
      "horizons = [5]\n";
  const SweepSpec all = parse_sweep_spec("[sweep]\nwidths = [16, 32, 64]\nseeds = 4\n" + common, "all.toml");
  const SweepSpec first = parse_sweep_spec("[sweep]\nwidths = [16, 32, 64]\nseeds = [0, 1]\n" + common, "first.toml");
  const SweepSpec second = parse_sweep_spec("[sweep]\nwidths = [16, 32, 64]\nseeds = [2, 3]\n" + common, "second.toml");
  CpuBackend cpu(2);
  const fs::path a = scratch("halves-all"), f = scratch("halves-first"), s = scratch("halves-second");
  run(all, a, cpu);
  run(first, f, cpu);
  run(second, s, cpu);
  const std::vector<RunRow> rows = read_runs(a / "runs.csv");
  const SeedHalves halves = analyse_seed_halves(rows, all);
  CHECK(halves.seeds[0] == std::vector<std::uint64_t>{0, 1});
  CHECK(nlohmann::json(halves.summaries[0]) == nlohmann::json(analyse_runs(read_runs(f / "runs.csv"), first)));
  CHECK(nlohmann::json(halves.summaries[1]) == nlohmann::json(analyse_runs(read_runs(s / "runs.csv"), second)));
  const auto comparisons = compare_halves(halves);
  CHECK(comparisons.size() == 2 * (2 + 4));  // per scheme: optimal, final loss, output and internal at steps 5 and 20
  for (const auto& c : comparisons)
    CHECK(c.agree() == (c.intervals_overlap && c.halves[0].verdict_network == c.halves[1].verdict_network));
  CHECK_THROWS_WITH_AS(analyse_seed_halves(read_runs(f / "runs.csv"), first), doctest::Contains("at least 4"), InputError);

  // The internal criterion's edge is, per seed, the geometric midpoint of the largest rate
  // whose s·Z_B RMS at the horizon stays within the bound and the next rate above it:
  // recomputed here from runs.csv.
  const SweepSummary summary = analyse_runs(rows, all);
  for (std::size_t arm = 0; arm < 2; ++arm) {
    const StabilitySummary& internal = summary.arms[arm].stability[2];  // internal at step 5
    REQUIRE(internal.criterion == Criterion::Internal);
    REQUIRE(internal.horizon == 5);
    for (std::size_t wi = 0; wi < all.widths.size(); ++wi) {
      double log_sum = 0;
      for (auto seed : all.seeds) {
        std::vector<const RunRow*> line;
        for (const RunRow& r : rows)
          if (r.scheme == all.schemes[arm] && r.width == all.widths[wi] && r.seed == seed) line.push_back(&r);
        std::sort(line.begin(), line.end(), [](const RunRow* x, const RunRow* y) { return x->lr_A < y->lr_A; });
        auto stable = [&](std::size_t i) { return !(line[i]->diverged && line[i]->diverged_step <= 5) && line[i]->horizons[0].rms_Z_B <= 5; };
        // The last monotone stable rate: the top of the stable rates from the lowest one up.
        std::size_t last = 0;
        while (last < line.size() && !stable(last)) ++last;
        while (last + 1 < line.size() && stable(last + 1)) ++last;
        REQUIRE(stable(last));
        REQUIRE(last + 1 < line.size());  // an edge inside the grid at these rates
        log_sum += 0.5 * (std::log(line[last]->lr_A) + std::log(line[last + 1]->lr_A));
      }
      CAPTURE(all.widths[wi]);
      REQUIRE(internal.widths[wi].lr);
      CHECK(*internal.widths[wi].lr == doctest::Approx(std::exp(log_sum / static_cast<double>(all.seeds.size()))));
    }
    CHECK(internal.slope.bound == "Z_B bounded");
  }
  for (const auto& dir : {a, f, s}) fs::remove_all(dir);
}

TEST_CASE("refinement with two teachers: every (width, teacher, seed) is refined as one teacher's (width, seed) is, and resumes") {
  const std::string refine = "edge_precision = 0.02\n";
  std::string two_teachers = spec_text(1, refine);
  two_teachers.replace(two_teachers.find("[data]\n"), 7, "[data]\nteachers = 2\n");
  const SweepSpec one = parse_sweep_spec(spec_text(1, refine), "edge.toml"), two = parse_sweep_spec(two_teachers, "edge.toml");
  const fs::path of_one = scratch("refined-one-teacher"), of_two = scratch("refined-two-teachers");
  SyntheticEdge trainer(0.3);
  run(one, of_one, trainer);
  run(two, of_two, trainer);
  // Each line's rates and rounds, by (width, seed, round, rate), per teacher.
  using Rates = std::multiset<std::tuple<int, std::uint64_t, int, double>>;
  std::map<int, Rates> by_teacher;
  for (const RunRow& r : read_runs(of_two / "runs.csv")) by_teacher[r.teacher].insert({r.width, r.seed, r.round, r.lr_A});
  Rates single;
  for (const RunRow& r : read_runs(of_one / "runs.csv")) single.insert({r.width, r.seed, r.round, r.lr_A});
  REQUIRE(by_teacher.size() == 2);
  CHECK(by_teacher[0] == single);
  CHECK(by_teacher[1] == single);  // the synthetic edge is the same under both teachers
  // Killed 8 runs before the end, in refinement, and resumed: the same rows.
  const int killed_after = static_cast<int>(2 * single.size()) - 8;
  CHECK(killed_after > static_cast<int>(two.configuration_count()));
  const fs::path killed = scratch("refined-two-teachers-killed");
  SyntheticEdge dies(0.3, killed_after);
  CHECK_THROWS(run(two, killed, dies));
  SyntheticEdge again(0.3);
  run(two, killed, again, true);
  CHECK(read_text(killed / "runs.csv") == read_text(of_two / "runs.csv"));
  for (const auto& dir : {of_one, of_two, killed}) fs::remove_all(dir);
}
