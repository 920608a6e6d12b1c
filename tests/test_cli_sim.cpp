#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "run_program.hpp"

namespace fs = std::filesystem;

namespace {
fs::path scratch(const std::string& name) {
  fs::path path = fs::temp_directory_path() / ("gammalab-cli-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(path);
  return path;
}
fs::path write_spec(const std::string& name, const std::string& text) {
  fs::path path = scratch(name + ".toml");
  std::ofstream(path) << text;
  return path;
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
  CHECK(sweep.output.find("engine's maximal stable γ[η] — network -3/4") != std::string::npos);
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
}
