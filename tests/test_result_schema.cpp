// The typed result files: runs.csv read by header name, summary.json to and from its
// structs, the spec kept as data in the manifest, and runs matched to the grid by id.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <tuple>

#include "gamma/input_error.hpp"
#include "result_files.hpp"
#include "gamma/scheme.hpp"
#include "sim/analysis/analysis.hpp"
#include "sim/analysis/prediction.hpp"
#include "sim/sweep/manifest.hpp"
#include "sim/sweep/result_schema.hpp"
#include "sim/analysis/summary.hpp"
#include "sim/analysis/results_view.hpp"
#include "sim/sweep/sweep.hpp"

using namespace gammalab;
using namespace gammalab::sim;
namespace fs = std::filesystem;

namespace {

RunRow row(std::size_t id, double loss) {
  return {id,   "inilora-alpha", 64,          3, 0.1, 0.2, 1.5, loss, 1.0 / 3, 0.25, 7e300, false, 0, 20, 1e-17, 0.001,
          Readout::MuP, 16, "3/4", 2, {{10, 1.25, 0.5}, {20, 7e300, INFINITY}}, 2};
}

const std::vector<int> kHorizons = {10, 20};

fs::path write_csv(const std::string& name, const std::string& text) {
  fs::path path = scratch(name);
  std::ofstream(path) << text;
  return path;
}

void check_same(const RunRow& a, const RunRow& b) {
  CHECK(runs_line(a) == runs_line(b));
  CHECK(a.id == b.id);
  CHECK(a.scheme == b.scheme);
  CHECK(a.final_test_loss == b.final_test_loss);
  CHECK(a.init_sigma == b.init_sigma);
  CHECK(a.readout == b.readout);
  CHECK(a.rank == b.rank);
  CHECK(a.multiplier == b.multiplier);
  CHECK(a.round == b.round);
  CHECK(a.teacher == b.teacher);
  REQUIRE(a.horizons.size() == b.horizons.size());
  for (std::size_t h = 0; h < a.horizons.size(); ++h) {
    CHECK(a.horizons[h].step == b.horizons[h].step);
    CHECK(a.horizons[h].max_train_loss == b.horizons[h].max_train_loss);
    CHECK(a.horizons[h].rms_Z_B == b.horizons[h].rms_Z_B);
  }
}

const std::string kSpec =
    "[sweep]\nwidths = [16, 32]\nseeds = 2\nschemes = [\"A\", \"B\"]\nsteps = 30\n"
    "[learning_rate]\nvalues = [0.1, 0.001, 0.01]\n[data]\ntrain_size = 64\ntest_size = 16\nteacher_width = 64\n";

}  // namespace

TEST_CASE("runs.csv: the header of schema 4, and rows that read back exactly") {
  CHECK(runs_header(kHorizons) ==
        "id,scheme,width,teacher,seed,lr_A,lr_B,initial_train_loss,final_train_loss,final_test_loss,mean_last_train_loss,"
        "max_train_loss,diverged,diverged_step,steps_done,fit_residual,init_sigma,readout,rank,multiplier,round,"
        "max_train_loss_at_10,rms_Z_B_at_10,max_train_loss_at_20,rms_Z_B_at_20");
  RunRow diverged = row(1, INFINITY);
  diverged.diverged = true;
  diverged.diverged_step = 12;
  const fs::path path = write_csv("runs.csv", runs_header(kHorizons) + "\n" + runs_line(row(0, 0.1)) + runs_line(diverged));
  auto rows = read_runs(path);
  REQUIRE(rows.size() == 2);
  check_same(rows[0], row(0, 0.1));
  check_same(rows[1], diverged);
  CHECK(std::isinf(rows[1].final_train_loss));
  CHECK(rows[1].diverged);
  CHECK(rows[1].diverged_step == 12);
  fs::remove(path);
}

TEST_CASE("runs.csv is read by header name, and a wrong header names the file and the column") {
  // The same two rows with the columns in another order.
  const std::string line = runs_line(row(5, 0.1));
  std::vector<std::string> names, cells;
  for (std::stringstream in(runs_header(kHorizons)); in.good();) names.emplace_back(), std::getline(in, names.back(), ',');
  for (std::stringstream in(line.substr(0, line.size() - 1)); in.good();) cells.emplace_back(), std::getline(in, cells.back(), ',');
  std::string header, reversed;
  for (std::size_t i = names.size(); i-- > 0;) {
    header += names[i] + (i ? "," : "\n");
    reversed += cells[i] + (i ? "," : "\n");
  }
  const fs::path shuffled = write_csv("shuffled.csv", header + reversed);
  auto rows = read_runs(shuffled);
  REQUIRE(rows.size() == 1);
  check_same(rows[0], row(5, 0.1));

  std::string no_sigma = runs_header(kHorizons);
  no_sigma.erase(no_sigma.find("init_sigma,"), 11);
  const fs::path missing = write_csv("missing.csv", no_sigma + "\n");
  CHECK_THROWS_WITH_AS(read_runs(missing), doctest::Contains((missing.string() + ": column 'init_sigma' is missing").c_str()), InputError);
  const fs::path unknown = write_csv("unknown.csv", runs_header(kHorizons) + ",colour\n");
  CHECK_THROWS_WITH_AS(read_runs(unknown), doctest::Contains((unknown.string() + ": column 'colour' is not a runs.csv column").c_str()), InputError);
  const fs::path twice = write_csv("twice.csv", runs_header(kHorizons) + ",width\n");
  const fs::path half_horizon = write_csv("half.csv", runs_header(kHorizons) + ",rms_Z_B_at_30\n");
  CHECK_THROWS_WITH_AS(read_runs(half_horizon), doctest::Contains("horizon 30 has only one of its columns"), InputError);
  const fs::path bad_readout = write_csv("readout.csv", runs_header(kHorizons) + "\n" + [] {
    std::string line = runs_line(row(0, 0.1));
    line.replace(line.find(",mup,"), 5, ",ntk,");
    return line;
  }());
  CHECK_THROWS_WITH_AS(read_runs(bad_readout), doctest::Contains(":2: column 'readout': 'ntk'"), InputError);
  // A multiplier is written by its name: "0.75" is κ = 3/4 but not as a sweep writes it.
  for (const char* multiplier : {"0.75", "dora", "-1"}) {
    std::string line = runs_line(row(0, 0.1));
    line.replace(line.find(",3/4,"), 5, std::string(",") + multiplier + ",");
    const fs::path bad_multiplier = write_csv("multiplier.csv", runs_header(kHorizons) + "\n" + line);
    CAPTURE(multiplier);
    const std::string named = ":2: column 'multiplier': '" + std::string(multiplier) + "' is not a multiplier's name";
    CHECK_THROWS_WITH_AS(read_runs(bad_multiplier), doctest::Contains(named.c_str()), InputError);
    fs::remove(bad_multiplier);
  }
  CHECK_THROWS_WITH_AS(read_runs(twice), doctest::Contains("column 'width' appears twice"), InputError);
  std::string bad = runs_line(row(0, 0.1));
  bad.replace(bad.find(",64,"), 4, ",6x4,");
  const fs::path malformed = write_csv("malformed.csv", runs_header(kHorizons) + "\n" + runs_line(row(0, 0.1)) + bad);
  CHECK_THROWS_WITH_AS(read_runs(malformed), doctest::Contains((malformed.string() + ":3: column 'width': '6x4'").c_str()), InputError);
  const fs::path short_row = write_csv("short.csv", runs_header(kHorizons) + "\n0,A,16\n");
  CHECK_THROWS_WITH_AS(read_runs(short_row), doctest::Contains(":2: malformed row: 3 cells, but the header has 25 columns"), InputError);
  // Values no trainer writes are refused, naming the line and the column.
  for (const auto& [from, to, column] : {std::tuple{",0.125,", ",-5,", "final_train_loss"},
                                         std::tuple{",0.125,", ",nan,", "final_train_loss"},
                                         std::tuple{",0.125,", ",inf,", "final_train_loss"},  // not diverged
                                         std::tuple{",1.5,", ",-1.5,", "initial_train_loss"},
                                         std::tuple{",16,", ",0,", "rank"}}) {
    std::string line = runs_line(row(0, 0.125));
    line.replace(line.find(from), std::string(from).size(), to);
    const fs::path out_of_range = write_csv("range.csv", runs_header(kHorizons) + "\n" + line);
    CAPTURE(to);
    const std::string named = std::string(":2: column '") + column + "'";
    CHECK_THROWS_WITH_AS(read_runs(out_of_range), doctest::Contains(named.c_str()), InputError);
    CHECK_THROWS_WITH_AS(read_runs(out_of_range), doctest::Contains("is out of range; accepted:"), InputError);
    fs::remove(out_of_range);
  }
  for (const auto& path : {shuffled, missing, unknown, twice, half_horizon, bad_readout, malformed, short_row}) fs::remove(path);
}

// A slope fitted over `points` from 399 resamples, the rest of its fields at their defaults.
SlopeSummary fitted_slope(double value, Interval interval, std::vector<int> points, std::string bound, ExactExponent engine, Verdict network,
                          Verdict module) {
  SlopeSummary s;
  s.slope = value;
  s.interval = interval;
  s.points_used = std::move(points);
  s.resamples_used = 399;
  s.bound = std::move(bound);
  s.engine = std::move(engine);
  s.verdict_network = network;
  s.verdict_module = module;
  return s;
}

TEST_CASE("summary.json: the structs write what they read") {
  SweepSummary summary;
  summary.loss_statistic = "final_train";
  summary.stable_factor = 1.5;
  summary.bootstrap_resamples = 400;
  summary.seeds = 4;
  summary.runs_used = 96;
  summary.slope_widths = {64, 128};
  ArmSummary arm;
  arm.scheme = "AB";
  arm.init_sigma = 0.01;
  arm.engine_network = ExactExponent{"-3/4", -0.75};
  WidthSummary w;
  w.width = 64;
  w.optimal = {0.01, Interval{0.005, 0.02}, false};
  w.max_stable = {std::nullopt, std::nullopt, true};
  w.best_mean_log_loss = -3.25;
  WidthSummary unestimated;
  unestimated.width = 128;
  arm.widths = {w, unestimated};
  arm.optimal_slope = fitted_slope(-0.7, {-0.8, -0.6}, {64, 128}, "stable", {"-3/4", -0.75}, Verdict::Agrees, Verdict::Departs);
  arm.optimal_slope.trend.local = {{64, 128, -0.7, Interval{-0.8, -0.6}}};
  arm.optimal_slope.trend.curvature = 0.01;
  arm.optimal_slope.trend.curvature_interval = Interval{-0.02, 0.04};
  arm.optimal_slope.trend.verdict = TrendVerdict::MovingAway;
  arm.optimal_slope.trend.evidence = "two widths";
  arm.optimal_slope.margin = 0.125;
  arm.optimal_slope.candidates = {{ExactExponent{"-1", -1}, true}, {ExactExponent{"-1/2", -0.5}, false}};
  arm.optimal_slope.infinite_width = InfiniteWidth{-0.74, Interval{-0.9, -0.6}, 0.5, 1.5, 3.0, 1.0, Verdict::Inconclusive};
  arm.optimal_slope.primary = true;
  arm.optimal_slope.holm_p = 0.3;
  arm.rank = 8;
  arm.multiplier = "rslora";
  arm.readout = Readout::MuP;
  arm.engine_Z_B_bounded = ExactExponent{"-1/2", -0.5};
  arm.stability = {StabilitySummary{Criterion::Internal, 10, {LrEstimate{0.5, Interval{0.4, 0.6}, false}, LrEstimate{}}, {}}};
  arm.stability[0].slope.bound = "Z_B bounded";
  w.optimal_lr_half_window = 0.011;
  w.optimal_flat = true;
  arm.widths.front() = w;
  summary.horizons = {10, 30};
  summary.arms = {arm};
  RankSlopes ranks;
  ranks.scheme = "B";
  ranks.multiplier = "3/4";
  ranks.width = 256;
  ranks.ranks = {1, 4, 16};
  ranks.max_stable_slope = fitted_slope(-0.4, {-0.5, -0.3}, {1, 4, 16}, "f bounded", {"-1/2", -0.5}, Verdict::Agrees, Verdict::Agrees);
  ranks.max_stable_slope.trend.local = {{1, 4, -0.3, std::nullopt}, {4, 16, -0.5, Interval{-0.6, -0.4}}};
  ranks.stability = {CriterionSlope{Criterion::Output, 10, ranks.max_stable_slope}};
  summary.rank_slopes = {ranks};
  const nlohmann::json json = summary;
  // Along the rank, a slope's keys name ranks, not widths.
  CHECK(json["rank_slopes"][0]["slopes"]["max_stable"]["ranks_used"] == nlohmann::json{1, 4, 16});
  CHECK(json["rank_slopes"][0]["slopes"]["max_stable"]["finite_rank"]["local"][1]["from_rank"] == 4);
  CHECK_FALSE(json["rank_slopes"][0]["slopes"]["max_stable"].contains("widths_used"));
  CHECK(json["rank_slopes"][0]["stability"][0]["slope"]["engine"]["exact"] == "-1/2");
  CHECK(json["rank_slopes"][0]["multiplier"] == "3/4");
  CHECK(json["schemes"][0]["rank"] == 8);
  const auto& optimal = json["schemes"][0]["slopes"]["optimal"];
  CHECK(optimal["margin"] == 0.125);
  CHECK(optimal["finite_width"]["verdict"] == "moving away");
  CHECK(optimal["finite_width"]["curvature_interval"] == nlohmann::json{-0.02, 0.04});
  CHECK(optimal["candidates"][0]["exponent"]["exact"] == "-1");
  CHECK(optimal["candidates"][0]["excluded"] == true);
  CHECK(optimal["infinite_width"]["verdict"] == "inconclusive");
  CHECK(optimal["holm_p"] == 0.3);
  CHECK(json["schemes"][0]["slopes"]["max_stable"]["infinite_width"].is_null());
  CHECK(json["schemes"][0]["multiplier"] == "rslora");
  CHECK(json["schemes"][0]["widths"][0]["optimal_lr_interval"] == nlohmann::json{0.005, 0.02});
  CHECK(json["schemes"][0]["widths"][0]["best_mean_log_loss_interval"].is_null());
  CHECK_FALSE(json["schemes"][0]["widths"][1].contains("best_mean_log_loss"));
  CHECK(json["schemes"][0]["engine_max_stable_exponent"]["module"].is_null());
  CHECK(json["schemes"][0]["slopes"]["max_stable"]["verdict_network"] == "undetermined");
  CHECK(json["schemes"][0]["slopes"]["optimal"]["verdict_module"] == "departs");
  CHECK(json["schemes"][0]["stability"][0]["criterion"] == "internal");
  CHECK(json["rank_slopes"][0]["stability"][0]["criterion"] == "output");
  CHECK(json["schemes"][0]["readout"] == "mup");
  CHECK(json["schemes"][0]["engine_bounds"]["Z_B_bounded"]["exact"] == "-1/2");
  CHECK(json["schemes"][0]["engine_bounds"]["f_bounded"].is_null());
  CHECK(json["schemes"][0]["stability"][0]["slope"]["bound"] == "Z_B bounded");
  CHECK(json["schemes"][0]["stability"][0]["widths"][1]["lr"].is_null());
  CHECK(json["schemes"][0]["slopes"]["optimal"]["finite_width"]["local"][0]["to_width"] == 128);
  CHECK(json["schemes"][0]["widths"][0]["optimal_lr_half_window"] == 0.011);
  CHECK(json["schemes"][0]["widths"][0]["optimal_lr_twice_window"].is_null());
  CHECK(nlohmann::json(json.get<SweepSummary>()) == json);
  nlohmann::json broken = json;
  broken["schemes"][0]["slopes"].erase("optimal");
  CHECK_THROWS_WITH_AS(broken.get<SweepSummary>(), doctest::Contains("optimal"), InputError);
  nlohmann::json unknown_verdict = json;
  unknown_verdict["schemes"][0]["slopes"]["optimal"]["verdict_network"] = "maybe";
  CHECK_THROWS_WITH_AS(unknown_verdict.get<SweepSummary>(), doctest::Contains("'maybe'; accepted: agrees, departs, inconclusive, undetermined"),
                       InputError);
}

TEST_CASE("the manifest keeps the spec as data: it reads back to the same spec, and hashes by content") {
  for (const auto& entry : fs::directory_iterator(fs::path(GAMMALAB_SOURCE_DIR) / "experiments")) {
    if (entry.path().extension() != ".toml") continue;  // experiments/ holds their code too
    // The MLP experiments' specs are of their own kind (sim/sweep/mlp_spec.hpp), kept in their result document.
    if (entry.path().filename().string().starts_with("mlp-")) continue;
    CAPTURE(entry.path());
    const SweepSpec spec = load_sweep_spec(entry.path().string());
    const nlohmann::json json = spec_to_json(spec);
    const SweepSpec back = spec_from_json(nlohmann::json::parse(json.dump()), "manifest.json (spec)");
    CHECK(spec_to_json(back) == json);
    CHECK(spec_hash(back) == spec_hash(spec));
    CHECK(back.configuration_count() == spec.configuration_count());
  }
  // Every key away from its default.
  const std::string every =
      "[sweep]\nname = \"all\"\nscale = \"paper\"\nwidths_log2 = [4, 6]\nseeds = [3, 5]\nschemes = [\"AB\", \"inilora-alpha\"]\n"
      "steps = 7\n[learning_rate]\nmin = 1e-3\nmax = 1e-1\nper_decade = 3\nratio = 4\n[init_sigma]\nvalues = [0.01, 1]\n"
      "[data]\ninput_dim = 3\nteacher_width = 40\nteacher_rank = 5\ntrain_size = 50\ntest_size = 9\nseed = 11\n"
      "[model]\nrank = 2\nalpha = 3.5\nreadout = \"mup\"\n"
      "[init]\nsubtract_initial = \"off\"\nsigma_A_scale = 2\nsigma_A_exponent = \"-1/4\"\nsigma_B_scale = 0.5\n"
      "sigma_B_exponent = \"-1\"\ninilora_steps = 30\n[optimizer]\nkind = \"sgd\"\nbeta1 = 0.8\nbeta2 = 0.9\nepsilon = 1e-6\n"
      "weight_decay = 0.01\n[schedule]\ndecay = \"cosine\"\nwarmup_steps = 2\nfinal_fraction = 0.1\n"
      "[training]\nbatch_size = 16\ndivergence_bound = 1e4\n[record]\ncurves = true\nevery = 3\n"
      "[analysis]\nloss = \"last_k_train\"\nlast_k = 4\nbootstrap = 77\nstable_factor = 2\nslope_widths = [32, 64]\n";
  const SweepSpec spec = parse_sweep_spec(every, "every.toml");
  const SweepSpec back = spec_from_json(nlohmann::json::parse(spec_to_json(spec).dump()), "manifest.json (spec)");
  CHECK(spec_to_json(back) == spec_to_json(spec));
  CHECK(back.widths == std::vector<int>{16, 32, 64});
  CHECK(back.learning_rates == spec.learning_rates);
  CHECK(back.init_sigmas == std::vector<double>{0.01, 1});
  CHECK(back.readouts == std::vector<Readout>{Readout::MuP});
  CHECK(back.training.optimizer.kind == Optimizer::Sgd);
  CHECK(back.training.schedule.decay == ScheduleSpec::Decay::Cosine);
  CHECK(back.training.init.subtract_initial_product == false);
  CHECK(back.training.init.sigma_B.exponent == -1);
  CHECK(back.training.record_every == 3);
  CHECK(back.analysis.slope_max_width == 64);
  CHECK(back.analysis.loss == LossStatistic::LastKTrain);
  CHECK(back.data.seed == 11);
  // Hashed by content: a comment does not change it, a key does.
  CHECK(spec_hash(parse_sweep_spec("# a note\n" + kSpec, "a.toml")) == spec_hash(parse_sweep_spec(kSpec, "b.toml")));
  CHECK(spec_hash(parse_sweep_spec(kSpec + "[model]\nrank = 2\n", "c.toml")) != spec_hash(parse_sweep_spec(kSpec, "b.toml")));
  // A spec made wrong in the manifest is refused like a file's.
  nlohmann::json wrong = spec_to_json(spec);
  wrong["model"]["readout"] = "maybe";
  CHECK_THROWS_WITH_AS(spec_from_json(wrong, "m.json (spec)"), doctest::Contains("m.json (spec): [model] readout: got 'maybe'; accepted: sp, mup"),
                       InputError);
}

TEST_CASE("a manifest of another version or runs_schema is refused, naming the program that wrote it") {
  const SweepSpec spec = parse_sweep_spec(kSpec, "spec.toml");
  const nlohmann::json current = {{"version", kManifestVersion}, {"spec", spec_to_json(spec)}, {"spec_hash", spec_hash(spec)},
                                  {"runs_schema", kRunsSchema}};
  const Manifest read = manifest_from_json(current, "new/manifest.json");
  CHECK(spec_to_json(read.sweep_spec("new/manifest.json")) == spec_to_json(spec));
  CHECK(read.spec_hash == spec_hash(spec));
  // Before the manifest recorded its version: the spec as TOML text, its keys repeated.
  const nlohmann::json legacy = {{"spec", kSpec}, {"widths", {16}}, {"program", "gammalab 0.3.0"}};
  CHECK_THROWS_WITH_AS(manifest_from_json(legacy, "old/manifest.json"),
                       doctest::Contains("old/manifest.json: manifest version 1, but this gammalab reads version 2; read it with "
                                         "the gammalab that wrote it (gammalab 0.3.0), or run the experiment again"),
                       InputError);
  nlohmann::json before_rank = current;
  before_rank["runs_schema"] = 2;
  before_rank["program"] = "gammalab 0.4.0";
  CHECK_THROWS_WITH_AS(manifest_from_json(before_rank, "two/manifest.json"),
                       doctest::Contains("two/manifest.json: runs_schema 2, but this gammalab reads schema 4; analyse it with the "
                                         "gammalab that wrote it (gammalab 0.4.0)"),
                       InputError);
  nlohmann::json newer = current;
  newer["runs_schema"] = kRunsSchema + 1;
  CHECK_THROWS_WITH_AS(manifest_from_json(newer, "new/manifest.json"), doctest::Contains("runs_schema 5, but"), InputError);
}

TEST_CASE("a manifest is one type: written and read back unchanged, every key checked, the spec kept once") {
  Manifest manifest;
  manifest.provenance = {"gammalab 9.9.9", "abc123", "spec.toml"};
  manifest.spec = parse_sweep_spec(kSpec, "spec.toml");
  manifest.spec_hash = spec_hash(*manifest.spec);
  manifest.runs_schema = kRunsSchema;
  manifest.device = "cpu (2 threads)";
  manifest.configurations = manifest.spec->configuration_count();
  manifest.scheme_titles = {{"A", "Init[A]"}};
  manifest.shard = "1/2";
  manifest.status = "complete";
  manifest.checksums = {{"runs.csv", "0123456789abcdef"}, {"curves.csv", "fedcba9876543210"}};
  const nlohmann::json written = manifest;
  CHECK(written["version"] == kManifestVersion);
  CHECK(written["experiment"] == "sweep");
  CHECK_FALSE(written.contains("widths"));  // the spec's keys are not repeated beside it
  CHECK(nlohmann::json(manifest_from_json(written, "m.json")) == written);

  nlohmann::json unknown = written;
  unknown["widths"] = {16, 32};
  CHECK_THROWS_WITH_AS(manifest_from_json(unknown, "m.json"), doctest::Contains("m.json: unknown key \"widths\""), InputError);
  nlohmann::json mistyped = written;
  mistyped["shard"] = 5;
  CHECK_THROWS_WITH_AS(manifest_from_json(mistyped, "m.json"), doctest::Contains("m.json: shard is 5; accepted: a shard as K/N"),
                       InputError);
  nlohmann::json newer = written;
  newer["version"] = kManifestVersion + 1;
  CHECK_THROWS_WITH_AS(manifest_from_json(newer, "m.json"),
                       doctest::Contains("manifest version 3, but this gammalab reads version 2; read it with the gammalab that "
                                         "wrote it (gammalab 9.9.9)"),
                       InputError);
}

TEST_CASE("runs are matched to the grid by configuration id, in any order; a row of another spec is refused") {
  const SweepSpec spec = parse_sweep_spec(kSpec, "spec.toml");
  std::vector<RunRow> rows;
  for (const auto& c : enumerate_configurations(spec)) {
    // A bowl in log η around 0.01, deeper for wider students.
    const double loss = std::exp(std::pow(std::log(c.lr_A / 0.01), 2)) / c.width * (1 + 0.01 * static_cast<double>(c.seed));
    rows.push_back({c.id, c.scheme, c.width, c.seed, c.lr_A, c.lr_B, 1.0, loss, loss, loss, loss, false, 0, 30, 0, 0, c.readout, c.rank,
                    c.multiplier, 0,
                    {{10, loss, 1.0}, {30, loss, 1.0}}});
  }
  const nlohmann::json in_order = analyse_runs(rows, spec);
  std::reverse(rows.begin(), rows.end());
  CHECK(nlohmann::json(analyse_runs(rows, spec)) == in_order);
  CHECK(in_order["runs_used"] == rows.size());
  CHECK(in_order["schemes"][0]["widths"][0]["optimal_lr"].get<double>() == doctest::Approx(0.01));
  RunRow stranger = rows.front();
  stranger.lr_A *= 1 + 1e-15;  // not the grid's learning rate, however close
  rows.push_back(stranger);
  CHECK_THROWS_WITH_AS(analyse_runs(rows, spec), doctest::Contains("is not that configuration of the manifest's spec"), InputError);
  rows.back() = rows.front();
  rows.back().id = spec.configuration_count();
  CHECK_THROWS_AS(analyse_runs(rows, spec), InputError);
  rows.back() = rows.front();  // the same configuration twice
  CHECK_THROWS_WITH_AS(analyse_runs(rows, spec), doctest::Contains("appears twice"), InputError);
}

TEST_CASE("with several ranks, each (arm, rank) is fitted against the width and each (arm, width) against the rank") {
  // A bowl in log η around η* = 0.01 · r^-1/2 · (n/16)^-1 under LoRA and 0.01 · r^1/4 under
  // rsLoRA, the seeds' losses apart by a constant factor, so the optimum of any
  // resample of seeds is the bowl's vertex: the slopes are exact, their intervals points.
  const SweepSpec spec = parse_sweep_spec(
      "[sweep]\nwidths = [16, 32]\nseeds = 3\nschemes = [\"A\"]\nsteps = 30\n"
      "[learning_rate]\nmin = 1e-4\nmax = 1\nper_decade = 8\n[data]\ntrain_size = 64\ntest_size = 16\nteacher_width = 64\n"
      "[model]\nrank = [1, 4, 16]\nmultiplier = [\"lora\", \"rslora\"]\nalpha = 1\n",
      "rank.toml");
  auto optimum = [](const Configuration& c) {
    return c.multiplier == "lora" ? 0.01 * std::pow(c.rank, -0.5) * 16.0 / c.width : 0.01 * std::pow(c.rank, 0.25);
  };
  std::vector<RunRow> rows;
  for (const auto& c : enumerate_configurations(spec)) {
    const double loss = std::exp(std::pow(std::log(c.lr_A / optimum(c)), 2)) * (1 + 0.01 * static_cast<double>(c.seed));
    rows.push_back({c.id, c.scheme, c.width, c.seed, c.lr_A, c.lr_B, 1e3, loss, loss, loss, loss, false, 0, 30, 0, 0, c.readout, c.rank,
                    c.multiplier, 0, {{10, loss, 1.0}, {30, loss, 1.0}}});
  }
  const SweepSummary summary = analyse_runs(rows, spec);
  REQUIRE(summary.arms.size() == 2 * 3);  // (multiplier, rank)
  CHECK(summary.arms[0].multiplier == "lora");
  CHECK(summary.arms[4].rank == 4);
  CHECK(summary.arms[0].optimal_slope.slope.value() == doctest::Approx(-1).epsilon(0.02));  // n^-1 at rank 1
  CHECK(summary.arms[4].optimal_slope.slope.value() == doctest::Approx(0).scale(1).epsilon(0.02));  // rsLoRA: no n
  REQUIRE(summary.rank_slopes.size() == 2 * 2);  // (multiplier, width)
  const RankSlopes& lora = summary.rank_slopes[1];
  CHECK(lora.multiplier == "lora");
  CHECK(lora.width == 32);
  CHECK(lora.ranks == std::vector<int>{1, 4, 16});
  CHECK(lora.optimal_slope.points_used == std::vector<int>{1, 4, 16});
  CHECK(lora.optimal_slope.slope.value() == doctest::Approx(-0.5).epsilon(0.02));
  CHECK(lora.optimal_slope.trend.local.size() == 2);
  CHECK(lora.optimal_slope.trend.local[1].from == 4);
  CHECK(summary.rank_slopes[3].optimal_slope.slope.value() == doctest::Approx(0.25).epsilon(0.02));
  // Held against the engine's exponent of r under the arm's multiplier.
  const auto engine_r = predict_max_stable_exponent(spec, "A", Readout::Standard, "lora").rank_exponent_of(&gamma::Verdicts::stable);
  REQUIRE(engine_r);
  REQUIRE(lora.optimal_slope.engine);
  CHECK(lora.optimal_slope.engine->exact == gamma::to_string(*engine_r));
  // The slopes every face shows hold the rank's slopes, along the rank at their width.
  const ViewTable slopes = results_view(summary).table("slopes");
  bool shown = false;
  for (const auto& row : slopes.rows)
    shown = shown || (slopes.cell(row, "axis").value == "rank" && slopes.cell(row, "measure").value == "optimal" &&
                      slopes.cell(row, "slope").text == "-0.50");
  CHECK(shown);
  CHECK(describe_analysis(summary).find(render_text(slopes)) != std::string::npos);
}

TEST_CASE("the engine's exponents of r: its law with the rank free, under the arm's multiplier, for a sweep of several ranks") {
  const SweepSpec spec = parse_sweep_spec(
      "[sweep]\nwidths = [16, 32]\nseeds = 1\nschemes = [\"A\", \"B\"]\n[model]\nrank = [1, 4]\nalpha = 1\n", "rank.toml");
  // The model the engine is asked, built here by hand: Init[B] with σ_B at r = n^ρ, ρ free,
  // under rsLoRA's κ = 1/2.
  gamma::LoraModel free_rank = engine_model_of("B", spec.training, Readout::Standard);
  free_rank.rank = gamma::Affine::parameter("rho");
  free_rank.sigma_A = gamma::find_scheme("B").sigma_A_at(free_rank.rank);
  free_rank.sigma_B = gamma::find_scheme("B").sigma_B_at(free_rank.rank);
  free_rank.multiplier = gamma::Rational(1, 2);
  const EnginePrediction rslora = predict_max_stable_exponent(spec, "B", Readout::Standard, "rslora");
  for (auto member : {&gamma::Verdicts::stable, &gamma::Verdicts::network_output_bounded, &gamma::Verdicts::lora_output_bounded}) {
    const auto law = gamma::max_stable_law(free_rank, member);
    CAPTURE(gamma::verdict_kind(member).label);
    REQUIRE(law.has_value() == rslora.rank_exponent_of(member).has_value());
    if (law) CHECK(*rslora.rank_exponent_of(member) == law->rank_exponent);
  }
  free_rank.setting = gamma::Setting::Module;
  const auto module = gamma::max_stable_law(free_rank, &gamma::Verdicts::stable);
  CHECK((module ? std::optional(module->rank_exponent) : std::nullopt) == rslora.module_rank_exponent);
  // The multiplier moves the exponent of r, not the exponent of n at a fixed rank.
  const EnginePrediction lora = predict_max_stable_exponent(spec, "B", Readout::Standard, "lora");
  CHECK(lora.rank_exponent_of(&gamma::Verdicts::stable) != rslora.rank_exponent_of(&gamma::Verdicts::stable));
  CHECK(lora.network == rslora.network);
  // Only the stable region and its parts are asked; one rank asks nothing of r.
  CHECK_FALSE(lora.rank_exponent_of(&gamma::Verdicts::feature_learning));
  const SweepSpec one_rank = parse_sweep_spec("[sweep]\nwidths = [16]\nseeds = 1\nschemes = [\"B\"]\n", "one.toml");
  CHECK(predict_max_stable_exponent(one_rank, "B", Readout::Standard, "rslora").network_rank_exponents.empty());
}
