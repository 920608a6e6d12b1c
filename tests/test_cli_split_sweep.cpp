// A sweep split three ways — one process, two MPI ranks, two shards merged — must
// leave the same result directory (a sweep spread across GPUs and hosts). On the CPU
// the rows are bit-identical, so the files are compared byte for byte.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "result_files.hpp"
#include "run_program.hpp"

namespace fs = std::filesystem;

namespace {

void check_same_directory(const fs::path& expected, const fs::path& actual) {
  CAPTURE(actual);
  for (const char* file : {"runs.csv", "curves.csv", "summary.json"}) {
    CAPTURE(file);
    CHECK(read_text(actual / file) == read_text(expected / file));
  }
  CHECK(manifest_without_how(actual) == manifest_without_how(expected));
}

const std::string kSpec =
    "[sweep]\nwidths = [16, 32, 64]\nseeds = 2\nschemes = [\"A\", \"B\"]\nsteps = 20\n"
    "[learning_rate]\nvalues = [0.001, 0.01, 0.1, 1.0]\n[data]\ntrain_size = 32\ntest_size = 8\nteacher_width = 32\n"
    "[record]\ncurves = true\nevery = 5\n";

bool mpi_compiled_in() {
  Outcome device = run("device --json");
  return nlohmann::json::parse(device.output)["mpi"] != "not compiled in";
}

// Open MPI refuses to run as root (as CI does) unless told that it is meant.
const std::string kMpirun = "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun --oversubscribe -np 2";

}  // namespace

TEST_CASE("one process, two MPI ranks and two merged shards write the same directory") {
  fs::path spec = scratch("spec.toml");
  std::ofstream(spec) << kSpec;
  const std::string sweep = "sweep " + spec.string() + " --device cpu --threads 1 --quiet -o ";
  fs::path single = scratch("single"), ranks = scratch("ranks"), first = scratch("shard1"), second = scratch("shard2"),
           merged = scratch("merged");

  Outcome one = run(sweep + single.string());
  REQUIRE_MESSAGE(one.status == 0, one.output);
  const std::string runs = read_text(single / "runs.csv");
  CHECK(std::count(runs.begin(), runs.end(), '\n') == 1 + 3 * 2 * 2 * 4);

  for (const auto& [part, directory] : {std::pair{"1/2", first}, std::pair{"2/2", second}}) {
    Outcome shard = run(sweep + directory.string() + " --shard " + part);
    REQUIRE_MESSAGE(shard.status == 0, shard.output);
  }
  // Balanced by FLOPs, groups costing 4, 4, 2, 2, 1, 1 (widths 64, 32, 16; two seeds)
  // split as 4 + 2 + 1 each: every shard holds one seed of each width, 24 rows.
  const std::string part = read_text(first / "runs.csv");
  CHECK(std::count(part.begin(), part.end(), '\n') == 1 + 24);
  CHECK(part.find(",B,64,") != std::string::npos);
  Outcome merge = run("merge " + second.string() + " " + first.string() + " -o " + merged.string() + " --quiet");
  REQUIRE_MESSAGE(merge.status == 0, merge.output);
  check_same_directory(single, merged);
  // One shard alone is not a sweep: analyze and report both say so.
  EXPECT_BAD_INPUT("analyze " + first.string(), "holds shard 1/2 of a sweep, not all of it");
  EXPECT_BAD_INPUT("report " + first.string() + " -o " + (first / "report.html").string(), "holds shard 1/2 of a sweep, not all of it");

  if (mpi_compiled_in()) {
    Outcome mpi = run_launched(kMpirun, sweep + ranks.string());
    REQUIRE_MESSAGE(mpi.status == 0, mpi.output);
    check_same_directory(single, ranks);
    CHECK(read_text(ranks / "manifest.json").find("2 MPI ranks: 2 × cpu (1 thread)") != std::string::npos);
  } else {
    MESSAGE("this gammalab has no MPI: checking that it says so instead of running two ranks");
    EXPECT_BAD_INPUT(sweep + ranks.string() + " --mpi", "--mpi: MPI is not compiled into this gammalab");
    CHECK_FALSE(fs::exists(ranks));
  }
  for (const auto& directory : {spec, single, ranks, first, second, merged}) fs::remove_all(directory);
}

TEST_CASE("a sweep whose edges and optima are refined: two shards merged equal the unsplit sweep; MPI ranks are refused") {
  fs::path spec = scratch("refined.toml");
  std::ofstream(spec) << kSpec << "[analysis]\nhorizons = [5]\n" << "";
  std::string text = read_text(spec);
  text.replace(text.find("[learning_rate]\n"), 16, "[learning_rate]\nedge_precision = 0.1\nextend_up_to = 10\noptimum_per_decade = 6\n");
  std::ofstream(spec) << text;
  const std::string sweep = "sweep " + spec.string() + " --device cpu --threads 1 --quiet -o ";
  fs::path single = scratch("refined-single"), first = scratch("refined-1"), second = scratch("refined-2"),
           merged = scratch("refined-merged"), ranks = scratch("refined-ranks");
  Outcome one = run(sweep + single.string());
  REQUIRE_MESSAGE(one.status == 0, one.output);
  const std::string runs = read_text(single / "runs.csv");
  CHECK(std::count(runs.begin(), runs.end(), '\n') > 1 + 3 * 2 * 2 * 4);  // refined rows after the grid's
  // Rates around the optima among them: 10^(1/6) times an inner grid rate, which no
  // section of the grid's decades proposes.
  CHECK((runs.find(",0.1467799267") != std::string::npos || runs.find(",0.01467799267") != std::string::npos));
  for (const auto& [part, directory] : {std::pair{"1/2", first}, std::pair{"2/2", second}}) {
    Outcome shard = run(sweep + directory.string() + " --shard " + part);
    REQUIRE_MESSAGE(shard.status == 0, shard.output);
  }
  Outcome merge = run("merge " + first.string() + " " + second.string() + " -o " + merged.string() + " --quiet");
  REQUIRE_MESSAGE(merge.status == 0, merge.output);
  check_same_directory(single, merged);
  if (mpi_compiled_in()) {
    Outcome mpi = run_launched(kMpirun, sweep + ranks.string());
    CHECK(mpi.status != 0);
    CHECK(mpi.output.find("[learning_rate] edge_precision: edge refinement runs in rounds within one process") != std::string::npos);
  }
  for (const auto& directory : {spec, single, ranks, first, second, merged}) fs::remove_all(directory);
}

TEST_CASE("merge refuses what is not one sweep's complete set of shards, and leaves nothing behind") {
  fs::path spec = scratch("refuse.toml"), other_spec = scratch("other.toml");
  std::ofstream(spec) << kSpec;
  std::ofstream(other_spec) << kSpec << "[model]\nrank = 2\n";
  fs::path first = scratch("r1"), second = scratch("r2"), other = scratch("r-other"), out = scratch("r-out");
  const std::string options = " --device cpu --threads 1 --quiet -o ";
  REQUIRE(run("sweep " + spec.string() + options + first.string() + " --shard 1/2").status == 0);
  REQUIRE(run("sweep " + other_spec.string() + options + other.string() + " --shard 2/2").status == 0);

  EXPECT_BAD_INPUT("merge " + first.string() + " -o " + out.string(), "shard 2/2 missing");
  EXPECT_BAD_INPUT("merge " + first.string() + " " + other.string() + " -o " + out.string(), "spec_hash");
  EXPECT_BAD_INPUT("merge " + first.string() + " " + first.string() + " -o " + out.string(), "given twice");
  EXPECT_BAD_INPUT("analyze " + first.string(), "holds shard 1/2 of a sweep");
  EXPECT_BAD_INPUT("sweep " + spec.string() + options + first.string() + " --shard 2/2 --resume", "holds shard 1/2");
  EXPECT_BAD_INPUT("sweep " + spec.string() + options + second.string() + " --shard 0/2", "--shard: '0/2' is not a shard");
  CHECK_FALSE(fs::exists(out));
  CHECK_FALSE(fs::exists(second));
  fs::path staging = out;
  staging += ".merging";
  CHECK_FALSE(fs::exists(staging));

  // An interrupted shard is not merged: it names the command that finishes it.
  REQUIRE(run("sweep " + spec.string() + options + second.string() + " --shard 2/2").status == 0);
  std::string manifest = read_text(second / "manifest.json");
  manifest.replace(manifest.find("\"complete\""), 10, "\"running\"");
  std::ofstream(second / "manifest.json", std::ios::trunc) << manifest;
  EXPECT_BAD_INPUT("merge " + first.string() + " " + second.string() + " -o " + out.string(), "--shard 2/2 --resume");
  CHECK_FALSE(fs::exists(out));

  // A shard whose rows were edited after the fact is named, not merge's staging folder.
  std::ofstream(second / "manifest.json", std::ios::trunc) << manifest.replace(manifest.find("\"running\""), 9, "\"complete\"");
  std::string runs = read_text(second / "runs.csv");
  runs.replace(runs.rfind(",A,"), 3, ",A,oops,");
  std::ofstream(second / "runs.csv", std::ios::trunc) << runs;
  Outcome tampered = run("merge " + first.string() + " " + second.string() + " -o " + out.string() + " --quiet");
  CAPTURE(tampered.output);
  CHECK(tampered.status == 2);
  CHECK(tampered.output.find((second / "runs.csv").string()) != std::string::npos);
  CHECK(tampered.output.find(".merging") == std::string::npos);
  CHECK_FALSE(fs::exists(out));
  for (const auto& path : {spec, other_spec, first, second, other, out}) fs::remove_all(path);
}
