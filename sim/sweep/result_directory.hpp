#pragma once
// The directory a sweep writes (docs/design.md, "Results on disk"; the files' columns
// and keys: sim/sweep/result_schema.hpp):
//   manifest.json  the spec as parsed data and its hash, runs_schema, program version,
//                  git revision, device, wall time, status
//   runs.csv       one row per trained configuration
//   curves.csv     per-step records, where the spec asks for them
//   summary.json   derived numbers, written by the analysis
// Rows are appended and flushed as configurations finish, so an interrupted sweep
// loses nothing that finished; a resumed one skips them. At the end the files are
// rewritten sorted by configuration id, identical whatever the order of completion,
// and the manifest records their checksums with status complete (docs/result-guarantees.md).
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <utility>
#include <string>
#include <vector>

#include "sim/sweep/manifest.hpp"
#include "sim/model/trainer.hpp"

namespace gammalab::sim {

struct Configuration {
  std::size_t id;
  std::string scheme;
  int width;
  std::uint64_t seed;
  double lr_A, lr_B;
  double init_sigma = 0;  // the [init_sigma] axis; 0: the scheme's own initial scale
  Readout readout = Readout::Standard;
  int rank = 4;
  std::string multiplier = "lora";  // κ of α/r^κ by its name (SweepSpec::multipliers)
  int round = 0;  // 0: the spec's grid; k: the k-th round of edge refinement (sim/sweep/refinement.hpp)
  int teacher = 0;  // 0 … [data] teachers − 1: whose data set it trains on (sim/model/teacher.hpp)
};

// The text that a configuration adds to runs.csv and curves.csv: what a directory
// writes, and what an MPI rank sends to rank 0.
struct ResultRows {
  std::string runs, curves;
};
ResultRows rows_of(const Configuration& configuration, const TrainResult& result);

// Who may use a result directory at once: an OS lock (flock) on its .lock file, which
// the OS releases on any exit. One writer alone (a sweep; an analysis, which writes
// summary.json), or any number of readers (report, merge reading its shards, Python's
// load). A writer records its process id and command line in the file (the id on the
// first line), so that whoever is refused is told who holds the directory.
enum class Access { Read, Write };
class DirectoryLock {
 public:
  // InputError, starting with `field` (the option or argument that named the
  // directory), naming the process that holds the lock against `access`. A reader of a
  // directory without a .lock that it may not create (a directory of another user, never
  // written by a sweep of this program since) reads it unlocked.
  DirectoryLock(const std::filesystem::path& directory, Access access, const std::string& field);
  ~DirectoryLock();
  DirectoryLock(DirectoryLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;
  DirectoryLock& operator=(DirectoryLock&&) = delete;

 private:
  int fd_ = -1;
};

// The lock of an existing result directory, for its readers (and analyze): where it
// holds no manifest.json, read_manifest's InputError instead, so that a wrong path gets
// its message and no .lock file.
DirectoryLock lock_result_directory(const std::filesystem::path& directory, Access access, const std::string& field);


class ResultDirectory {
 public:
  // Creates `path` (an empty existing folder counts as new), or with `resume` reopens
  // it: its manifest's spec_hash and shard must match, and its rows pass every reader's
  // checks (sim/sweep/sweep.hpp: read_checked_runs). Throws InputError when the directory
  // exists without `resume`, holds no manifest or another spec or shard, or is in use
  // by another process. The directory is owned by this object: a DirectoryLock for
  // writing.
  ResultDirectory(std::filesystem::path path, bool resume, Manifest manifest);
  ~ResultDirectory();
  ResultDirectory(const ResultDirectory&) = delete;
  ResultDirectory& operator=(const ResultDirectory&) = delete;

  const std::set<std::size_t>& finished() const { return finished_; }
  void record(const ResultRows& rows);
  // Every write is checked: the first that fails (a full disk) throws, and what was
  // written in part is dropped by the next --resume, which trains that configuration
  // again.
  // Sorts the files by id and, once its rows pass the checks every reader applies
  // (read_checked_runs: every cell in range, every configuration of the plan present
  // once), marks the manifest complete with the wall time and the files' checksums.
  // InputError, leaving the directory running, where they do not.
  void complete(double wall_seconds);

  const std::filesystem::path& path() const { return path_; }

 private:
  void write_manifest() const;
  std::filesystem::path path_;
  Manifest manifest_;
  std::string runs_header_;
  std::set<std::size_t> finished_;
  std::ofstream runs_, curves_;
  std::optional<DirectoryLock> lock_;
};

// The checksums a complete directory's manifest records under "checksums": the
// fingerprint (FNV-1a, sim/sweep/result_schema.hpp) of runs.csv and of curves.csv as they lie in
// `directory`.
std::map<std::string, std::string> checksums_of(const std::filesystem::path& directory);
// What every reader of a result directory (analyze, --resume, merge, report) calls before
// it reads the rows, so that a file edited after the sweep is reported, not analysed:
// where `manifest` (the directory's) says complete, InputError naming the file whose
// checksum differs from the one recorded, or that is missing. A directory still running
// has no checksums yet; one completed by a gammalab that recorded none is not checked.
void check_checksums(const std::filesystem::path& directory, const Manifest& manifest);

// Writes `text` to `path` through a temporary file and a rename: never half a file.
void write_atomically(const std::filesystem::path& path, const std::string& text);

// InputError naming the file and the line (counted from 1) where `line` (read up to its
// LF) ends in CR: gammalab writes LF alone, and a CR in a message about the cell it ends
// would return the cursor and hide what came before it.
void refuse_crlf(const std::filesystem::path& path, std::size_t number, const std::string& line);
// The complete data rows of a result CSV (no header; a partly written last line is left
// out), each line's end checked by refuse_crlf.
std::vector<std::string> read_csv_rows(const std::filesystem::path& path);
// A result CSV's text: the header, then the rows sorted by configuration id (stable, so
// a configuration's curve keeps its step order).
std::string sorted_csv(const std::string& header, std::vector<std::string> rows);
// The configuration id a row starts with.
std::size_t id_of_row(const std::string& row);

}  // namespace gammalab::sim
