#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <cmath>

#include "gamma/input_error.hpp"
#include "sim/sweep/sweep_spec.hpp"

using namespace gammalab;
using namespace gammalab::sim;

namespace {
const std::string kMinimal = "[sweep]\nwidths = [64, 128]\nseeds = 2\nschemes = [\"A\", \"B\"]\n";

void expect_error(const std::string& text, const std::string& named) {
  CAPTURE(text);
  try {
    parse_sweep_spec(text, "spec.toml");
    FAIL("no error");
  } catch (const InputError& e) {
    std::string message = e.what();
    CAPTURE(message);
    CHECK(std::string(e.what()).find(named) != std::string::npos);
  }
}
}  // namespace

TEST_CASE("a minimal spec takes the documented defaults") {
  SweepSpec spec = parse_sweep_spec(kMinimal, "spec.toml");
  CHECK(spec.widths == std::vector<int>{64, 128});
  CHECK(spec.seeds == std::vector<std::uint64_t>{0, 1});
  CHECK(spec.training.steps == 1000);
  CHECK(spec.ranks == std::vector<int>{4});
  CHECK(spec.multipliers == std::vector<std::string>{"lora"});
  CHECK(spec.training.alpha == 4);
  CHECK(spec.training.optimizer.beta2 == 0.99);
  CHECK(spec.data.train_size == 1000);
  // 1e-5 … 1e-1 at 8 per decade: 33 points, the decades exactly on the grid.
  REQUIRE(spec.learning_rates.size() == 33);
  CHECK(spec.learning_rates.front() == doctest::Approx(1e-5));
  CHECK(spec.learning_rates[8] == doctest::Approx(1e-4));
  CHECK(spec.learning_rates.back() == doctest::Approx(1e-1));
  CHECK(spec.configuration_count() == 2 * 2 * 2 * 33);
  CHECK(spec.teachers == 1);
}

TEST_CASE("[data] teachers: each teacher trains the grid once more; bad counts are refused naming the key, value and range") {
  const SweepSpec spec = parse_sweep_spec(kMinimal + "[data]\nteachers = 3\n", "spec.toml");
  CHECK(spec.teachers == 3);
  CHECK(spec.configuration_count() == 3 * 2 * 2 * 2 * 33);
  CHECK(spec_to_json(spec)["data"]["teachers"] == 3);
  CHECK(spec_from_json(spec_to_json(spec), "manifest.json").teachers == 3);
  expect_error(kMinimal + "[data]\nteachers = 0\n", "[data] teachers: got 0; accepted: a whole number from 1 to 100");
  expect_error(kMinimal + "[data]\nteachers = 101\n", "[data] teachers: got 101; accepted: a whole number from 1 to 100");
  expect_error(kMinimal + "[data]\nteachers = 2.5\n", "[data] teachers: got 2.5");
}

TEST_CASE("every table is read: values land where they belong") {
  SweepSpec spec = parse_sweep_spec(
      "[sweep]\nwidths_log2 = [7, 9]\nseeds = [3, 5]\nschemes = [\"custom\"]\nsteps = 20\n"
      "[learning_rate]\nvalues = [0.001, 0.01]\nratio = 16\n"
      "[model]\nrank = 2\nreadout = \"mup\"\n"
      "[init]\nsigma_A_exponent = \"-1/2\"\nsigma_B_exponent = \"-1\"\nsigma_B_scale = 3\nsubtract_initial = \"on\"\n"
      "[optimizer]\nkind = \"sgd\"\n[schedule]\ndecay = \"cosine\"\nwarmup_steps = 5\n"
      "[training]\nbatch_size = 32\n[record]\ncurves = true\nevery = 5\n"
      "[analysis]\nloss = \"final_test\"\nslope_widths = [256, 512]\n",
      "spec.toml");
  CHECK(spec.widths == std::vector<int>{128, 256, 512});
  CHECK(spec.seeds == std::vector<std::uint64_t>{3, 5});
  CHECK(spec.lr_ratio == 16);
  CHECK(spec.readouts == std::vector<Readout>{Readout::MuP});
  CHECK(spec.training.init.sigma_B.exponent == -1);
  CHECK(spec.training.init.sigma_B.constant == 3);
  CHECK(spec.training.init.subtract_initial_product == true);
  CHECK(spec.training.optimizer.kind == Optimizer::Sgd);
  CHECK(spec.training.schedule.decay == ScheduleSpec::Decay::Cosine);
  CHECK(spec.training.record_every == 5);
  CHECK(spec.analysis.loss == LossStatistic::FinalTest);
  CHECK(spec.analysis.slope_min_width == 256);
}

TEST_CASE("the readout is an axis; horizons, the optimum's window, the stability criteria and refinement are read") {
  SweepSpec spec = parse_sweep_spec(kMinimal + "steps = 300\n[model]\nreadout = [\"sp\", \"mup\"]\n"
                                                 "[learning_rate]\nmin = 1e-3\nmax = 1\nper_decade = 3\nedge_precision = 0.05\nextend_up_to = 50\n"
                                                 "[analysis]\nhorizons = [100, 10]\noptimum_window = 0.2\nedge_factor = 3\ninternal_bound = 7\n",
                                      "spec.toml");
  CHECK(spec.readouts == std::vector<Readout>{Readout::Standard, Readout::MuP});
  CHECK(spec.configuration_count() == 2 * 2 * 2 * 2 * 10);  // widths, seeds, readouts, schemes, rates
  CHECK(spec.training.horizons == std::vector<int>{10, 100, 300});  // sorted, the last step added
  CHECK(spec.analysis.optimum_window == 0.2);
  CHECK(spec.analysis.edge_factor == 3);
  CHECK(spec.analysis.internal_bound == 7);
  CHECK(spec.refine.edge_precision == 0.05);
  CHECK(spec.refine.extend_up_to == 50);
  CHECK(spec.refine.optimum_per_decade == 0);
  // Rates around each optimum, with or without edge refinement; kept through the manifest.
  const SweepSpec probed = parse_sweep_spec(kMinimal + "[learning_rate]\nper_decade = 3\noptimum_per_decade = 9\n", "spec.toml");
  CHECK(probed.refine.optimum_per_decade == 9);
  CHECK(probed.refine.enabled());
  CHECK(spec_from_json(spec_to_json(probed), "manifest.json").refine.optimum_per_decade == 9);
  // By default: horizons 10 and 100 where shorter than the run, the grid alone.
  const SweepSpec plain = parse_sweep_spec(kMinimal + "steps = 50\n", "spec.toml");
  CHECK(plain.training.horizons == std::vector<int>{10, 50});
  CHECK(plain.readouts == std::vector<Readout>{Readout::Standard});
  CHECK(!plain.refine.enabled());
  CHECK(plain.analysis.internal_bound == 100);
  CHECK(plain.analysis.margin == 0.125);
  CHECK(plain.analysis.primary == std::vector<std::string>{"optimal", "output"});
  const SweepSpec chosen = parse_sweep_spec(kMinimal + "[analysis]\nmargin = 0.05\nprimary = [\"Internal\", \"final_loss\"]\n", "spec.toml");
  CHECK(chosen.analysis.margin == 0.05);
  CHECK(chosen.analysis.primary == std::vector<std::string>{"internal", "final_loss"});  // the canonical names
}

TEST_CASE("bad values of the new keys are refused with the key named") {
  expect_error(kMinimal + "[model]\nreadout = [\"sp\", \"sp\"]\n", "[model] readout: lists sp twice");
  expect_error(kMinimal + "[model]\nreadout = []\n", "[model] readout: is empty");
  expect_error(kMinimal + "[model]\nreadout = [\"sp\", \"ntk\"]\n", "[model] readout: got 'ntk'; accepted: sp, mup, or a list of them");
  expect_error(kMinimal + "steps = 50\n[analysis]\nhorizons = [60]\n", "[analysis] horizons: got 60; accepted: steps from 1 to [sweep] steps = 50");
  expect_error(kMinimal + "[analysis]\nhorizons = [10, 10]\n", "[analysis] horizons: lists 10 twice");
  expect_error(kMinimal + "[analysis]\nedge_factor = 0.5\n", "[analysis] edge_factor: got 0.5; accepted: a number ≥ 1");
  expect_error(kMinimal + "[analysis]\ninternal_bound = 0\n", "[analysis] internal_bound: got 0");
  expect_error(kMinimal + "[learning_rate]\noptimum_per_decade = -1\n",
               "[learning_rate] optimum_per_decade: got -1; accepted: a whole number from 0 to 1000");
  expect_error(kMinimal + "[analysis]\noptimum_window = -1\n", "[analysis] optimum_window: got -1");
  expect_error(kMinimal + "[analysis]\nmargin = -1\n", "[analysis] margin: got -1; accepted: a margin of exponents from 0 to 10");
  expect_error(kMinimal + "[analysis]\nprimary = [\"optimal\", \"best\"]\n",
               "[analysis] primary: got 'best'; accepted: optimal, final_loss, output, internal, or a list of them");
  expect_error(kMinimal + "[analysis]\nprimary = [\"optimal\", \"optimal\"]\n", "[analysis] primary: lists optimal twice");
  expect_error(kMinimal + "[learning_rate]\nedge_precision = 2\n", "[learning_rate] edge_precision: got 2");
  expect_error(kMinimal + "[learning_rate]\nmax = 1\nedge_precision = 0.1\nextend_up_to = 0.5\n",
               "[learning_rate] extend_up_to: is 0.500000, not above the grid's largest rate 1.000000");
  expect_error(kMinimal + "[learning_rate]\nextend_up_to = 10\n", "[learning_rate] extend_up_to: extends the grid to locate edges, which needs edge_precision > 0");
}

TEST_CASE("the rank and the multiplier are axes: one value or a list, κ by its canonical name") {
  const SweepSpec spec = parse_sweep_spec(kMinimal + "[model]\nrank = [1, 2, 16]\nmultiplier = [\"lora\", \"rslora\", \"3/4\", 0]\nalpha = 2\n",
                                          "spec.toml");
  CHECK(spec.ranks == std::vector<int>{1, 2, 16});
  CHECK(spec.multipliers == std::vector<std::string>{"lora", "rslora", "3/4", "0"});
  CHECK(spec.training.alpha == 2);
  CHECK(spec.configuration_count() == 2 * 2 * 3 * 4 * 2 * 33);  // widths, seeds, ranks, multipliers, schemes, rates
  CHECK(multiplier_exponent(spec.multipliers[2]) == 0.75);
  // "1" and "0.5" are LoRA's and rsLoRA's κ, stored by their names.
  CHECK(parse_sweep_spec(kMinimal + "[model]\nmultiplier = [\"1\", \"0.5\"]\n", "spec.toml").multipliers ==
        std::vector<std::string>{"lora", "rslora"});
  // One rank keeps the default α = r (α/r = 1 under LoRA), one multiplier or several.
  const SweepSpec one = parse_sweep_spec(kMinimal + "[model]\nrank = 8\nmultiplier = \"rslora\"\n", "spec.toml");
  CHECK(one.ranks == std::vector<int>{8});
  CHECK(one.training.alpha == 8);
  // The manifest's spec reads back to the same axes.
  const SweepSpec back = spec_from_json(spec_to_json(spec), "manifest.json");
  CHECK(back.ranks == spec.ranks);
  CHECK(back.multipliers == spec.multipliers);
  CHECK(back.training.alpha == 2);
  CHECK(spec_to_json(back) == spec_to_json(spec));
  CHECK(spec_to_json(spec_from_json(spec_to_json(one), "manifest.json")) == spec_to_json(one));
}

TEST_CASE("bad ranks and multipliers are refused naming the key, the value and what is accepted") {
  expect_error(kMinimal + "[model]\nrank = [1, 2, 1]\nalpha = 1\n", "[model] rank: lists 1 twice");
  expect_error(kMinimal + "[model]\nrank = []\n", "[model] rank: is empty; accepted: a whole number from 1 to 1048576, or a list of them");
  expect_error(kMinimal + "[model]\nrank = [1, 0]\nalpha = 1\n", "[model] rank: got 0; accepted: a whole number from 1 to 1048576");
  expect_error(kMinimal + "[model]\nrank = 2.5\n", "[model] rank: got 2.5; accepted: a whole number");
  expect_error(kMinimal + "[model]\nrank = [2, 128]\nalpha = 1\n", "[model] rank: is 128, larger than the width 64");
  expect_error(kMinimal + "[model]\nrank = [1, 2]\n", "[model] alpha: missing; with a list of ranks give α explicitly");
  expect_error(kMinimal + "[model]\nmultiplier = \"dora\"\n", "[model] multiplier: got 'dora'; accepted: lora, rslora (or rs-lora) or an exponent κ ≥ 0");
  expect_error(kMinimal + "[model]\nmultiplier = \"-1/2\"\n", "[model] multiplier: got '-1/2'");
  expect_error(kMinimal + "[model]\nmultiplier = 0.5\n", "[model] multiplier: got 0.5; accepted:");
  expect_error(kMinimal + "[model]\nmultiplier = [\"lora\", \"1\"]\n", "[model] multiplier: lists lora twice");
  expect_error(kMinimal + "[model]\nmultiplier = []\n", "[model] multiplier: is empty");
}

TEST_CASE("typos and bad values are errors naming the table, the key, the value and what is accepted") {
  expect_error(kMinimal + "stpes = 10\n", "[sweep] stpes: unknown key; accepted keys of [sweep]:");
  expect_error(kMinimal + "[learning_rat]\nmin = 1\n", "unknown table [learning_rat]");
  expect_error("[sweep]\nwidths = [0]\nseeds = 1\nschemes = [\"A\"]\n", "[sweep] widths: got 0");
  expect_error("[sweep]\nwidths = [64]\nseeds = 1\nschemes = [\"Z\"]\n", "[sweep] schemes: got 'Z'; accepted: A, B, AB");
  expect_error("[sweep]\nwidths = [64]\nschemes = [\"A\"]\n", "[sweep] seeds: missing");
  expect_error(kMinimal + "[learning_rate]\nmin = -3\n", "[learning_rate] min: got -3");
  expect_error(kMinimal + "[optimizer]\nkind = \"rmsprop\"\n", "[optimizer] kind: got 'rmsprop'; accepted: adam (or adamw), sgd");
  expect_error(kMinimal + "[optimizer]\nbeta1 = 1.5\n", "[optimizer] beta1: got 1.5; accepted: a number in [0, 1)");
  expect_error(kMinimal + "[init]\nsigma_A_exponent = \"-1//2\"\n", "[init] sigma_A_exponent: '-1//2' is not an exponent");
  expect_error(kMinimal + "[model]\nrank = 100\n", "[model] rank: is 100, larger than the width 64");
  expect_error(kMinimal + "[record]\ncurves = \"yes\"\n", "[record] curves: got 'yes'; accepted: true or false");
  expect_error("[sweep\n", "spec.toml:1: not valid TOML");
}

TEST_CASE("a value of the wrong type is refused naming the key and the type, never replaced by a default; long values shortened") {
  expect_error(kMinimal + "name = 5\n", "[sweep] name: got 5, a whole number; accepted: a quoted string");
  expect_error(kMinimal + "name = [\"a\"]\n", "an array; accepted: a quoted string");
  expect_error(kMinimal + "name = [\"a\"]\n", "[sweep] name: got [");
  try {
    parse_sweep_spec(kMinimal + "scale = \"" + std::string(100000, 'x') + "\"\n", "spec.toml");
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).size() < 400);  // the value shortened, its length said
    CHECK(std::string(e.what()).find("characters)") != std::string::npos);
  }
}

TEST_CASE("specs that make no sense are refused with the key named: repeats, empty lists, zero steps, foreign widths") {
  const std::string axes = "[sweep]\nwidths = [32, 64]\nseeds = 2\nschemes = [\"A\"]\n";
  expect_error("[sweep]\nwidths = [32, 32]\nseeds = 1\nschemes = [\"A\"]\n", "[sweep] widths: lists 32 twice");
  expect_error("[sweep]\nwidths = [32]\nseeds = [0, 0]\nschemes = [\"A\"]\n", "[sweep] seeds: lists 0 twice");
  expect_error("[sweep]\nwidths = [32]\nseeds = 1\nschemes = [\"A\", \"B\", \"A\"]\n", "[sweep] schemes: lists A twice");
  expect_error(axes + "[learning_rate]\nvalues = [0.01, 0.1, 0.01]\n", "[learning_rate] values: lists 0.01 twice");
  expect_error(axes + "[learning_rate]\nvalues = []\n", "[learning_rate] values: is empty");
  expect_error("[sweep]\nwidths = [32]\nseeds = 1\nschemes = [\"A\"]\nsteps = 0\n", "[sweep] steps: got 0");
  expect_error(axes + "[analysis]\nslope_widths = [32, 128]\n", "[analysis] slope_widths: names the width 128");
  expect_error(axes + "[analysis]\nslope_widths = [64, 32]\n", "[analysis] slope_widths: accepted: [smallest, largest]");
  CHECK(parse_sweep_spec(axes + "[analysis]\nslope_widths = [32, 64]\n", "spec.toml").analysis.slope_max_width == 64);
}
