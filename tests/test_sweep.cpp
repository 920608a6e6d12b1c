#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gamma/input_error.hpp"
#include "sim/analysis.hpp"
#include "sim/sweep.hpp"

using namespace gammalab;
using namespace gammalab::sim;
namespace fs = std::filesystem;

namespace {

const std::string kSpec =
    "[sweep]\nwidths = [16, 32]\nseeds = 2\nschemes = [\"A\", \"B\"]\nsteps = 30\n"
    "[learning_rate]\nvalues = [0.001, 0.01, 0.1]\n[data]\ntrain_size = 64\ntest_size = 16\nteacher_width = 64\n"
    "[record]\ncurves = true\nevery = 10\n";

std::string read(const fs::path& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

fs::path fresh(const std::string& name) {
  fs::path path = fs::temp_directory_path() / ("gammalab-test-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(path);
  return path;
}

void sweep(const fs::path& dir, int threads, bool resume = false) {
  CpuBackend backend(threads);
  run_sweep(parse_sweep_spec(kSpec, "spec.toml"), {dir, resume, kSpec, {}}, backend, [](const SweepProgress&) {});
}

}  // namespace

TEST_CASE("a sweep writes the same rows whatever the number of threads") {
  fs::path one = fresh("one"), two = fresh("two");
  sweep(one, 1);
  sweep(two, 2);
  CHECK(read(one / "runs.csv") == read(two / "runs.csv"));
  CHECK(read(one / "curves.csv") == read(two / "curves.csv"));
  std::string runs = read(one / "runs.csv");
  CHECK(std::count(runs.begin(), runs.end(), '\n') == 1 + 2 * 2 * 2 * 3);
  CHECK(read(one / "manifest.json").find("\"status\": \"complete\"") != std::string::npos);
  fs::remove_all(one);
  fs::remove_all(two);
}

TEST_CASE("an existing directory is refused without --resume; a resume finishes what an interruption left") {
  fs::path whole = fresh("whole"), cut = fresh("cut");
  sweep(whole, 2);
  CHECK_THROWS_AS(sweep(whole, 2), InputError);

  // Simulate an interruption: keep the header and five rows, the last one half-written.
  sweep(cut, 2);
  std::string runs = read(cut / "runs.csv");
  std::size_t end = 0;
  for (int line = 0; line < 6; ++line) end = runs.find('\n', end) + 1;
  std::ofstream(cut / "runs.csv", std::ios::trunc) << runs.substr(0, end) << runs.substr(end, 20);
  sweep(cut, 1, /*resume=*/true);
  CHECK(read(cut / "runs.csv") == read(whole / "runs.csv"));
  CHECK(read(cut / "curves.csv") == read(whole / "curves.csv"));
  fs::remove_all(whole);
  fs::remove_all(cut);
}

TEST_CASE("resuming into a directory of another spec is refused") {
  fs::path dir = fresh("other");
  sweep(dir, 2);
  CpuBackend backend(1);
  std::string other = kSpec + "[model]\nrank = 2\n";
  CHECK_THROWS_AS(run_sweep(parse_sweep_spec(other, "o.toml"), {dir, true, other, {}}, backend, [](const SweepProgress&) {}),
                  InputError);
  fs::remove_all(dir);
}

TEST_CASE("analysis pieces: least squares and the parabola vertex") {
  CHECK(least_squares_slope({0, 1, 2, 3}, {1, -0.5, -2, -3.5}) == doctest::Approx(-1.5));
  CHECK(parabola_vertex(-1, 1, 0, 0, 1, 1) == doctest::Approx(0));
  CHECK(parabola_vertex(0, 1.5625, 1, 0.0625, 2, 0.5625) == doctest::Approx(1.25));  // three points of (x − 1.25)²
  CHECK(parabola_vertex(0, 4, 1, 1, 2, 0) == doctest::Approx(2));  // (x − 2)²: the vertex is the last point
}

TEST_CASE("analysis recovers a known slope from synthetic runs, with an interval that contains it") {
  // Loss(η, n) = exp((log η − log η*(n))²) with η*(n) = 0.5·n^-3/4, plus seed noise in log η*.
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
        rows.push_back({id++, "A", width, seed, lr, lr, 10.0, diverged ? INFINITY : loss, loss, loss, loss, diverged});
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
}
