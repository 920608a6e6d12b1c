#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "result_files.hpp"
#include "run_program.hpp"
#include "sim/analysis/results_view.hpp"

namespace fs = std::filesystem;
namespace sim = gammalab::sim;

namespace {
fs::path write_spec(const std::string& name, const std::string& text) {
  fs::path path = scratch(name + ".toml");
  std::ofstream(path) << text;
  return path;
}
// A home of its own with a tiny quick-scale spec for one experiment (extra TOML appended),
// and the real plot scripts.
fs::path tiny_home(const std::string& name, const std::string& experiment, const std::string& extra,
                   const std::string& schemes = "[\"A\", \"B\"]") {
  fs::path home = scratch(name);
  fs::create_directories(home / "experiments");
  fs::create_directory_symlink(fs::path(GAMMALAB_SOURCE_DIR) / "plots", home / "plots");
  std::ofstream(home / "experiments" / (experiment + "-quick.toml"))
      << "[sweep]\nname = \"" << experiment << "\"\nscale = \"quick\"\nwidths = [16, 32, 64]\nseeds = 2\n"
      << "schemes = " << schemes << "\nsteps = 20\n[learning_rate]\nvalues = [0.001, 0.01, 0.1, 1.0]\n[data]\n"
      << "train_size = 32\ntest_size = 8\nteacher_width = 32\n" << extra;
  return home;
}

// A scheme's title in the figures ("Init[A]"), as the manifest records it.
std::string scheme_title(const fs::path& directory, const std::string& scheme) {
  return nlohmann::json::parse(read_text(directory / "manifest.json"))["scheme_titles"][scheme].get<std::string>();
}

// curves.csv's column of each run, in step order: run id → values.
std::map<long, std::vector<double>> curve_columns(const fs::path& directory, const std::string& column) {
  std::ifstream file(directory / "curves.csv");
  std::string line;
  std::getline(file, line);
  std::vector<std::string> header;
  for (std::stringstream cells(line); std::getline(cells, line, ',');) header.push_back(line);
  const auto at = std::find(header.begin(), header.end(), column) - header.begin();
  std::map<long, std::vector<double>> columns;
  while (std::getline(file, line)) {
    std::vector<std::string> cells;
    for (std::stringstream row(line); std::getline(row, line, ',');) cells.push_back(line);
    columns[std::stol(cells.at(0))].push_back(std::stod(cells.at(at)));
  }
  return columns;
}

// Whether `value` is one of `values` to 1e-12 (relative): a plotted exp(log loss).
bool among(double value, const nlohmann::json& values) {
  for (const auto& v : values)
    if (v.is_number() && std::abs(v.get<double>() - value) <= 1e-12 * std::abs(value)) return true;
  return false;
}

const std::string kTiny =
    "[sweep]\nwidths = [16, 32]\nseeds = 2\nschemes = [\"A\", \"B\"]\nsteps = 20\n"
    "[learning_rate]\nvalues = [0.001, 0.01, 0.1]\n[data]\ntrain_size = 32\ntest_size = 8\nteacher_width = 32\n";
}  // namespace

TEST_CASE("sweep: a typo in the spec is exit 2, names the key, and leaves no directory behind") {
  fs::path spec = write_spec("typo", kTiny + "[training]\nbatchsize = 4\n");
  fs::path out = scratch("typo-out");
  EXPECT_BAD_INPUT("sweep " + spec.string() + " -o " + out.string(), "[training] batchsize: unknown key");
  CHECK_FALSE(fs::exists(out));
  EXPECT_BAD_INPUT("sweep /nonexistent.toml -o " + out.string(), "/nonexistent.toml: cannot read the spec file");
  EXPECT_BAD_INPUT("sweep " + spec.string(), "-o");
  fs::path good = write_spec("good", kTiny);
  EXPECT_BAD_INPUT("sweep " + good.string() + " -o " + out.string() + " --threads 0", "--threads");
  CHECK_FALSE(fs::exists(out));
}

TEST_CASE("sweep then analyze: the result directory and its summary") {
  fs::path spec = write_spec("run", kTiny), out = scratch("run-out");
  Outcome sweep = run("sweep " + spec.string() + " -o " + out.string());
  REQUIRE_MESSAGE(sweep.status == 0, sweep.output);
  for (const char* file : {"manifest.json", "runs.csv", "curves.csv", "summary.json"}) CHECK(fs::exists(out / file));
  // The terminal draws the results view of the summary it wrote: its estimates and slopes.
  const auto summary_written = sim::read_summary(out / "summary.json");
  REQUIRE(summary_written);
  const sim::ResultsView view = sim::results_view(*summary_written);
  CHECK(sweep.output.find(sim::render_text(view.table("widths"))) != std::string::npos);
  CHECK(sweep.output.find(sim::render_text(view.table("slopes"))) != std::string::npos);
  CHECK(view.table("slopes").cell(view.table("slopes").rows[0], "engine").text == "-3/4");  // Init[A], standard readout: stable to n^-3/4
  EXPECT_BAD_INPUT("sweep " + spec.string() + " -o " + out.string(), "already exists; pass --resume");
  Outcome resumed = run("sweep " + spec.string() + " -o " + out.string() + " --resume --quiet");
  CHECK(resumed.status == 0);

  Outcome analyze = run("analyze " + out.string() + " --json --loss final_test");
  REQUIRE(analyze.status == 0);
  auto summary = nlohmann::json::parse(analyze.output);
  CHECK(summary["loss_statistic"] == "final_test");
  CHECK(summary["runs_used"] == 2 * 2 * 2 * 3);
  CHECK(summary["schemes"][1]["engine_max_stable_exponent"]["network"]["exact"] == "-1");
  EXPECT_BAD_INPUT("analyze " + out.string() + " --loss median", "--loss");
  EXPECT_BAD_INPUT("analyze " + out.string() + " --split-seeds", "--split-seeds: the sweep has 2 seeds; two halves with a bootstrap interval each need at least 4");
  EXPECT_BAD_INPUT("analyze /tmp", "has no manifest.json");
  fs::remove_all(out);
}

TEST_CASE("coordcheck: bad input, and a run that says which exponents agree") {
  EXPECT_BAD_INPUT("coordcheck --scheme Z", "--scheme: unknown scheme 'Z'");
  EXPECT_BAD_INPUT("coordcheck --widths 64", "--widths: needs at least two widths");
  EXPECT_BAD_INPUT("coordcheck --eta-exp 1//2", "--eta-exp: '1//2' is not an exponent");
  EXPECT_BAD_INPUT("coordcheck --steps 0", "--steps");
  Outcome check = run("coordcheck --scheme B --widths 64,128,256 --steps 2 --seeds 2 --train-size 64 --json");
  REQUIRE_MESSAGE(check.status == 0, check.output);
  auto fitted = nlohmann::json::parse(check.output);
  CHECK(fitted["eta_exponent"] == "-1");  // the engine's maximal stable exponent for Init[B]
  bool delta2_zero_at_step_1 = false;
  for (const auto& row : fitted["rows"])
    if (row["step"] == 1 && row["quantity"] == "delta2")
      delta2_zero_at_step_1 = row["slope"] == "exactly zero" && row["verdict"] == "agrees";
  CHECK(delta2_zero_at_step_1);  // Init[B]: B does not move on step 1, measured and derived

  // The (width, seed) runs are independent: three threads measure what one does.
  Outcome threaded = run("coordcheck --scheme B --widths 64,128,256 --steps 2 --seeds 2 --train-size 64 --json --threads 3");
  REQUIRE_MESSAGE(threaded.status == 0, threaded.output);
  CHECK(nlohmann::json::parse(threaded.output) == fitted);
  EXPECT_BAD_INPUT("coordcheck --threads 0", "--threads: must be from 1 to 1024, not 0");
}

TEST_CASE("reproduce: spec, sweep, analysis, figure and verdicts from one command") {
  fs::path home = tiny_home("home", "fig2", ""), out = scratch("reproduce-out");
  const std::string common = " --home " + home.string() + " --device cpu";
  Outcome outcome = run("reproduce fig2 --scale quick -o " + out.string() + common);
  REQUIRE_MESSAGE(outcome.status == 0, outcome.output);
  CHECK(fs::exists(out / "figures" / "lr_vs_width.svg"));
  auto summary = nlohmann::json::parse(std::ifstream(out / "summary.json"));
  CHECK(summary["runs_used"] == 3 * 2 * 2 * 4);
  CHECK(summary["schemes"][0]["engine_max_stable_exponent"]["network"]["exact"] == "-3/4");
  // The figure plots the summary: each scheme's optimal η at each width where it has one,
  // named with the engine exponent it is held against, on a panel labelled as read.
  const auto record = plotted_record(out / "figures" / "lr_vs_width.png");
  REQUIRE(record.is_object());
  const auto optimal = plotted_panels(record, "optimal η", "standard readout (paper's)");
  REQUIRE(optimal.size() == 1);
  CHECK(optimal[0]["xlabel"] == "width n");
  CHECK(optimal[0]["ylabel"] == "learning rate η");
  CHECK(optimal[0]["yscale"] == "log");
  for (const auto& arm : summary["schemes"]) {
    const std::string label = scheme_title(out, arm["scheme"]) + "; engine n^(" +
                              arm["slopes"]["optimal"]["engine"]["exact"].get<std::string>() + ")";
    const auto series = plotted_series(optimal[0], label);
    REQUIRE_MESSAGE(series.is_object(), label);
    std::vector<double> widths, rates;
    for (const auto& estimate : arm["widths"])
      if (!estimate["optimal_lr"].is_null()) {
        widths.push_back(estimate["width"]);
        rates.push_back(estimate["optimal_lr"]);
      }
    CHECK(series["x"] == nlohmann::json(widths));
    CHECK(series["y"] == nlohmann::json(rates));
  }
  CHECK(plotted_panels(record, "local slopes (optimal, output criterion)").size() == 1);
  CHECK(record.dump().find("agrees") == std::string::npos);  // the verdicts are the terminal's, not the figure's
  std::size_t verdicts = 0;
  for (std::size_t at = 0; (at = outcome.output.find("\nverdict: ", at)) != std::string::npos; ++at) ++verdicts;
  CHECK(verdicts == 8);  // optimal, and maximal stable by final loss, output and internal, for each scheme
  CHECK(outcome.output.find("verdict: B (sp readout) max stable η (internal) ∝ ") != std::string::npos);
  CHECK(outcome.output.find("against the engine's Z_B bounded n^-1 ±0.125: ") != std::string::npos);
  CHECK(outcome.output.find("verdict: A (sp readout) optimal η ∝ ") != std::string::npos);
  CHECK(outcome.output.find("against the engine's stable n^-3/4 ±0.125: ") != std::string::npos);
  // No line agrees with an interval wider than twice the margin: such an interval cannot tell
  // the engine's exponent from its neighbours.
  std::istringstream lines(outcome.output);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("verdict: ", 0) != 0) continue;
    CAPTURE(line);
    const auto open = line.find(" ["), comma = line.find(", ", open), close = line.find("] against", open);
    if (open == std::string::npos || close == std::string::npos) continue;  // no interval: not "agrees" either
    const double low = std::stod(line.substr(open + 2, comma - open - 2)), high = std::stod(line.substr(comma + 2, close - comma - 2));
    if (high - low > 0.25) CHECK(line.find(": agrees") == std::string::npos);
  }
  CHECK(outcome.output.find("\nchance: ") != std::string::npos);

  EXPECT_BAD_INPUT("reproduce fig9" + common, "NAME: unknown experiment 'fig9'; accepted: fig2");
  EXPECT_BAD_INPUT("reproduce fig2 --scale paper" + common, "fig2-paper.toml");
  EXPECT_BAD_INPUT("reproduce fig2 --scale huge" + common, "--scale: unknown scale 'huge'; accepted: quick, paper, auto");
  EXPECT_BAD_INPUT("reproduce fig2 --scale custom" + common, "scale 'custom' names no spec of an experiment");
  fs::remove_all(out);
  fs::remove_all(home);
}

TEST_CASE("calibrate: synthetic sweeps at a spec's shape, and bad input refused") {
  fs::path spec = write_spec("calibrate", kTiny);
  Outcome outcome = run("calibrate " + spec.string() + " --trials 20");
  REQUIRE_MESSAGE(outcome.status == 0, outcome.output);
  for (const char* scenario : {"\nexact ", "\nwrong by 2δ ", "\nfinite width ", "\nnon-monotone ", "\ndivergent seeds "})
    CHECK(outcome.output.find(scenario) != std::string::npos);
  CHECK(outcome.output.find("20 trials per scenario") != std::string::npos);
  CHECK(outcome.output.find("coverage") != std::string::npos);
  EXPECT_BAD_INPUT("calibrate /nonexistent.toml", "/nonexistent.toml: cannot read the spec file");
  EXPECT_BAD_INPUT("calibrate " + spec.string() + " --trials 5", "--trials");
  fs::path one_seed = write_spec("calibrate-one-seed", kTiny + "[analysis]\nbootstrap = 0\n");
  EXPECT_BAD_INPUT("calibrate " + one_seed.string(), "a calibration needs at least two slope widths, two seeds and two bootstrap resamples");
  CHECK(run("calibrate --help").output.find("known truth") != std::string::npos);
}

TEST_CASE("reproduce phase: the engine's exact diagrams and their figure, no training") {
  fs::path out = scratch("phase-out");
  Outcome outcome = run("reproduce phase -o " + out.string() + " --home " + std::string(GAMMALAB_SOURCE_DIR));
  REQUIRE_MESSAGE(outcome.status == 0, outcome.output);
  auto a = nlohmann::json::parse(std::ifstream(out / "phase-A.json"));
  auto b = nlohmann::json::parse(std::ifstream(out / "phase-B.json"));
  // Efficient learning on γ[η_A] + γ[η_B] = -1: for Init[A] from (1, -2) to (-1, 0), for
  // Init[B] from (-1, 0) up to (-2, 1) — the two meet at LoRA+'s point.
  auto segment = [](const char* x0, const char* y0, const char* x1, const char* y1) {
    return nlohmann::json::array({nlohmann::json::array({x0, y0}), nlohmann::json::array({x1, y1})});
  };
  REQUIRE(a["from_settled"]["efficient"].size() == 1);
  CHECK(a["from_settled"]["efficient"][0]["vertices"] == segment("1", "-2", "-1", "0"));
  REQUIRE(b["from_settled"]["efficient"].size() == 1);
  auto b_segment = b["from_settled"]["efficient"][0]["vertices"];
  CHECK((b_segment == segment("-1", "0", "-2", "1") || b_segment == segment("-2", "1", "-1", "0")));
  CHECK(b["from_settled"]["internal_instability"].empty());
  // The figure draws the same segment, on axes named for the two exponents.
  const auto record = plotted_record(out / "figures" / "phase.png");
  REQUIRE(record.is_object());
  REQUIRE(record["panels"].size() == 2);
  const auto& panel_a = record["panels"][0];
  CHECK(panel_a["title"].get<std::string>().rfind("Init[A], ", 0) == 0);
  CHECK(panel_a["xlabel"] == "γ[η_A]  (η_A = Θ(n^γ))");
  CHECK(panel_a["ylabel"] == "γ[η_B]");
  const auto efficient = plotted_series(panel_a, "efficient learning");
  REQUIRE(efficient.is_object());
  CHECK(efficient["x"] == nlohmann::json({1.0, -1.0}));
  CHECK(efficient["y"] == nlohmann::json({-2.0, 0.0}));
  fs::remove_all(out);
}

TEST_CASE("reproduce fig3: curves recorded, the norms figure drawn, no slope verdicts") {
  fs::path home = tiny_home("home3", "fig3", "[record]\ncurves = true\nevery = 5\n"), out = scratch("fig3-out");
  Outcome outcome = run("reproduce fig3 --scale quick --device cpu -o " + out.string() + " --home " + home.string());
  REQUIRE_MESSAGE(outcome.status == 0, outcome.output);
  // Every panel with an optimum draws each seed's ‖Z_A‖ as recorded in curves.csv.
  const auto record = plotted_record(out / "figures" / "norms_over_training.png");
  REQUIRE(record.is_object());
  REQUIRE(record["panels"].size() == 3 * 2);
  const auto norms = curve_columns(out, "norm_Z_A");
  std::size_t drawn = 0;
  for (const auto& panel : record["panels"]) {
    CHECK(panel["xlabel"] == "step");
    CHECK(panel["ylabel"] == "mean norm over train points");
    for (const char* label : {"‖Z_A‖ seed 0", "‖Z_A‖ seed 1"}) {
      const auto series = plotted_series(panel, label);
      if (series.is_null()) continue;
      ++drawn;
      CHECK(series["x"] == nlohmann::json({1.0, 5.0, 10.0, 15.0, 20.0}));
      CHECK(std::any_of(norms.begin(), norms.end(), [&](const auto& run) { return series["y"] == nlohmann::json(run.second); }));
    }
  }
  CHECK(drawn >= 2);
  std::ifstream curves(out / "curves.csv");
  std::size_t lines = 0;
  for (std::string line; std::getline(curves, line);) ++lines;
  CHECK(lines == 1 + 3 * 2 * 2 * 4 * 5);  // header, then steps 1, 5, 10, 15, 20 of every run
  CHECK(outcome.output.find("verdict:") == std::string::npos);
  fs::remove_all(out);
  fs::remove_all(home);
}

TEST_CASE("reproduce initab: loss against learning rate, and the engine's δ exponents of both schemes") {
  fs::path home = tiny_home("homeab", "initab", "", "[\"A\", \"AB\"]"), out = scratch("initab-out");
  Outcome outcome = run("reproduce initab --scale quick --device cpu -o " + out.string() + " --home " + home.string());
  REQUIRE_MESSAGE(outcome.status == 0, outcome.output);
  // A panel per width, a line per scheme: the geometric mean over seeds of the final
  // loss at each rate, so the summary's best seed-averaged log loss is one of its points.
  const auto record = plotted_record(out / "figures" / "loss_vs_lr.png");
  REQUIRE(record.is_object());
  auto summary = nlohmann::json::parse(std::ifstream(out / "summary.json"));
  for (const auto& arm : summary["schemes"])
    for (const auto& estimate : arm["widths"]) {
      const auto panels = plotted_panels(record, "width n = " + std::to_string(estimate["width"].get<int>()));
      REQUIRE(panels.size() == 1);
      CHECK(panels[0]["xlabel"].get<std::string>().rfind("learning rate η (", 0) == 0);  // and the optimizer
      const auto series = plotted_series(panels[0], scheme_title(out, arm["scheme"]));
      REQUIRE(series.is_object());
      CHECK(among(std::exp(estimate["best_mean_log_loss"].get<double>()), series["y"]));
    }
  CHECK(record["panels"][0]["ylabel"] == "final train loss (geometric mean over seeds; band: range)");
  auto engine = nlohmann::json::parse(std::ifstream(out / "engine.json"));
  CHECK(engine["A"]["1"]["delta1"] == "-inf");        // A does not move on step 1 under Init[A]
  CHECK(engine["AB"]["1"]["delta1"] == "eta + 1/2");  // under Init[AB] it does: B₀ ≠ 0
  CHECK(engine["A"]["3"]["delta1"] == "2*eta + 1");
  fs::remove_all(out);
  fs::remove_all(home);
}

TEST_CASE("reproduce schemes: every scheme at its tuned rate, best loss and optimum against width") {
  const std::string every = "[\"A\", \"B\", \"AB\", \"inilora\", \"inilora-alpha\", \"inilora-beta\", "
                            "\"inilora-beta-uniform\", \"pissa\", \"milora\"]";
  fs::path home = tiny_home("homesch", "schemes", "[init]\ninilora_steps = 50\n", every), out = scratch("schemes-out");
  Outcome outcome = run("reproduce schemes --scale quick --device cpu -o " + out.string() + " --home " + home.string());
  REQUIRE_MESSAGE(outcome.status == 0, outcome.output);
  auto summary = nlohmann::json::parse(std::ifstream(out / "summary.json"));
  REQUIRE(summary["schemes"].size() == 9);
  CHECK(summary["runs_used"] == 9 * 3 * 2 * 4);
  for (const auto& scheme : summary["schemes"]) CHECK(scheme["widths"][2].contains("best_mean_log_loss"));
  // Left, each scheme's best loss; right, its optimal η: the summary's values at each width.
  const auto record = plotted_record(out / "figures" / "schemes_vs_width.png");
  REQUIRE(record.is_object());
  REQUIRE(record["panels"].size() == 2);
  const auto &losses = record["panels"][0], &rates = record["panels"][1];
  CHECK(losses["ylabel"] == "best final_train loss (seed-averaged)");
  CHECK(rates["ylabel"] == "optimal learning rate η");
  CHECK(rates["xlabel"] == "width n");
  std::size_t drawn = 0;
  for (const auto& arm : summary["schemes"]) {
    const auto loss = plotted_series(losses, scheme_title(out, arm["scheme"])), rate = plotted_series(rates, scheme_title(out, arm["scheme"]));
    if (loss.is_null()) continue;  // no optimum at any width
    ++drawn;
    std::vector<double> best, optimal;
    for (const auto& estimate : arm["widths"])
      if (!estimate["optimal_lr"].is_null()) {
        best.push_back(std::exp(estimate["best_mean_log_loss"].get<double>()));
        optimal.push_back(estimate["optimal_lr"]);
      }
    CHECK(loss["y"] == nlohmann::json(best));
    CHECK(rate["y"] == nlohmann::json(optimal));
  }
  CHECK(drawn >= 5);
  fs::remove_all(out);
  fs::remove_all(home);
}

TEST_CASE("reproduce variance: loss against σ per width for both schemes, and the engine's verdict per σ exponent") {
  fs::path home = tiny_home("homevar", "variance", "[init_sigma]\nvalues = [0.001, 0.1, 1.0]\n", "[\"AB\", \"inilora-alpha\"]"),
           out = scratch("variance-out");
  Outcome outcome = run("reproduce variance --scale quick --device cpu -o " + out.string() + " --home " + home.string());
  REQUIRE_MESSAGE(outcome.status == 0, outcome.output);
  auto summary = nlohmann::json::parse(std::ifstream(out / "summary.json"));
  REQUIRE(summary["schemes"].size() == 2 * 3);  // one arm per (scheme, σ)
  // A panel per scheme, a line per width: the best loss over the η grid against σ.
  const auto record = plotted_record(out / "figures" / "loss_vs_sigma.png");
  REQUIRE(record.is_object());
  REQUIRE(record["panels"].size() == 2);
  const auto& init_ab = record["panels"][0];
  CHECK(init_ab["title"].get<std::string>().rfind(scheme_title(out, "AB") + ";", 0) == 0);
  CHECK(init_ab["xlabel"] == "σ, the standard deviation of A's and B's initial entries");
  const auto at_64 = plotted_series(init_ab, "n = 64");
  REQUIRE(at_64.is_object());
  CHECK(at_64["x"] == nlohmann::json({0.001, 0.1, 1.0}));
  for (int arm = 0; arm < 3; ++arm)
    CHECK(at_64["y"][arm] == std::exp(summary["schemes"][arm]["widths"][2]["best_mean_log_loss"].get<double>()));
  CHECK(summary["runs_used"] == 2 * 3 * 3 * 2 * 4);
  CHECK(summary["schemes"][2]["scheme"] == "AB");
  CHECK(summary["schemes"][2]["init_sigma"] == 1.0);
  // σ = 1 puts ΔZ_B⁰ = B₀A₀Z at n^{1/2}: at width 64, Init[AB] (nothing subtracted)
  // starts far worse than at σ = 0.001, whatever the learning rate.
  const double small = summary["schemes"][0]["widths"][2]["best_mean_log_loss"], large = summary["schemes"][2]["widths"][2]["best_mean_log_loss"];
  CHECK(large > small + 1);
  auto engine = nlohmann::json::parse(std::ifstream(out / "engine.json"));
  CHECK(engine["exponents"][0]["sigma_exponent"] == "0");
  CHECK(engine["exponents"][0]["max_stable"] == "none: never stable");
  CHECK(engine["exponents"][2]["max_stable"] == "-3/4 (attained)");
  // An [init_sigma] axis with a scheme whose σ it cannot set is refused, naming the key.
  fs::path bad = tiny_home("homevarbad", "variance", "[init_sigma]\nvalues = [0.1]\n", "[\"A\"]");
  EXPECT_BAD_INPUT("reproduce variance --scale quick --device cpu -o " + scratch("bad-out").string() + " --home " + bad.string(),
                   "[init_sigma] values: sets σ of A's and B's entries, which only schemes AB and inilora-alpha");
  for (const auto& path : {out, home, bad}) fs::remove_all(path);
}

TEST_CASE("reproduce mlp-coordcheck and mlp-lr: the deep MLP against the engine, each figure drawn from its document") {
  fs::path home = scratch("homemlp"), out = scratch("mlp-coordcheck-out"), lr_out = scratch("mlp-lr-out");
  fs::create_directories(home / "experiments");
  fs::create_directory_symlink(fs::path(GAMMALAB_SOURCE_DIR) / "plots", home / "plots");
  const std::string network = "layers = 2\nbatch = 4\nsteps = 2\n";
  std::ofstream(home / "experiments" / "mlp-coordcheck-quick.toml")
      << "[mlp]\nscale = \"quick\"\nwidths = [32, 64, 128]\nseeds = 3\nparametrizations = [\"mup\", \"sp\"]\noptimizers = [\"sgd\"]\n"
      << network << "[analysis]\nbootstrap = 100\n";
  std::ofstream(home / "experiments" / "mlp-lr-quick.toml")
      << "[mlp]\nscale = \"quick\"\nwidths = [32, 64, 128]\nseeds = 2\nparametrizations = [\"mup\"]\noptimizers = [\"adam\"]\n"
      << network << "[edge]\ngroups = [\"hidden\", \"readout\"]\nprecision = 0.2\n[analysis]\nbootstrap = 100\n";
  EXPECT_BAD_INPUT("reproduce mlp-coordcheck --scale paper -o " + out.string() + " --home " + home.string(), "--scale: there is no");

  Outcome outcome = run("reproduce mlp-coordcheck --scale quick -o " + out.string() + " --home " + home.string());
  REQUIRE_MESSAGE(outcome.status == 0, outcome.output);
  // μP: x¹, x², f at step 0 and their changes at steps 1 and 2; sp grows from Δx² at step 1.
  CHECK(outcome.output.find("verdict: mup sgd: ") != std::string::npos);
  CHECK(outcome.output.find("of 9 (step, quantity) exponents agree with the engine") != std::string::npos);
  CHECK(outcome.output.find("verdict: sp sgd: ") != std::string::npos);
  CHECK(outcome.output.find("(unstable: predicted up to Δx^2 at step 1, which grows)") != std::string::npos);
  const auto document = nlohmann::json::parse(read_text(out / "mlp-coordcheck.json"));
  CHECK(nlohmann::json::parse(read_text(out / "manifest.json"))["experiment"] == "mlp-coordcheck");
  // The figure draws each measured slope of the μP panel where the document has it.
  const auto record = plotted_record(out / "figures" / "mlp_coordcheck.png");
  REQUIRE(record.is_object());
  const auto panel = plotted_panels(record, "mup, sgd, η = 0.1: stable");
  REQUIRE(panel.size() == 1);
  std::vector<double> measured, drawn;
  for (const auto& row : document["checks"][0]["rows"])
    if (row["quantity"].get<std::string>().ends_with("x2")) measured.push_back(row["slope"]);
  for (const auto& series : panel[0]["series"])
    for (const auto& y : series["y"])
      if (y.is_number()) drawn.push_back(y);
  REQUIRE(measured.size() == 3);
  for (double slope : measured) CHECK(std::find(drawn.begin(), drawn.end(), slope) != drawn.end());

  Outcome lr = run("reproduce mlp-lr --scale quick -o " + lr_out.string() + " --home " + home.string());
  REQUIRE_MESSAGE(lr.status == 0, lr.output);
  CHECK(lr.output.find("verdict: mup adam hidden: maximal stable η ∝ n^") != std::string::npos);
  CHECK(lr.output.find("against the engine's -1: ") != std::string::npos);
  CHECK(lr.output.find("verdict: mup adam readout: maximal stable η ∝ n^") != std::string::npos);
  const auto edges = nlohmann::json::parse(read_text(lr_out / "mlp-lr.json"));
  REQUIRE(edges["curves"].size() == 2);
  CHECK(edges["curves"][0]["engine_alone"] == "-1");
  CHECK(edges["curves"][1]["engine_alone"] == "-1/2");
  // Each edge at a larger width is smaller: μP's Adam rates fall with n.
  const auto& hidden = edges["curves"][0]["edges"];
  CHECK(hidden[2][0].get<double>() < hidden[0][0].get<double>());
  CHECK(fs::exists(lr_out / "figures" / "mlp_lr.png"));

  // The report shows both: the verdict lines `reproduce` printed, and the slopes' table.
  const fs::path page = scratch("mlp-report.html");
  Outcome report = run("report " + out.string() + " " + lr_out.string() + " -o " + page.string());
  REQUIRE_MESSAGE(report.status == 0, report.output);
  const std::string html = read_text(page);
  CHECK(html.find("<h2>the MLP's coordinate check</h2>") != std::string::npos);
  CHECK(html.find("<p>verdict: sp sgd: ") != std::string::npos);
  CHECK(html.find("<td>mup</td><td>adam</td><td>hidden</td>") != std::string::npos);
}

TEST_CASE("reproduce coordcheck, then report: exponents against the engine, and one self-contained page") {
  fs::path home = tiny_home("homecc", "coordcheck", "", "[\"A\", \"B\"]"), out = scratch("coordcheck-out");
  // tiny_home writes a learning-rate grid; a coordinate check takes one constant C.
  std::ofstream(home / "experiments" / "coordcheck-quick.toml")
      << "[sweep]\nname = \"coordcheck\"\nscale = \"quick\"\nwidths = [64, 128, 256]\nseeds = 2\nschemes = [\"A\", \"B\"]\n"
      << "steps = 3\n[learning_rate]\nvalues = [1.0]\n[data]\ntrain_size = 64\nteacher_width = 32\n";
  EXPECT_BAD_INPUT("reproduce coordcheck --scale quick --threads 0 -o " + out.string() + " --home " + home.string(),
                   "--threads: must be from 1 to 1024, not 0");
  CHECK(!fs::exists(out));
  Outcome outcome = run("reproduce coordcheck --scale quick -o " + out.string() + " --home " + home.string());
  REQUIRE_MESSAGE(outcome.status == 0, outcome.output);
  CHECK(outcome.output.find("verdict: A at γ[η] = -3/4:") != std::string::npos);
  CHECK(outcome.output.find("verdict: B at γ[η] = -1:") != std::string::npos);
  auto check = nlohmann::json::parse(std::ifstream(out / "coordcheck-B.json"));
  // The panel of Z_B draws B's measured slope at each step where it has one.
  const auto record = plotted_record(out / "figures" / "coordcheck.png");
  REQUIRE(record.is_object());
  const auto z_b = plotted_panels(record, "Z_B");
  REQUIRE(z_b.size() == 1);
  CHECK(z_b[0]["xlabel"] == "step");
  CHECK(z_b[0]["ylabel"] == "exponent of n (RMS coordinate)");
  std::vector<double> measured, drawn;
  for (const auto& row : check["rows"])
    if (row["quantity"] == "Z_B" && row["slope"].is_number()) measured.push_back(row["slope"]);
  for (const auto& series : z_b[0]["series"])
    if (series["label"] == "B") drawn.push_back(series["y"][0]);
  CHECK(!measured.empty());
  CHECK(drawn == measured);
  CHECK(check["eta_exponent"] == "-1");
  CHECK(check["rows"].size() > 10);
  // B: A = 0 at step 0, so Z_A is exactly zero there, and the engine says so.
  bool found = false;
  for (const auto& row : check["rows"])
    if (row["step"] == 0 && row["quantity"] == "Z_A") {
      found = true;
      CHECK(row["engine"] == "-inf");
      CHECK(row["verdict"] == "agrees");
    }
  CHECK(found);

  fs::path page = scratch("report.html");
  Outcome report = run("report " + out.string() + " -o " + page.string());
  REQUIRE_MESSAGE(report.status == 0, report.output);
  std::ifstream html_file(page);
  const std::string html((std::istreambuf_iterator<char>(html_file)), std::istreambuf_iterator<char>());
  CHECK(html.find("data:image/png;base64,iVBORw0KGgo") != std::string::npos);  // the PNG itself, embedded
  CHECK(html.find("B at γ[η] = -1:") != std::string::npos);
  CHECK(html.find("<td class=\"agrees\">agrees</td>") != std::string::npos);
  EXPECT_BAD_INPUT("report " + home.string() + " -o " + scratch("no.html").string(), "has no manifest.json");
  CHECK_FALSE(fs::exists(scratch("no.html")));
  for (const auto& path : {out, home, page}) fs::remove_all(path);
}
