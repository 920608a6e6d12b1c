#include "sim/result_directory.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "gamma/input_error.hpp"
#include "sim/result_schema.hpp"

namespace gammalab::sim {

namespace {

// Rewrites a CSV keeping the rows `keep` accepts, sorted by id.
void rewrite_sorted(const std::filesystem::path& path, const std::string& header, const std::function<bool(std::size_t)>& keep) {
  std::vector<std::string> rows = read_csv_rows(path);
  std::erase_if(rows, [&](const std::string& row) { return !keep(id_of_row(row)); });
  write_atomically(path, sorted_csv(header, std::move(rows)));
}

// Takes the directory's lock or says who holds it; writes this process's id into the file.
int take_lock(const std::filesystem::path& directory) {
  const std::filesystem::path path = directory / ".lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot open " + path.string() + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char holder[32] = {};
    const ssize_t got = ::pread(fd, holder, sizeof holder - 1, 0);
    ::close(fd);
    const std::string pid = got > 0 ? std::string(holder, static_cast<std::size_t>(got)) : "unknown";
    throw InputError("-o: " + directory.string() + " is being written by process " + pid +
                     "; wait for it to finish (then --resume re-analyses it), or choose another directory");
  }
  const std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size()))
    throw std::runtime_error("cannot write " + path.string() + ": " + std::strerror(errno));
  return fd;
}

// Appends and flushes; a failed write (a full disk) stops the sweep here.
void append_checked(std::ofstream& file, const std::string& text, const std::filesystem::path& path) {
  file << text;
  if (!file.flush())
    throw std::runtime_error("cannot write " + path.string() + " (is the disk full?); the sweep stopped: once there is room, "
                             "--resume trains what was not completely written");
}

// The files whose checksums a complete directory's manifest records.
const std::array<const char*, 2> kChecksummedFiles = {"runs.csv", "curves.csv"};

// A file's bytes; empty when it cannot be read.
std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream buffer;
  buffer << file.rdbuf();
  return buffer.str();
}

}  // namespace

std::size_t id_of_row(const std::string& row) {
  const std::string id = row.substr(0, row.find(','));
  if (id.empty() || id.size() > 19 || !std::all_of(id.begin(), id.end(), [](unsigned char c) { return std::isdigit(c); }))
    throw InputError("a result row starts with '" + id.substr(0, 32) + "', not a configuration id: " + row.substr(0, 80));
  return std::stoull(id);
}

std::vector<std::string> read_csv_rows(const std::filesystem::path& path) {
  const std::string text = read_bytes(path);
  std::vector<std::string> rows;
  bool header = true;
  for (std::size_t start = 0, end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    if (std::exchange(header, false) || end == start) continue;
    rows.push_back(text.substr(start, end - start));
  }
  return rows;
}

std::string sorted_csv(const std::string& header, std::vector<std::string> rows) {
  std::stable_sort(rows.begin(), rows.end(), [](const std::string& a, const std::string& b) { return id_of_row(a) < id_of_row(b); });
  std::string text = header + "\n";
  for (const auto& row : rows) text += row + "\n";
  return text;
}

std::map<std::string, std::string> checksums_of(const std::filesystem::path& directory) {
  std::map<std::string, std::string> checksums;
  for (const char* file : kChecksummedFiles) checksums[file] = fingerprint(read_bytes(directory / file));
  return checksums;
}

void check_checksums(const std::filesystem::path& directory, const Manifest& manifest) {
  if (!manifest.complete() || manifest.checksums.empty()) return;
  const std::map<std::string, std::string>& recorded = manifest.checksums;
  const std::string what_to_do = "restore it from a copy, or run the sweep again into a new directory (gammalab sweep SPEC -o NEW)";
  for (const char* name : kChecksummedFiles) {
    const std::filesystem::path file = directory / name;
    if (!recorded.count(name))
      throw InputError((directory / "manifest.json").string() + ": checksums." + name +
                       " is not recorded, so the manifest was edited; " + what_to_do);
    if (!std::filesystem::exists(file))
      throw InputError(file.string() + " is missing, but the manifest recorded its checksum when the sweep completed; " + what_to_do);
    const std::string actual = fingerprint(read_bytes(file));
    if (actual != recorded.at(name))
      throw InputError(file.string() + " was changed after the sweep completed: its checksum (FNV-1a) is " + actual +
                       ", but the manifest recorded " + recorded.at(name) +
                       " at completion, so its rows are not what the sweep wrote; " + what_to_do);
  }
}

void write_atomically(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::path temporary = path;
  temporary += ".partial";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << text;
    if (!out.flush()) {
      out.close();
      std::filesystem::remove(temporary);
      throw std::runtime_error("cannot write " + temporary.string() + " (is the disk full?)");
    }
  }
  std::filesystem::rename(temporary, path);
}

ResultRows rows_of(const Configuration& c, const TrainResult& r) {
  std::string curves;
  for (const auto& p : r.curve) curves += curves_line(c.id, p);
  const RunRow row{c.id,
                   c.scheme,
                   c.width,
                   c.seed,
                   c.lr_A,
                   c.lr_B,
                   r.initial_train_loss,
                   r.final_train_loss,
                   r.final_test_loss,
                   r.mean_last_train,
                   r.max_train_loss,
                   r.diverged,
                   r.diverged_step,
                   r.steps_done,
                   r.fit_residual,
                   c.init_sigma,
                   c.readout,
                   c.rank,
                   c.multiplier,
                   c.round,
                   r.horizons};
  return {runs_line(row), curves};
}

ResultDirectory::ResultDirectory(std::filesystem::path path, bool resume, Manifest manifest)
    : path_(std::move(path)),
      manifest_(std::move(manifest)),
      runs_header_(runs_header(manifest_.sweep_spec("the new manifest").training.horizons)) {
  const auto runs = path_ / "runs.csv", curves = path_ / "curves.csv";
  if (path_.empty()) throw InputError("-o: the result directory's path is empty; give one, e.g. -o results/my-sweep");
  const bool fresh = !std::filesystem::exists(path_) || (std::filesystem::is_directory(path_) && std::filesystem::is_empty(path_));
  if (!fresh) {
    if (!resume)
      throw InputError("-o: " + path_.string() + " already exists; pass --resume to continue that sweep, or choose another directory");
    if (!std::filesystem::is_directory(path_)) throw InputError("-o: " + path_.string() + " is a file, not a result directory");
    lock_ = take_lock(path_);
    if (!std::filesystem::exists(path_ / "manifest.json"))
      throw InputError("--resume: " + path_.string() + " has no manifest.json, so it is not a sweep's result directory; "
                       "choose a new directory with -o");
    const Manifest previous = read_manifest(path_);
    if (previous.experiment != ExperimentKind::Sweep || previous.spec_hash != manifest_.spec_hash)
      throw InputError("--resume: " + path_.string() + " holds another sweep (its manifest's spec_hash differs); choose another directory");
    const std::string shard_before = previous.shard.value_or("1/1"), shard_now = manifest_.shard.value_or("1/1");
    if (shard_before != shard_now)
      throw InputError("--resume: " + path_.string() + " holds shard " + shard_before + " of this sweep, not " + shard_now +
                       "; resume it with --shard " + shard_before);
    check_checksums(path_, previous);
    // Only rows that were completely written count as finished; the curves of a
    // configuration are written before its row, so curves without a row are dropped.
    for (const auto& row : read_csv_rows(runs)) finished_.insert(id_of_row(row));
    rewrite_sorted(runs, runs_header_, [&](std::size_t id) { return finished_.count(id) > 0; });
    if (std::filesystem::exists(curves))
      rewrite_sorted(curves, curves_header(), [&](std::size_t id) { return finished_.count(id) > 0; });
  } else {
    std::filesystem::create_directories(path_);
    lock_ = take_lock(path_);
    write_atomically(runs, runs_header_ + "\n");
    write_atomically(curves, curves_header() + "\n");
  }
  manifest_.status = "running";
  write_manifest();
  runs_.open(runs, std::ios::app);
  curves_.open(curves, std::ios::app);
}

ResultDirectory::~ResultDirectory() {
  if (lock_ >= 0) ::close(lock_);
}

void ResultDirectory::record(const ResultRows& rows) {
  // The curves first: a row in runs.csv says its configuration is completely written.
  append_checked(curves_, rows.curves, path_ / "curves.csv");
  append_checked(runs_, rows.runs, path_ / "runs.csv");
  for (std::size_t start = 0, end; (end = rows.runs.find('\n', start)) != std::string::npos; start = end + 1)
    finished_.insert(id_of_row(rows.runs.substr(start, end - start)));
}

void ResultDirectory::complete(double wall_seconds) {
  runs_.close();
  curves_.close();
  rewrite_sorted(path_ / "runs.csv", runs_header_, [](std::size_t) { return true; });
  rewrite_sorted(path_ / "curves.csv", curves_header(), [](std::size_t) { return true; });
  manifest_.status = "complete";
  manifest_.wall_seconds = wall_seconds;
  manifest_.checksums = checksums_of(path_);
  write_manifest();
}

void ResultDirectory::write_manifest() const { sim::write_manifest(path_, manifest_); }

}  // namespace gammalab::sim
