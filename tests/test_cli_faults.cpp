// Faults a result directory must survive without an exit 0 on a wrong result: two
// writers at once, readers while a sweep writes, two merges at once, a write that fails
// midway (a full disk, here a file-size limit), a stop by SIGINT, paths that are no
// result directory, a spec too large for the machine's memory, files edited after the
// sweep completed (rows deleted with the checksums recomputed too), a summary that is
// missing or stale, numbers that overflow, and malformed manifests and values. Each
// runs the real program (and, for the plots, their reader).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <cstdlib>
#include <algorithm>
#include <fstream>
#include <set>
#include <thread>

#include "result_files.hpp"
#include "run_program.hpp"
#include "sim/sweep/result_directory.hpp"

namespace fs = std::filesystem;

namespace {

// 4 widths × 3 seeds × 2 schemes × 4 rates = 96 configurations with curves: about 20 kB
// of curves.csv, and a second or two of training on one thread.
const std::string kSpec =
    "[sweep]\nwidths = [16, 32, 64, 128]\nseeds = 3\nschemes = [\"A\", \"B\"]\nsteps = 60\n"
    "[learning_rate]\nvalues = [0.001, 0.01, 0.1, 1.0]\n[data]\ntrain_size = 64\ntest_size = 8\nteacher_width = 32\n"
    "[record]\ncurves = true\nevery = 5\n";

fs::path spec_file(const std::string& name) {
  fs::path path = scratch(name + ".toml");
  std::ofstream(path) << kSpec;
  return path;
}

void wait_for(const fs::path& path) {
  for (int i = 0; i < 600 && !fs::exists(path); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(fs::exists(path));
}

// The reference: the same spec trained in one go.
const fs::path& uninterrupted() {
  static const fs::path directory = [] {
    fs::path out = scratch("faults-reference");
    Outcome outcome = run("sweep " + spec_file("faults-reference").string() + " -o " + out.string() + " --threads 1 --quiet");
    REQUIRE(outcome.status == 0);
    return out;
  }();
  return directory;
}

// A spec that trains long enough (2000 steps) to be stopped or joined while it runs.
fs::path slow_spec_file(const std::string& name) {
  fs::path path = scratch(name + ".toml");
  std::string slow = kSpec;
  slow.replace(slow.find("steps = 60"), 10, "steps = 2000");
  std::ofstream(path) << slow;
  return path;
}

// Complete, with every configuration's row exactly once.
void check_whole(const fs::path& directory) {
  const nlohmann::json manifest = nlohmann::json::parse(read_text(directory / "manifest.json"));
  CHECK(manifest["status"] == "complete");
  std::ifstream runs(directory / "runs.csv");
  std::set<std::string> ids;
  std::size_t rows = 0;
  std::string line;
  std::getline(runs, line);  // the header
  for (; std::getline(runs, line); ++rows) ids.insert(line.substr(0, line.find(',')));
  CHECK(rows == manifest["configurations"].get<std::size_t>());
  CHECK(ids.size() == rows);
}

// A copy of a complete directory in which one digit of a loss of `file` is changed: the
// first row's final_train_loss in runs.csv, or its train_loss in curves.csv.
fs::path edited_copy(const fs::path& complete, const std::string& name, const std::string& file) {
  const fs::path copy = scratch(name);
  fs::copy(complete, copy, fs::copy_options::recursive);
  std::string text = read_text(copy / file);
  std::size_t cell = text.find('\n') + 1;  // the first row
  for (int column = 0; column < (file == "runs.csv" ? 7 : 2); ++column) cell = text.find(',', cell) + 1;
  const std::size_t digit = text.find_first_of("12345678", cell);
  REQUIRE(digit < text.find(',', cell));
  ++text[digit];
  std::ofstream(copy / file, std::ios::trunc) << text;
  return copy;
}

// A shell command's exit status and what it printed.
Outcome shell(const std::string& command) {
  const fs::path output = scratch("faults-shell-output");
  const int status = std::system((command + " >" + output.string() + " 2>&1").c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_text(output)};
}

// The process id a writer records on the first line of its directory's .lock.
std::string writer_of(const fs::path& directory) {
  const std::string lock = read_text(directory / ".lock");
  return lock.substr(0, lock.find('\n'));
}

// A copy of a complete directory less the last row of runs.csv, its checksums recorded
// anew: what no checksum can catch, only a count against the plan.
fs::path copy_less_one_row(const fs::path& complete, const std::string& name) {
  const fs::path copy = scratch(name);
  fs::copy(complete, copy, fs::copy_options::recursive);
  std::string runs = read_text(copy / "runs.csv");
  runs.erase(runs.rfind('\n', runs.size() - 2) + 1);
  std::ofstream(copy / "runs.csv", std::ios::trunc) << runs;
  nlohmann::json manifest = nlohmann::json::parse(read_text(copy / "manifest.json"));
  manifest["checksums"] = gammalab::sim::checksums_of(copy);
  std::ofstream(copy / "manifest.json", std::ios::trunc) << manifest.dump(2);
  return copy;
}

void check_same_results(const fs::path& directory) {
  for (const char* file : {"runs.csv", "curves.csv", "summary.json"}) {
    CAPTURE(file);
    CHECK(read_text(directory / file) == read_text(uninterrupted() / file));
  }
}

}  // namespace

TEST_CASE("two writers of one directory: the second is refused at once, naming the first; the result is whole") {
  const fs::path spec = slow_spec_file("faults-two"), out = scratch("faults-two");
  Outcome first;
  std::thread writer([&] { first = run("sweep " + spec.string() + " -o " + out.string() + " --threads 1 --quiet"); });
  wait_for(out / "manifest.json");
  Outcome second = run("sweep " + spec.string() + " -o " + out.string() + " --resume --threads 1 --quiet");
  writer.join();
  CAPTURE(second.output);
  CHECK(first.status == 0);
  CHECK(second.status == 2);
  CHECK(second.output.find("is being written by process") != std::string::npos);
  check_whole(out);
  // Once the first is done the lock is free: a resume finds nothing to train and re-analyses.
  CHECK(run("sweep " + spec.string() + " -o " + out.string() + " --resume --threads 1 --quiet").status == 0);
}

TEST_CASE("a write that fails midway stops the sweep with an error; --resume then completes it, curves included") {
  const fs::path spec = spec_file("faults-full"), out = scratch("faults-full");
  // RLIMIT_FSIZE of 16 × 512 bytes: the manifest fits, curves.csv does not; SIGXFSZ is
  // ignored so that the write fails (EFBIG) as on a full disk instead of killing the process.
  Outcome stopped = run_launched("trap \"\" XFSZ; ulimit -f 16;", "sweep " + spec.string() + " -o " + out.string() + " --threads 1 --quiet");
  CAPTURE(stopped.output);
  CHECK(stopped.status == 1);
  CHECK(stopped.output.find("cannot write") != std::string::npos);
  CHECK(stopped.output.find("--resume") != std::string::npos);
  CHECK(nlohmann::json::parse(read_text(out / "manifest.json"))["status"] == "running");
  Outcome resumed = run("sweep " + spec.string() + " -o " + out.string() + " --resume --threads 1 --quiet");
  CAPTURE(resumed.output);
  CHECK(resumed.status == 0);
  check_same_results(out);
}

TEST_CASE("SIGINT stops a sweep with the --resume command that continues it, and the resumed result is whole") {
  const fs::path spec = slow_spec_file("faults-int"), out = scratch("faults-int");
  Outcome stopped;
  std::thread sweep([&] { stopped = run("sweep " + spec.string() + " -o " + out.string() + " --threads 1 --quiet"); });
  wait_for(out / "manifest.json");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const std::string writer = writer_of(out);  // the process that holds the directory
  REQUIRE_FALSE(writer.empty());
  CHECK(std::system(("kill -INT " + writer).c_str()) == 0);
  sweep.join();
  CAPTURE(stopped.output);
  CHECK(stopped.status == 130);
  CHECK(stopped.output.find("--resume") != std::string::npos);
  CHECK(stopped.output.find(out.string()) != std::string::npos);
  CHECK(nlohmann::json::parse(read_text(out / "manifest.json"))["status"] == "running");
  CHECK(run("sweep " + spec.string() + " -o " + out.string() + " --resume --threads 1 --quiet").status == 0);
  check_whole(out);
}

TEST_CASE("paths that are no result directory get messages that say what to do") {
  const fs::path spec = spec_file("faults-paths");
  EXPECT_BAD_INPUT("sweep " + spec.string() + " -o '' --quiet", "-o: the result directory's path is empty");
  const fs::path stray = scratch("faults-stray");
  fs::create_directories(stray);
  std::ofstream(stray / "notes.txt") << "not a sweep";
  EXPECT_BAD_INPUT("sweep " + spec.string() + " -o " + stray.string() + " --resume --quiet", "has no manifest.json");
  CHECK_FALSE(fs::exists(stray / "runs.csv"));
  // An empty folder is as good as a new one, with or without --resume.
  const fs::path empty = scratch("faults-empty");
  fs::create_directories(empty);
  CHECK(run("sweep " + spec.string() + " -o " + empty.string() + " --resume --threads 1 --quiet").status == 0);
  check_same_results(empty);
}

TEST_CASE("a spec too large for the machine's memory is refused before anything is written, --dry-run included") {
  fs::path spec = scratch("faults-huge.toml");
  std::string huge = kSpec;
  huge.replace(huge.find("[16, 32, 64, 128]"), 17, "[1048576]");  // W_h alone: 8 TiB of doubles
  std::ofstream(spec) << huge;
  const fs::path out = scratch("faults-huge");
  for (const char* dry_run : {"", " --dry-run"}) {
    CAPTURE(dry_run);
    Outcome refused = run("sweep " + spec.string() + " -o " + out.string() + " --device cpu --threads 1 --quiet" + dry_run);
    CAPTURE(refused.output);
    CHECK(refused.status == 2);
    CHECK(refused.output.find("[sweep] widths: width 1048576 needs about") != std::string::npos);
    CHECK(refused.output.find("of memory on the cpu") != std::string::npos);
    CHECK(refused.output.find("available (MemAvailable") != std::string::npos);
    CHECK_FALSE(fs::exists(out));
  }
}

TEST_CASE("--dry-run states the configuration count, the memory and the time, and writes nothing") {
  const fs::path spec = spec_file("faults-dry"), out = scratch("faults-dry");
  Outcome dry = run("sweep " + spec.string() + " -o " + out.string() + " --device cpu --threads 2 --dry-run");
  CAPTURE(dry.output);
  CHECK(dry.status == 0);
  CHECK(dry.output.find("96 configurations") != std::string::npos);
  CHECK(dry.output.find("memory: about") != std::string::npos);
  CHECK(dry.output.find("for each of 2 workers") != std::string::npos);
  CHECK(dry.output.find("FLOP of training") != std::string::npos);
  CHECK(dry.output.find("an estimate") != std::string::npos);
  CHECK_FALSE(fs::exists(out));
  // Refinement's rounds depend on what the grid finds: the estimate says it cannot count them.
  const fs::path refined = scratch("faults-dry-refined.toml");
  std::string text = kSpec;
  text.replace(text.find("[data]"), 6, "edge_precision = 0.05\n[data]");
  std::ofstream(refined) << text;
  Outcome rounds = run("sweep " + refined.string() + " -o " + out.string() + " --device cpu --dry-run");
  CAPTURE(rounds.output);
  CHECK(rounds.status == 0);
  CHECK(rounds.output.find("96 configurations in the grid; edge refinement adds rounds after it") != std::string::npos);
  CHECK_FALSE(fs::exists(out));
}

TEST_CASE("a runs.csv or curves.csv edited after the sweep completed is reported by every reader") {
  // Two shards of the spec, complete, for merge.
  const fs::path spec = spec_file("faults-edited"), shard_1 = scratch("faults-shard-1"), shard_2 = scratch("faults-shard-2");
  for (const auto& [part, shard] : {std::pair{shard_1, "1/2"}, std::pair{shard_2, "2/2"}})
    REQUIRE(run("sweep " + spec.string() + " -o " + part.string() + " --shard " + shard + " --device cpu --threads 1 --quiet").status == 0);
  const std::string changed = " was changed after the sweep completed";
  for (const std::string file : {"runs.csv", "curves.csv"}) {
    CAPTURE(file);
    const fs::path edited = edited_copy(uninterrupted(), "faults-edited-" + file, file);
    const std::string named = (edited / file).string() + changed;
    EXPECT_BAD_INPUT("analyze " + edited.string(), named);
    EXPECT_BAD_INPUT("sweep " + spec.string() + " -o " + edited.string() + " --resume --device cpu --threads 1 --quiet", named);
    CHECK(nlohmann::json::parse(read_text(edited / "manifest.json"))["status"] == "complete");  // the refused resume left it as it was
    const fs::path page = scratch("faults-edited-report.html");
    EXPECT_BAD_INPUT("report " + edited.string() + " -o " + page.string(), named);
    CHECK_FALSE(fs::exists(page));
    // The plot scripts read every file through result_files.py (stdlib only, so any python3
    // runs it; the scripts themselves need matplotlib, which the plots test's Python has).
    Outcome plot = shell("cd " + std::string(GAMMALAB_SOURCE_DIR) + "/plots && python3 -c "
                         "'import sys, result_files; result_files.runs(sys.argv[1]); result_files.curves(sys.argv[1])' " + edited.string());
    CAPTURE(plot.output);
    CHECK(plot.status == 1);
    CHECK(plot.output.find("result_files: " + named) != std::string::npos);

    const fs::path bad_shard = edited_copy(shard_2, "faults-edited-shard-" + file, file), merged = scratch("faults-edited-merged");
    EXPECT_BAD_INPUT("merge " + shard_1.string() + " " + bad_shard.string() + " -o " + merged.string() + " --quiet",
                     (bad_shard / file).string() + changed);
    CHECK_FALSE(fs::exists(merged));
  }
  // The untouched shards merge, and the merged directory's own checksums hold.
  const fs::path merged = scratch("faults-merged");
  REQUIRE(run("merge " + shard_1.string() + " " + shard_2.string() + " -o " + merged.string() + " --quiet").status == 0);
  CHECK(run("analyze " + merged.string()).status == 0);
  check_same_results(merged);
}

TEST_CASE("readers are refused while a sweep writes, naming it; of two merges into one directory one wins") {
  const fs::path spec = slow_spec_file("faults-readers"), out = scratch("faults-readers"), page = scratch("faults-readers.html");
  Outcome sweep;
  std::thread writer([&] { sweep = run("sweep " + spec.string() + " -o " + out.string() + " --threads 1 --quiet"); });
  wait_for(out / "manifest.json");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const std::string pid = writer_of(out);
  for (const std::string& reader : {"analyze " + out.string(), "report " + out.string() + " -o " + page.string()}) {
    CAPTURE(reader);
    Outcome refused = run(reader);
    CAPTURE(refused.output);
    CHECK(refused.status == 2);
    CHECK(refused.output.find(out.string() + " is being written by process " + pid + " (") != std::string::npos);
    CHECK(refused.output.find("sweep " + spec.string()) != std::string::npos);  // its command line
  }
  CHECK_FALSE(fs::exists(out / "summary.json"));
  CHECK_FALSE(fs::exists(page));
  writer.join();
  CHECK(sweep.status == 0);
  check_whole(out);
  CHECK(nlohmann::json::parse(read_text(out / "summary.json"))["status_of_runs"] == "complete");

  // A shard being written is not merged either; a staging folder that is not this
  // merge's is left as it is; of two merges at once exactly one writes the directory.
  const fs::path quick = spec_file("faults-readers-quick"), shard_1 = scratch("faults-readers-1"), shard_2 = scratch("faults-readers-2");
  for (const auto& [part, shard] : {std::pair{shard_1, "1/2"}, std::pair{shard_2, "2/2"}})
    REQUIRE(run("sweep " + quick.string() + " -o " + part.string() + " --shard " + shard + " --threads 1 --quiet").status == 0);
  const std::string shards = " " + shard_1.string() + " " + shard_2.string();
  const fs::path merged = scratch("faults-readers-merged"), staging = merged.string() + ".merging";
  fs::create_directories(staging);
  std::ofstream(staging / "runs.csv") << "another merge's\n";
  Outcome loser = run("merge" + shards + " -o " + merged.string() + " --quiet");
  CAPTURE(loser.output);
  CHECK(loser.status == 2);
  CHECK(loser.output.find("another merge is writing " + merged.string()) != std::string::npos);
  CHECK(loser.output.find("disk full") == std::string::npos);
  CHECK(read_text(staging / "runs.csv") == "another merge's\n");
  CHECK_FALSE(fs::exists(merged));
  fs::remove_all(staging);
  const std::string merge = std::string(GAMMALAB_BINARY) + " merge" + shards + " -o " + merged.string() + " --quiet";
  Outcome both = shell("(" + merge + " & a=$!; " + merge + " & b=$!; s=0; wait $a || s=$((s + 1)); wait $b || s=$((s + 1)); echo failed=$s)");
  CAPTURE(both.output);
  CHECK(both.output.find("failed=1") != std::string::npos);
  CHECK((both.output.find("another merge") != std::string::npos || both.output.find("already exists") != std::string::npos));
  CHECK(nlohmann::json::parse(read_text(merged / "manifest.json"))["status"] == "complete");
  CHECK_FALSE(fs::exists(staging));
}

TEST_CASE("merge -o with a trailing slash writes the directory; an empty name or a dangling link leaves nothing") {
  const fs::path spec = spec_file("faults-o"), shard_1 = scratch("faults-o-1"), shard_2 = scratch("faults-o-2");
  for (const auto& [part, shard] : {std::pair{shard_1, "1/2"}, std::pair{shard_2, "2/2"}})
    REQUIRE(run("sweep " + spec.string() + " -o " + part.string() + " --shard " + shard + " --threads 1 --quiet").status == 0);
  const std::string shards = " " + shard_1.string() + " " + shard_2.string();
  const fs::path slashed = scratch("faults-o-slashed");
  Outcome merged = run("merge" + shards + " -o " + slashed.string() + "/ --quiet");
  CAPTURE(merged.output);
  CHECK(merged.status == 0);
  CHECK(nlohmann::json::parse(read_text(slashed / "manifest.json"))["status"] == "complete");
  CHECK_FALSE(fs::exists(slashed / ".merging"));
  CHECK_FALSE(fs::exists(slashed.string() + ".merging"));
  EXPECT_BAD_INPUT("merge" + shards + " -o '' --quiet", "names no new directory");
  CHECK_FALSE(fs::exists(".merging"));
  const fs::path link = scratch("faults-o-link");
  fs::create_symlink(scratch("faults-o-nowhere"), link);
  EXPECT_BAD_INPUT("merge" + shards + " -o " + link.string() + " --quiet", "which does not exist");
  EXPECT_BAD_INPUT("sweep " + spec.string() + " -o " + link.string() + " --threads 1 --quiet", "which does not exist");
  CHECK_FALSE(fs::exists(link.string() + ".merging"));
  CHECK_FALSE(fs::exists(scratch("faults-o-nowhere")));
  CHECK(fs::is_symlink(link));
}

TEST_CASE("rows are counted against the plan: a row deleted with the checksums recomputed is refused by every reader") {
  const fs::path less = copy_less_one_row(uninterrupted(), "faults-less"), page = scratch("faults-less.html");
  const std::string counted = "95 rows, but the plan of the manifest's spec has 96 configurations";
  EXPECT_BAD_INPUT("analyze " + less.string(), counted);
  EXPECT_BAD_INPUT("report " + less.string() + " -o " + page.string(), counted);
  EXPECT_BAD_INPUT("sweep " + spec_file("faults-less").string() + " -o " + less.string() + " --resume --threads 1 --quiet", counted);
  CHECK_FALSE(fs::exists(page));
}

TEST_CASE("report refuses a sweep without summary.json, or with one that is not the analysis of its rows") {
  const fs::path bare = scratch("faults-bare"), page = scratch("faults-bare.html");
  fs::copy(uninterrupted(), bare, fs::copy_options::recursive);
  fs::remove(bare / "summary.json");  // what a kill right after "complete" leaves
  EXPECT_BAD_INPUT("report " + bare.string() + " -o " + page.string(), "has no summary.json");
  nlohmann::json summary = nlohmann::json::parse(read_text(uninterrupted() / "summary.json"));
  summary["status_of_runs"] = "running";  // analysed while the sweep ran
  std::ofstream(bare / "summary.json") << summary.dump(2);
  EXPECT_BAD_INPUT("report " + bare.string() + " -o " + page.string(), "is not the analysis of the rows there");
  CHECK_FALSE(fs::exists(page));
  CHECK(run("analyze " + bare.string()).status == 0);
  CHECK(run("report " + bare.string() + " -o " + page.string()).status == 0);
}

TEST_CASE("numbers that overflow: Adam's moments at alpha 1e300 diverge the run; sigma beyond a double is refused") {
  std::string huge = kSpec;
  huge.replace(huge.find("[data]"), 6, "[model]\nalpha = 1e300\n[data]");
  const fs::path spec = scratch("faults-alpha.toml"), out = scratch("faults-alpha");
  std::ofstream(spec) << huge;
  REQUIRE(run("sweep " + spec.string() + " -o " + out.string() + " --threads 1 --quiet").status == 0);
  std::ifstream runs(out / "runs.csv");
  std::string line;
  std::getline(runs, line);
  const std::size_t diverged = std::count(line.begin(), line.begin() + static_cast<std::ptrdiff_t>(line.find("diverged,")), ',');
  std::size_t rows = 0, stable = 0;
  for (; std::getline(runs, line); ++rows) {
    std::size_t cell = 0;
    for (std::size_t i = 0; i < diverged; ++i) cell = line.find(',', cell) + 1;
    stable += line[cell] == '0';
  }
  CHECK(rows == 96);
  CHECK(stable == 0);  // nothing trained: none of it is stable

  std::string custom = kSpec;
  custom.replace(custom.find("[\"A\", \"B\"]"), 10, "[\"custom\"]");
  custom += "[init]\nsigma_A_exponent = \"1000\"\n";
  const fs::path custom_spec = scratch("faults-sigma.toml"), custom_out = scratch("faults-sigma");
  std::ofstream(custom_spec) << custom;
  EXPECT_BAD_INPUT("sweep " + custom_spec.string() + " -o " + custom_out.string() + " --threads 1 --quiet",
                   "[init] sigma_A_exponent: \"1000\" gives sigma_A = ");
  CHECK_FALSE(fs::exists(custom_out));
}

TEST_CASE("malformed input is refused naming the file, the key and the value, shortened") {
  // A manifest key of the wrong type names the file and the key.
  const fs::path typed = scratch("faults-typed");
  fs::copy(uninterrupted(), typed, fs::copy_options::recursive);
  nlohmann::json manifest = nlohmann::json::parse(read_text(typed / "manifest.json"));
  manifest["shard"] = 5;
  std::ofstream(typed / "manifest.json", std::ios::trunc) << manifest.dump(2);
  for (const std::string reader : {"analyze ", "report "}) {
    Outcome refused = run(reader + typed.string());
    CAPTURE(refused.output);
    CHECK(refused.status == 2);
    CHECK(refused.output.find((typed / "manifest.json").string() + ": shard is 5; accepted: a shard as K/N") != std::string::npos);
    CHECK(refused.output.find("json.exception") == std::string::npos);
  }
  // CR LF line ends: the message is whole, not hidden behind a carriage return.
  const fs::path crlf = scratch("faults-crlf");
  fs::copy(uninterrupted(), crlf, fs::copy_options::recursive);
  manifest = nlohmann::json::parse(read_text(crlf / "manifest.json"));
  manifest["status"] = "running";
  std::ofstream(crlf / "manifest.json", std::ios::trunc) << manifest.dump(2);
  std::string runs = read_text(crlf / "runs.csv"), windows;
  for (char c : runs) windows += c == '\n' ? std::string("\r\n") : std::string(1, c);
  std::ofstream(crlf / "runs.csv", std::ios::trunc | std::ios::binary) << windows;
  Outcome refused = run("analyze " + crlf.string());
  CAPTURE(refused.output);
  CHECK(refused.status == 2);
  CHECK(refused.output.find("runs.csv:1: the line ends in CR LF") != std::string::npos);
  CHECK(refused.output.find('\r') == std::string::npos);
  // A 100 KB value is shortened; a long one in range is not called out of range.
  const std::string rho = "0." + std::string(100000, '1');
  Outcome long_rho = run("gamma solve --scheme A --rho " + rho);
  CAPTURE(long_rho.output.substr(0, 400));
  CHECK(long_rho.status == 2);
  CHECK(long_rho.output.size() < 1000);
  CHECK(long_rho.output.find("100002 characters, but a number has at most 64 characters") != std::string::npos);
  Outcome long_multiplier = run("gamma solve --scheme A --multiplier " + rho);
  CHECK(long_multiplier.status == 2);
  CHECK(long_multiplier.output.size() < 1000);
  CHECK(long_multiplier.output.find("is not read as a multiplier") != std::string::npos);
  // A directory given as the spec file, and a spec name that is not a string.
  EXPECT_BAD_INPUT("sweep " + typed.string() + " -o " + scratch("faults-nowhere").string(), "is a directory, not a spec file");
  std::string named = kSpec;
  named.replace(named.find("[sweep]\n"), 8, "[sweep]\nname = 5\n");
  const fs::path named_spec = scratch("faults-named.toml");
  std::ofstream(named_spec) << named;
  EXPECT_BAD_INPUT("sweep " + named_spec.string() + " -o " + scratch("faults-named").string(), "[sweep] name: got 5, a whole number");
}
