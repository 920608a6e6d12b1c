#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>

#include "gamma/input_error.hpp"
#include "sim/analysis/analysis.hpp"
#include "sim/model/lora_network.hpp"
#include "sim/sweep/shard_merge.hpp"
#include "sim/analysis/statistics.hpp"
#include "sim/sweep/sweep.hpp"
#include "sim/model/teacher.hpp"
#include "result_files.hpp"

using namespace gammalab;
using namespace gammalab::sim;
namespace fs = std::filesystem;

namespace {

const std::string kSpec =
    "[sweep]\nwidths = [16, 32]\nseeds = 2\nschemes = [\"A\", \"B\"]\nsteps = 30\n"
    "[learning_rate]\nvalues = [0.001, 0.01, 0.1]\n[data]\ntrain_size = 64\ntest_size = 16\nteacher_width = 64\n"
    "[record]\ncurves = true\nevery = 10\n";

// kSpec with three teachers.
const std::string kThreeTeachers = [] {
  std::string text = kSpec;
  return text.replace(text.find("[data]\n"), 7, "[data]\nteachers = 3\n");
}();

void sweep(const fs::path& dir, int threads, bool resume = false, Shard shard = {}, int trainers = 1, const std::string& spec = kSpec) {
  std::vector<std::unique_ptr<CpuBackend>> owned;
  std::vector<TrainerBackend*> all;
  for (int t = 0; t < trainers; ++t) all.push_back(owned.emplace_back(std::make_unique<CpuBackend>(threads)).get());
  run_sweep(parse_sweep_spec(spec, "spec.toml"), {dir, resume, {}, shard}, all, [](const SweepProgress&) {});
}

// The lines of a CSV file after its header.
std::vector<std::string> rows_of_file(const fs::path& csv) {
  std::istringstream text(read_text(csv));
  std::vector<std::string> lines;
  for (std::string line; std::getline(text, line);) lines.push_back(line);
  lines.erase(lines.begin());
  return lines;
}

// A CPU trainer that says it can train two groups at once and records how many of its
// calls overlapped: each call waits (up to 5 s) for a second one to start.
class TwoAtOnce final : public TrainerBackend {
 public:
  std::string describe() const override { return cpu_.describe(); }
  int concurrent_groups() const override { return 2; }
  std::vector<TrainResult> train_group(const Dataset& data, const StudentKey& student, const std::vector<TrainSpec>& specs,
                                       const std::function<void(std::size_t, const TrainResult&)>& one_done) override {
    const int now = ++in_flight_;
    most_ = std::max(most_.load(), now);
    for (int wait = 0; wait < 500 && in_flight_ < 2 && most_ < 2; ++wait) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    auto results = cpu_.train_group(data, student, specs, one_done);
    --in_flight_;
    return results;
  }
  int most_in_flight() const { return most_; }

 private:
  CpuBackend cpu_{1};
  std::atomic<int> in_flight_{0}, most_{0};
};

}  // namespace

TEST_CASE("a sweep writes the same rows whatever the number of threads") {
  fs::path one = scratch("one"), two = scratch("two");
  sweep(one, 1);
  sweep(two, 2);
  CHECK(read_text(one / "runs.csv") == read_text(two / "runs.csv"));
  CHECK(read_text(one / "curves.csv") == read_text(two / "curves.csv"));
  std::string runs = read_text(one / "runs.csv");
  CHECK(std::count(runs.begin(), runs.end(), '\n') == 1 + 2 * 2 * 2 * 3);
  CHECK(read_text(one / "manifest.json").find("\"status\": \"complete\"") != std::string::npos);
  fs::remove_all(one);
  fs::remove_all(two);
}

TEST_CASE("an existing directory is refused without --resume; a resume finishes what an interruption left") {
  fs::path whole = scratch("whole"), cut = scratch("cut");
  sweep(whole, 2);
  CHECK_THROWS_AS(sweep(whole, 2), InputError);

  // Simulate an interruption: keep the header and five rows, the last one half-written,
  // and the manifest's status running, as a killed sweep leaves them (a complete one's
  // checksums would refuse the cut file).
  sweep(cut, 2);
  std::string runs = read_text(cut / "runs.csv");
  std::size_t end = 0;
  for (int line = 0; line < 6; ++line) end = runs.find('\n', end) + 1;
  std::ofstream(cut / "runs.csv", std::ios::trunc) << runs.substr(0, end) << runs.substr(end, 20);
  std::string manifest = read_text(cut / "manifest.json");
  manifest.replace(manifest.find("\"complete\""), 10, "\"running\"");
  std::ofstream(cut / "manifest.json", std::ios::trunc) << manifest;
  sweep(cut, 1, /*resume=*/true);
  CHECK(read_text(cut / "runs.csv") == read_text(whole / "runs.csv"));
  CHECK(read_text(cut / "curves.csv") == read_text(whole / "curves.csv"));
  fs::remove_all(whole);
  fs::remove_all(cut);
}

TEST_CASE("resuming into a directory of another spec is refused") {
  fs::path dir = scratch("other");
  sweep(dir, 2);
  CpuBackend backend(1);
  std::string other = kSpec + "[model]\nrank = 2\n";
  CHECK_THROWS_AS(run_sweep(parse_sweep_spec(other, "o.toml"), {dir, true, {}, {}}, {&backend}, [](const SweepProgress&) {}),
                  InputError);
  fs::remove_all(dir);
}

TEST_CASE("analysis pieces: least squares") {
  CHECK(least_squares_slope({0, 1, 2, 3}, {1, -0.5, -2, -3.5}) == doctest::Approx(-1.5));
}

TEST_CASE("analysis recovers known slopes from synthetic runs, each held against the bound its criterion sees") {
  // Loss(η, n) = exp((log η − log η*(n))²) with η*(n) = 0.5·n^-3/4, plus seed noise in log η*;
  // the loss edge 1.5 above it in log η, and s·Z_B's RMS = 100·η / (0.2·n^-1/2), so that the
  // internal criterion (RMS ≤ 100) holds up to 0.2·n^-1/2.
  SweepSpec spec = parse_sweep_spec(
      "[sweep]\nwidths = [64, 128, 256, 512, 1024]\nseeds = 6\nschemes = [\"A\"]\n"
      "[learning_rate]\nmin = 1e-5\nmax = 1\nper_decade = 8\n[analysis]\nbootstrap = 400\n",
      "synthetic.toml");
  std::vector<RunRow> rows;
  std::size_t id = 0;
  for (int width : spec.widths)
    for (auto seed : spec.seeds) {
      double noise = 0.05 * (static_cast<double>((seed * 7 + static_cast<std::uint64_t>(width)) % 5) - 2);
      double log_optimum = std::log(0.5) - 0.75 * std::log(static_cast<double>(width)) + noise;
      for (double lr : spec.learning_rates) {
        double loss = std::exp(std::pow(std::log(lr) - log_optimum, 2));
        bool diverged = std::log(lr) > log_optimum + 1.5;  // the stability edge sits 1.5 above the optimum
        const double rms = 100 * lr / (0.2 / std::sqrt(static_cast<double>(width)) * std::exp(noise));
        RunRow row{id++, "A", width, seed, lr, lr, 10.0, diverged ? INFINITY : loss, loss, loss, loss, diverged, diverged ? 1 : 0};
        for (int h : spec.training.horizons) row.horizons.push_back({h, diverged ? INFINITY : 10.0, diverged ? INFINITY : rms});
        rows.push_back(row);
      }
    }
  nlohmann::json summary = analyse_runs(rows, spec);
  const auto& slopes = summary["schemes"][0]["slopes"];
  CHECK(slopes["optimal"]["slope"].get<double>() == doctest::Approx(-0.75).epsilon(0.03));
  CHECK(slopes["optimal"]["interval"][0].get<double>() <= -0.75);
  CHECK(slopes["optimal"]["interval"][1].get<double>() >= -0.75);
  CHECK(slopes["optimal"]["verdict_network"] == "agrees");  // the engine's -3/4 for Init[A] with a standard readout
  CHECK(slopes["optimal"]["verdict_module"] == "departs");  // and not the module's -1/2
  // The maximal stable η follows the same line, up to the grid's resolution (1/8 decade).
  CHECK(slopes["max_stable"]["slope"].get<double>() == doctest::Approx(-0.75).epsilon(0.08));
  CHECK(summary["schemes"][0]["engine_max_stable_exponent"]["network"]["exact"] == "-3/4");
  // The loss criteria are held against "f bounded" (-3/4 here), the internal one against
  // "Z_B bounded" (-1/2), not both against the smaller of the two.
  CHECK(slopes["max_stable"]["bound"] == "f bounded");
  CHECK(slopes["max_stable"]["engine"]["exact"] == "-3/4");
  const auto& stability = summary["schemes"][0]["stability"];
  REQUIRE(stability.size() == 6);  // output and internal at horizons 10, 100 and 1000
  for (const auto& s : stability) {
    CAPTURE(s["criterion"]);
    const bool internal = s["criterion"] == "internal";
    CHECK(s["slope"]["bound"] == (internal ? "Z_B bounded" : "f bounded"));
    CHECK(s["slope"]["engine"]["exact"] == (internal ? "-1/2" : "-3/4"));
    CHECK(s["slope"]["slope"].get<double>() == doctest::Approx(internal ? -0.5 : -0.75).epsilon(0.1));
    CHECK(s["slope"]["verdict_network"] == "agrees");
    CHECK(s["slope"]["finite_width"]["local"].size() == 4);
    // The internal edge read at 10, 100 and 1000 from the same runs: s·Z_B's bound comes
    // first at 10 and 100 (−1/2); at 1000 the loss edge does (−3/4). A slope the threshold
    // decides, and summary.json says so.
    if (!internal) continue;
    const auto& thresholds = s["slope"]["thresholds"];
    REQUIRE(thresholds.size() == 3);
    const double expected[] = {-0.5, -0.5, -0.75};
    for (std::size_t t = 0; t < 3; ++t) {
      CHECK(thresholds[t]["internal_bound"].get<double>() == doctest::Approx(10 * std::pow(10, t)));
      CHECK(thresholds[t]["slope"].get<double>() == doctest::Approx(expected[t]).epsilon(0.1));
    }
    CHECK(thresholds[1]["slope"] == s["slope"]["slope"]);  // the spec's own threshold, 100
    CHECK(s["slope"]["changes_with_threshold"] == true);
  }
  // The loss is an exact parabola in log η: half and twice the window give the same slope.
  const auto& window = slopes["optimal"]["window_sensitivity"];
  CHECK(window["half_window_slope"].get<double>() == doctest::Approx(slopes["optimal"]["slope"].get<double>()).epsilon(1e-9));
  CHECK(window["spread"].get<double>() < 1e-9);
  CHECK_FALSE(slopes["max_stable"].contains("window_sensitivity"));
  CHECK_FALSE(slopes["max_stable"].contains("thresholds"));
}

namespace {

// Four widths × 4 seeds of Init[A], 8 rates per decade: rows whose log loss at each
// (width, seed, rate) is `log_loss`. Most are the exact parabola of η*(n) = 0.5·n^-3/4,
// where the optimum's estimate is exact.
SweepSpec four_widths_four_seeds() {
  return parse_sweep_spec(
      "[sweep]\nwidths = [64, 128, 256, 512]\nseeds = 4\nschemes = [\"A\"]\nsteps = 10\n"
      "[learning_rate]\nmin = 1e-5\nmax = 1\nper_decade = 8\n[analysis]\nbootstrap = 400\n",
      "four-widths.toml");
}
double parabola_around_optimum(int width, double lr) {
  const double log_optimum = std::log(0.5) - 0.75 * std::log(static_cast<double>(width));
  return std::pow(std::log(lr) - log_optimum, 2);
}
std::vector<RunRow> rows_with_log_loss(const SweepSpec& spec, const std::function<double(int width, std::uint64_t seed, double lr)>& log_loss) {
  std::vector<RunRow> rows;
  for (const auto& c : enumerate_configurations(spec)) {
    RunRow row{c.id, c.scheme, c.width, c.seed, c.lr_A, c.lr_B, 1e9, std::exp(log_loss(c.width, c.seed, c.lr_A)), 1, 1, 1, false};
    for (int h : spec.training.horizons) row.horizons.push_back({h, 1, 1});
    rows.push_back(row);
  }
  return rows;
}
// The resamples of the analysis's own bootstrap that draw only seeds 0 and 1 at width 128.
std::size_t resamples_of_seeds_0_and_1_at_128(const SeedBootstrap& bootstrap) {  // width 128: index 1
  std::size_t count = 0;
  for (const auto& resample : bootstrap.resamples)
    count += std::all_of(resample[1].begin(), resample[1].end(), [](std::size_t s) { return s < 2; });
  return count;
}

}  // namespace

TEST_CASE("a replicate whose optimum lies at the grid's edge (only a bound) is left out of the slope, and counted") {
  // η*(n) = 0.5·n^-3/4 except at width 128, where seeds 0 and 1 have their least loss at
  // the grid's smallest rate. A resample that draws only those two seeds there has its
  // optimum at the grid's edge: a bound, not an estimate.
  const SweepSpec spec = four_widths_four_seeds();
  const std::vector<RunRow> rows = rows_with_log_loss(spec, [](int width, std::uint64_t seed, double lr) {
    return width == 128 && seed < 2 ? 0.01 * std::log(lr / 1e-5) : parabola_around_optimum(width, lr);
  });
  const SeedBootstrap bootstrap = bootstrap_over_seeds(spec.widths.size(), 1, spec.seeds.size(), spec.analysis.bootstrap, "bootstrap");
  const std::size_t only_edge_seeds = resamples_of_seeds_0_and_1_at_128(bootstrap);
  REQUIRE(only_edge_seeds > 0);
  const SlopeSummary slope = analyse_runs(rows, spec).arms[0].optimal_slope;
  CHECK(slope.points_used == std::vector<int>{64, 128, 256, 512});  // every seed together: inside the grid
  CHECK(slope.left_out.at_grid_edge == only_edge_seeds);
  CHECK(slope.stand_ins.flat == 0);
  CHECK(slope.stand_ins.clamped == 0);
  CHECK(slope.left_out.no_estimate == 0);
  CHECK(slope.resamples_used == bootstrap.resamples.size() - only_edge_seeds);
  const nlohmann::json json = nlohmann::json(analyse_runs(rows, spec))["schemes"][0]["slopes"]["optimal"];
  CHECK(json["left_out"]["at_grid_edge"] == only_edge_seeds);
}

TEST_CASE("a replicate whose optimum is flat at one width is kept in the slope's interval, and counted as a stand-in") {
  // η*(n) = 0.5·n^-3/4 except at width 128, where seeds 0 and 1 have a plateau, slightly
  // concave, at the rates within a factor e of η*. A resample that draws only those two
  // seeds there has a flat optimum at 128 (the plateau's middle): the estimator's answer,
  // kept.
  const SweepSpec spec = four_widths_four_seeds();
  const std::vector<RunRow> rows = rows_with_log_loss(spec, [](int width, std::uint64_t seed, double lr) {
    const double parabola = parabola_around_optimum(width, lr);
    return width == 128 && seed < 2 && parabola < 1 ? 1 - 0.01 * parabola : parabola;
  });
  const SeedBootstrap bootstrap = bootstrap_over_seeds(spec.widths.size(), 1, spec.seeds.size(), spec.analysis.bootstrap, "bootstrap");
  const std::size_t only_flat_seeds = resamples_of_seeds_0_and_1_at_128(bootstrap);
  REQUIRE(only_flat_seeds > 0);
  const SlopeSummary slope = analyse_runs(rows, spec).arms[0].optimal_slope;
  CHECK(slope.stand_ins.flat == only_flat_seeds);
  CHECK(slope.left_out.at_grid_edge + slope.left_out.no_estimate == 0);
  CHECK(slope.resamples_used == bootstrap.resamples.size());
  REQUIRE(slope.interval.has_value());
  CHECK(slope.interval->low < *slope.slope);
  CHECK(slope.interval->high > *slope.slope);
}

TEST_CASE("teachers are resampled once for every width: a teacher's shift of η* moves each width's interval, not the slope") {
  // log η*(n) = log 0.5 − 3/4 log n + c_k, the shift c_k = −0.3, 0, 0.3 of teacher k the
  // same at every width; no seed noise, and the log loss exactly quadratic in log η, so
  // that an estimate is the mean of its replicates' log η*. Drawn once per resample for
  // every width, the teachers shift every width alike: each resample's slope is −3/4
  // exactly, while each width's optimum moves with the teachers drawn (a mean of three
  // draws is −0.2 or less with probability 4/27, beyond the 2.5% quantile). Teachers
  // drawn at each width apart would scatter the slope; teachers never resampled would
  // leave each width's interval a point.
  const SweepSpec spec = parse_sweep_spec(
      "[sweep]\nwidths = [64, 128, 256, 512, 1024]\nseeds = 2\nschemes = [\"A\"]\n"
      "[learning_rate]\nmin = 1e-5\nmax = 1\nper_decade = 8\n[data]\nteachers = 3\n[analysis]\nbootstrap = 400\n",
      "synthetic.toml");
  const std::array<double, 3> shift = {-0.3, 0, 0.3};
  std::vector<RunRow> rows;
  std::size_t id = 0;
  for (int teacher = 0; teacher < spec.teachers; ++teacher)
    for (int width : spec.widths)
      for (auto seed : spec.seeds)
        for (double lr : spec.learning_rates) {
          const double log_optimum = std::log(0.5) - 0.75 * std::log(static_cast<double>(width)) + shift[static_cast<std::size_t>(teacher)];
          const double loss = std::exp(std::pow(std::log(lr) - log_optimum, 2));
          RunRow row{id++, "A", width, seed, lr, lr, 10.0, loss, loss, loss, loss, false, 0};
          row.teacher = teacher;
          for (int h : spec.training.horizons) row.horizons.push_back({h, 10.0, 1.0});
          rows.push_back(row);
        }
  const nlohmann::json summary = analyse_runs(rows, spec);
  const auto& optimal = summary["schemes"][0]["slopes"]["optimal"];
  CHECK(optimal["slope"].get<double>() == doctest::Approx(-0.75).epsilon(1e-9));
  CHECK(optimal["interval"][0].get<double>() == doctest::Approx(-0.75).epsilon(1e-9));
  CHECK(optimal["interval"][1].get<double>() == doctest::Approx(-0.75).epsilon(1e-9));
  for (const auto& w : summary["schemes"][0]["widths"]) {
    const double optimum = 0.5 * std::pow(w["width"].get<double>(), -0.75);
    CAPTURE(w["width"]);
    CHECK(w["optimal_lr"].get<double>() == doctest::Approx(optimum).epsilon(1e-9));
    CHECK(w["optimal_lr_interval"][0].get<double>() < std::exp(-0.15) * optimum);
    CHECK(w["optimal_lr_interval"][1].get<double>() > std::exp(0.15) * optimum);
  }
}

TEST_CASE("finite width: a slope that moves towards the engine's exponent as n grows is converging, and γ∞ finds the exponent") {
  // The optimum η*(n) = n^-3/4·(1 + 8/√n): far from -3/4 at small widths, close at large.
  SweepSpec spec = parse_sweep_spec(
      "[sweep]\nwidths_log2 = [4, 13]\nseeds = 4\nschemes = [\"A\"]\nsteps = 10\n"
      "[learning_rate]\nmin = 1e-5\nmax = 1\nper_decade = 8\n[analysis]\nbootstrap = 200\n",
      "approach.toml");
  std::vector<RunRow> rows;
  for (const auto& c : enumerate_configurations(spec)) {
    const double n = c.width;
    const double log_optimum = -0.75 * std::log(n) + std::log(1 + 8 / std::sqrt(n)) + 0.01 * static_cast<double>(c.seed);
    const double loss = std::exp(std::pow(std::log(c.lr_A) - log_optimum, 2));
    RunRow row{c.id, c.scheme, c.width, c.seed, c.lr_A, c.lr_B, 1e9, loss, loss, loss, loss, false};
    for (int h : spec.training.horizons) row.horizons.push_back({h, loss, 1});
    rows.push_back(row);
  }
  const nlohmann::json slope = nlohmann::json(analyse_runs(rows, spec))["schemes"][0]["slopes"]["optimal"];
  CAPTURE(slope);
  CHECK(slope["verdict_network"] == "departs");
  CHECK(slope["finite_width"]["verdict"] == "converging");
  CHECK(slope["finite_width"]["change"].get<double>() > 0);  // the slope climbs towards -3/4 from below
  CHECK(slope["finite_width"]["change_interval"][0].get<double>() > 0);
  // The corrected power law: γ∞ at -3/4 with the correction's δ = 1/2, better by Akaike than the line.
  const auto& infinite = slope["infinite_width"];
  CHECK(infinite["gamma"].get<double>() == doctest::Approx(-0.75).epsilon(0.05));
  CHECK(infinite["delta"] == 0.5);
  CHECK(infinite["aic_corrected"].get<double>() < infinite["aic_power_law"].get<double>());
  CHECK(infinite["verdict"] != "departs");
  CHECK(slope["finite_width"]["large_widths"] == nlohmann::json{512, 1024, 2048, 4096, 8192});
  CHECK(slope["finite_width"]["large_width_slope"].get<double>() == doctest::Approx(-0.75).epsilon(0.15));
  CHECK(slope["finite_width"]["local"].size() == 9);
  // The local slopes climb towards -3/4 from below.
  CHECK(slope["finite_width"]["local"][0]["slope"].get<double>() < slope["finite_width"]["local"][8]["slope"].get<double>());
}

TEST_CASE("a trainer that trains two groups at once gets two at once, and the rows of one at a time") {
  fs::path single = scratch("one-at-a-time"), doubled = scratch("two-at-once");
  sweep(single, 1);
  TwoAtOnce trainer;
  run_sweep(parse_sweep_spec(kSpec, "spec.toml"), {doubled, false, {}, {}}, {&trainer}, [](const SweepProgress&) {});
  CHECK(trainer.most_in_flight() == 2);
  CHECK(read_text(doubled / "runs.csv") == read_text(single / "runs.csv"));
  CHECK(read_text(doubled / "curves.csv") == read_text(single / "curves.csv"));
  for (const auto& dir : {single, doubled}) fs::remove_all(dir);
}

TEST_CASE("work is balanced by FLOPs: the paper's figure 2 groups split evenly over two parts") {
  SweepSpec spec = parse_sweep_spec(
      "[sweep]\nwidths = [128, 256, 512, 1024, 2048, 4096, 8192]\nseeds = 4\nschemes = [\"A\", \"B\"]\n"
      "[learning_rate]\nmin = 1e-5\nmax = 1e-1\nper_decade = 8\n",
      "fig2.toml");
  auto groups = group_configurations(spec, enumerate_configurations(spec));
  REQUIRE(groups.size() == 28);
  CHECK(groups.front().members.size() == 66);
  CHECK(groups.front().flops == doctest::Approx(66 * 1000 * lora_step_flops(1000, 128, 4)));
  CHECK(groups.back().flops == doctest::Approx(64 * groups.front().flops));  // 2^13 against 2^7
  auto load = [&](const std::vector<std::size_t>& part) {
    double sum = 0;
    for (auto g : part) sum += groups[g].flops;
    return sum;
  };
  auto two = balance_by_flops(groups, 2);
  CHECK(load(two[0]) == doctest::Approx(load(two[1])));
  CHECK(two[0].size() == 14);
  // Three parts: 4·(64 + 32 + … + 1) = 508 units of a 2^7 group cannot split evenly;
  // the parts come within one unit of each other (169, 169, 170).
  auto three = balance_by_flops(groups, 3);
  std::vector<double> units;
  std::size_t count = 0;
  for (const auto& part : three) {
    units.push_back(load(part) / groups.front().flops);
    count += part.size();
  }
  std::sort(units.begin(), units.end());
  CHECK(units == std::vector<double>{169, 169, 170});
  CHECK(count == 28);
}

TEST_CASE("the rank and the multiplier are axes: each configuration trains its own, a group shares one of each") {
  const SweepSpec spec = parse_sweep_spec(
      "[sweep]\nwidths = [64, 128]\nseeds = 2\nschemes = [\"A\", \"B\"]\nsteps = 10\n[learning_rate]\nvalues = [0.01, 0.1]\n"
      "[model]\nrank = [2, 8]\nmultiplier = [\"lora\", \"rslora\"]\nalpha = 1\n",
      "rank.toml");
  const auto all = enumerate_configurations(spec);
  REQUIRE(all.size() == spec.configuration_count());
  // Width, seed, readout, rank, multiplier, scheme, rate: the rank changes every 8 ids.
  CHECK(all[7].rank == 2);
  CHECK(all[8].rank == 8);
  CHECK(all[3].multiplier == "lora");
  CHECK(all[4].multiplier == "rslora");
  const TrainSpec trained = train_spec_of(spec, all[12]);  // rank 8, rsLoRA
  CHECK(trained.rank == 8);
  CHECK(trained.multiplier_exponent == 0.5);
  CHECK(adapter_scale(trained) == doctest::Approx(1 / std::sqrt(8.0)));
  const auto groups = group_configurations(spec, all);
  REQUIRE(groups.size() == 2 * 2 * 2 * 2);  // widths, seeds, ranks, multipliers
  for (const auto& group : groups)
    for (const auto& c : group.members) {
      CHECK(c.rank == group.rank);
      CHECK(c.multiplier == group.multiplier);
    }
  // A group's FLOPs are its rank's: N·n·(10r + 5) per step.
  CHECK(groups[0].flops == doctest::Approx(4 * 10 * lora_step_flops(1000, 64, 2)));
  CHECK(groups[2].flops == doctest::Approx(4 * 10 * lora_step_flops(1000, 64, 8)));
  // The adapter's memory grows with the rank: 8·n·r + 3·N·r doubles per worker more.
  const double n = 64, rows = 1000 + 100;
  CHECK(cpu_memory_bytes(spec, 64, 256).per_worker - cpu_memory_bytes(spec, 64, 2).per_worker ==
        doctest::Approx((8 * n + 3 * rows) * 254 * sizeof(double)));
  CHECK(cpu_memory_bytes(spec, 64, 256).student == cpu_memory_bytes(spec, 64, 2).student);
}

TEST_CASE("a directory is marked complete only when its rows pass every reader's checks") {
  const SweepSpec spec = parse_sweep_spec(kSpec, "spec.toml");
  const std::vector<Configuration> plan = enumerate_configurations(spec);
  auto result_of = [&](double final_loss) {
    TrainResult r;
    r.initial_train_loss = r.max_train_loss = 1;
    r.final_train_loss = r.final_test_loss = r.mean_last_train = final_loss;
    r.steps_done = spec.training.steps;
    for (int h : spec.training.horizons) r.horizons.push_back({h, 1, 0});
    return r;
  };
  auto status_of = [](const fs::path& directory) {
    return nlohmann::json::parse(read_text(directory / "manifest.json"))["status"].get<std::string>();
  };
  // A NaN loss (what σ beyond a double's range once wrote) is refused at completion.
  const fs::path with_nan = scratch("complete-nan");
  {
    ResultDirectory directory(with_nan, false, manifest_of(spec, {with_nan, false, {}, {}}, "test"));
    for (const auto& c : plan) directory.record(rows_of(c, result_of(c.id == 3 ? NAN : 0.5)));
    CHECK_THROWS_WITH_AS(directory.complete(1), doctest::Contains(":5: column 'final_train_loss': nan is out of range"), InputError);
  }
  CHECK(status_of(with_nan) == "running");
  // So is a plan with a configuration left out.
  const fs::path short_of_one = scratch("complete-short");
  {
    ResultDirectory directory(short_of_one, false, manifest_of(spec, {short_of_one, false, {}, {}}, "test"));
    for (const auto& c : plan)
      if (c.id != 7) directory.record(rows_of(c, result_of(0.5)));
    CHECK_THROWS_WITH_AS(directory.complete(1),
                         doctest::Contains("23 rows, but the plan of the manifest's spec has 24 configurations (24 of the grid) and the "
                                           "manifest says complete: 1 missing (configuration 7)"),
                         InputError);
  }
  CHECK(status_of(short_of_one) == "running");
  fs::remove_all(with_nan);
  fs::remove_all(short_of_one);
}

TEST_CASE("shards: --shard is i/k with 1 <= i <= k, and the shards of a spec cover it once") {
  CHECK(parse_shard("2/3").index == 2);
  CHECK(parse_shard("2/3").count == 3);
  for (const char* bad : {"0/2", "3/2", "2", "a/b", "1/0", "1/2x", "/2", ""}) CHECK_THROWS_AS(parse_shard(bad), InputError);
  SweepSpec spec = parse_sweep_spec(kSpec, "spec.toml");
  std::set<std::size_t> seen;
  std::size_t total = 0;
  for (int i = 1; i <= 3; ++i)
    for (const auto& c : configurations_of_shard(spec, {i, 3})) {
      seen.insert(c.id);
      ++total;
    }
  CHECK(total == spec.configuration_count());
  CHECK(seen.size() == spec.configuration_count());
}

TEST_CASE("a sweep split over two trainers, or into two shards merged, writes the rows of one process") {
  fs::path single = scratch("single"), shared = scratch("shared"), one = scratch("shard1"), two = scratch("shard2"), merged = scratch("merged");
  sweep(single, 1);
  sweep(shared, 1, false, {}, 2);
  CHECK(read_text(shared / "runs.csv") == read_text(single / "runs.csv"));
  CHECK(read_text(shared / "curves.csv") == read_text(single / "curves.csv"));
  CHECK(read_text(shared / "manifest.json").find("2 × cpu (1 thread)") != std::string::npos);

  sweep(two, 1, false, {2, 2});
  CHECK_THROWS_WITH_AS(merge_shards({two}, merged), doctest::Contains("shard 1/2 missing"), InputError);
  CHECK_THROWS_WITH_AS(merge_shards({single, two}, merged), doctest::Contains("is a whole sweep, not a shard"), InputError);
  CHECK_THROWS_WITH_AS(sweep(two, 1, true, {1, 2}), doctest::Contains("holds shard 2/2"), InputError);
  sweep(one, 2, false, {1, 2});
  CHECK(read_text(one / "runs.csv") != read_text(two / "runs.csv"));
  CHECK_THROWS_WITH_AS(merge_shards({one, two, one}, merged), doctest::Contains("given twice"), InputError);
  merge_shards({two, one}, merged);
  CHECK(read_text(merged / "runs.csv") == read_text(single / "runs.csv"));
  CHECK(read_text(merged / "curves.csv") == read_text(single / "curves.csv"));
  CHECK(manifest_without_how(merged) == manifest_without_how(single));

  // A part of another spec is refused, naming it.
  fs::path other = scratch("other-shard");
  std::string other_spec = kSpec + "[model]\nrank = 2\n";
  CpuBackend backend(1);
  run_sweep(parse_sweep_spec(other_spec, "o.toml"), {other, false, {}, {1, 2}}, {&backend}, [](const SweepProgress&) {});
  CHECK_THROWS_WITH_AS(merge_shards({other, two}, scratch("refused")), doctest::Contains("spec_hash"), InputError);
  for (const auto& dir : {single, shared, one, two, merged, other}) fs::remove_all(dir);
}

TEST_CASE("teachers: teacher 0 is the data set of one teacher, the others their own, each the same in every run") {
  const SweepSpec spec = parse_sweep_spec(kThreeTeachers, "spec.toml");
  const std::vector<Dataset> a = make_teacher_datasets(spec.data, spec.teachers), b = make_teacher_datasets(spec.data, spec.teachers);
  REQUIRE(a.size() == 3);
  const Dataset one = make_teacher_dataset(spec.data);
  CHECK(a[0].X_train == one.X_train);
  CHECK(a[0].y_train == one.y_train);
  CHECK(a[0].y_test == one.y_test);
  CHECK(seed_under_teacher(17, 0) == 17);
  CHECK(seed_under_teacher(17, 1) != 17);
  CHECK(seed_under_teacher(17, 1) != seed_under_teacher(17, 2));
  for (std::size_t k : {1, 2}) {
    CAPTURE(k);
    CHECK(a[k].X_train == b[k].X_train);
    CHECK(a[k].y_train == b[k].y_train);
    CHECK(a[k].X_train.rows() == one.X_train.rows());
    CHECK((a[k].X_train - a[0].X_train).norm() > 1);
    CHECK((a[k].y_train - a[0].y_train).norm() > 0.1);
  }
  CHECK((a[2].y_train - a[1].y_train).norm() > 0.1);
}

TEST_CASE("teachers: a sweep of three holds the sweep of one as teacher 0, counts rows per teacher, resumes and merges") {
  fs::path one = scratch("teacher-one"), three = scratch("teachers-three"), cut = scratch("teachers-cut");
  sweep(one, 2);
  sweep(three, 2, false, {}, 1, kThreeTeachers);
  const std::string header = read_text(three / "runs.csv").substr(0, read_text(three / "runs.csv").find('\n'));
  CHECK(header.rfind("id,scheme,width,teacher,seed,", 0) == 0);
  // Teacher 0 trains exactly what a sweep of one teacher trains, row for row, ids included.
  const std::vector<std::string> of_one = rows_of_file(one / "runs.csv"), of_three = rows_of_file(three / "runs.csv");
  REQUIRE(of_three.size() == 3 * of_one.size());
  CHECK(std::vector<std::string>(of_three.begin(), of_three.begin() + static_cast<std::ptrdiff_t>(of_one.size())) == of_one);

  const SweepSpec spec = parse_sweep_spec(kThreeTeachers, "spec.toml");
  std::vector<RunRow> rows = read_runs(three / "runs.csv");
  std::map<int, int> per_teacher;
  // The initial loss of each (scheme, width, seed, rate) under each teacher: the
  // teachers' students start on data and students of their own.
  std::map<std::tuple<std::string, int, std::uint64_t, double>, std::set<double>> initial_losses;
  for (const RunRow& r : rows) {
    ++per_teacher[r.teacher];
    initial_losses[{r.scheme, r.width, r.seed, r.lr_A}].insert(r.initial_train_loss);
  }
  CHECK(per_teacher == std::map<int, int>{{0, 24}, {1, 24}, {2, 24}});
  REQUIRE(initial_losses.size() == 24);
  for (const auto& [configuration, values] : initial_losses) CHECK(values.size() == 3);
  // Each row is held against its teacher's configuration, and every teacher's rows are counted.
  check_rows_against_plan(rows, spec, {}, true, "runs.csv");
  std::vector<RunRow> wrong_teacher = rows;
  wrong_teacher[30].teacher = 2;
  CHECK_THROWS_WITH_AS(check_rows_against_plan(wrong_teacher, spec, {}, true, "runs.csv"),
                       doctest::Contains("teacher 2, rank"), InputError);
  std::vector<RunRow> missing = rows;
  missing.pop_back();
  CHECK_THROWS_WITH_AS(check_rows_against_plan(missing, spec, {}, true, "runs.csv"),
                       doctest::Contains("71 rows, but the plan of the manifest's spec has 72 configurations"), InputError);
  // Teacher 0's rows are the sweep of one teacher; the spec of one refuses the others.
  const SweepSpec spec_of_one = parse_sweep_spec(kSpec, "spec.toml");
  std::vector<RunRow> of_teacher_0 = rows;
  std::erase_if(of_teacher_0, [](const RunRow& r) { return r.teacher > 0; });
  CHECK(nlohmann::json(analyse_runs(of_teacher_0, spec_of_one)) == nlohmann::json(analyse_runs(read_runs(one / "runs.csv"), spec_of_one)));
  CHECK_THROWS_WITH_AS(analyse_runs(rows, spec_of_one), doctest::Contains("teacher 1"), InputError);
  CHECK(analyse_runs(rows, spec).runs_used == 72);

  // Interrupted in teacher 1's rows and resumed: the same directory.
  sweep(cut, 2, false, {}, 1, kThreeTeachers);
  std::string runs = read_text(cut / "runs.csv");
  std::size_t end = 0;
  for (int line = 0; line < 31; ++line) end = runs.find('\n', end) + 1;
  std::ofstream(cut / "runs.csv", std::ios::trunc) << runs.substr(0, end);
  std::string manifest = read_text(cut / "manifest.json");
  manifest.replace(manifest.find("\"complete\""), 10, "\"running\"");
  std::ofstream(cut / "manifest.json", std::ios::trunc) << manifest;
  sweep(cut, 1, true, {}, 1, kThreeTeachers);
  CHECK(read_text(cut / "runs.csv") == read_text(three / "runs.csv"));

  // Shards of three teachers merged: the rows of one process.
  fs::path first = scratch("teachers-shard1"), second = scratch("teachers-shard2"), merged = scratch("teachers-merged");
  sweep(first, 1, false, {1, 2}, 1, kThreeTeachers);
  sweep(second, 1, false, {2, 2}, 1, kThreeTeachers);
  merge_shards({first, second}, merged);
  CHECK(read_text(merged / "runs.csv") == read_text(three / "runs.csv"));
  for (const auto& dir : {one, three, cut, first, second, merged}) fs::remove_all(dir);
}
