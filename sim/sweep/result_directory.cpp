#include "sim/sweep/result_directory.hpp"

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
#include "sim/sweep/request_names.hpp"
#include "sim/sweep/result_schema.hpp"
#include "sim/sweep/sweep.hpp"

namespace gammalab::sim {

namespace {

// Rewrites a CSV keeping the rows `keep` accepts, sorted by id.
void rewrite_sorted(const std::filesystem::path& path, const std::string& header, const std::function<bool(std::size_t)>& keep) {
  std::vector<std::string> rows = read_csv_rows(path);
  std::erase_if(rows, [&](const std::string& row) { return !keep(id_of_row(row)); });
  write_atomically(path, sorted_csv(header, std::move(rows)));
}

// Appends and flushes; a failed write (a full disk) stops the sweep here.
void append_checked(std::ofstream& file, const std::string& text, const std::filesystem::path& path) {
  file << text;
  if (!file.flush())
    throw std::runtime_error("cannot write " + path.string() + " (is the disk full?); the sweep stopped: once there is room, " +
                             request_names().resume + " trains what was not completely written");
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

// This process as a .lock file records it: its id, then its command line (shortened
// to what a message can show whole).
std::string this_process() {
  constexpr std::size_t kCommandCharacters = 320;
  std::string command = read_bytes("/proc/self/cmdline");
  std::replace(command.begin(), command.end(), '\0', ' ');
  while (!command.empty() && command.back() == ' ') command.pop_back();
  return std::to_string(::getpid()) + "\n" + shown(command, kCommandCharacters) + "\n";
}

// The writer a .lock file names: "process 1234 (gammalab sweep …)".
std::string holder_of(int fd) {
  char text[512] = {};
  const ssize_t got = ::pread(fd, text, sizeof text - 1, 0);
  const std::string content = got > 0 ? std::string(text, static_cast<std::size_t>(got)) : "";
  const std::size_t end_of_pid = content.find('\n');
  if (content.empty() || end_of_pid == 0) return "another process (which has not yet recorded its id)";
  const std::string pid = content.substr(0, end_of_pid);
  std::string command = end_of_pid == std::string::npos ? "" : content.substr(end_of_pid + 1);
  while (!command.empty() && command.back() == '\n') command.pop_back();
  return "process " + shown(pid) + (command.empty() ? "" : " (" + command + ")");
}

}  // namespace

std::size_t id_of_row(const std::string& row) {
  const std::string id = row.substr(0, row.find(','));
  if (id.empty() || id.size() > 19 || !std::all_of(id.begin(), id.end(), [](unsigned char c) { return std::isdigit(c); }))
    throw InputError("a result row starts with '" + shown(id) + "', not a configuration id: " + shown(row));
  return std::stoull(id);
}

void refuse_crlf(const std::filesystem::path& path, std::size_t number, const std::string& line) {
  if (!line.empty() && line.back() == '\r')
    throw InputError(path.string() + ":" + std::to_string(number) + ": the line ends in CR LF (a Windows line end), but gammalab "
                     "writes LF alone; convert the file back (dos2unix " + path.string() + ")");
}

std::vector<std::string> read_csv_rows(const std::filesystem::path& path) {
  const std::string text = read_bytes(path);
  std::vector<std::string> rows;
  std::size_t line = 1;
  for (std::size_t start = 0, end; (end = text.find('\n', start)) != std::string::npos; start = end + 1, ++line) {
    refuse_crlf(path, line, text.substr(start, end - start));
    if (line == 1 || end == start) continue;
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
  const std::string what_to_do = "restore it from a copy, or run the sweep again into a new result directory";
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

DirectoryLock::DirectoryLock(const std::filesystem::path& directory, Access access, const std::string& field) {
  const std::filesystem::path path = directory / ".lock";
  fd_ = ::open(path.c_str(), (access == Access::Write ? O_RDWR : O_RDONLY) | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0 && access == Access::Read && (errno == EACCES || errno == EROFS)) fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) {
    if (access == Access::Read && (errno == ENOENT || errno == EACCES || errno == EROFS)) return;  // no writer has it
    throw std::runtime_error("cannot open " + path.string() + ": " + std::strerror(errno));
  }
  if (::flock(fd_, (access == Access::Write ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
    // Held against us: by a writer, or (where a shared lock can be had) by readers only.
    const bool readers_only = access == Access::Write && ::flock(fd_, LOCK_SH | LOCK_NB) == 0;
    const std::string holder = readers_only ? "" : holder_of(fd_);
    ::close(fd_);
    fd_ = -1;
    if (readers_only)
      throw InputError(field + ": " + directory.string() + " is being read by another process (a report, a merge or a load); "
                       "wait for it to finish, or choose another directory");
    throw InputError(field + ": " + directory.string() + " is being written by " + holder +
                     "; wait for it to finish (then " + request_names().resume + " or another analysis reads what it wrote), "
                     "or choose another directory");
  }
  if (access == Access::Read) return;
  const std::string me = this_process();
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, me.data(), me.size(), 0) != static_cast<ssize_t>(me.size())) {
    const int error = errno;
    ::close(fd_);
    throw std::runtime_error("cannot write " + path.string() + ": " + std::strerror(error));
  }
}

DirectoryLock::~DirectoryLock() {
  if (fd_ >= 0) ::close(fd_);
}

DirectoryLock lock_result_directory(const std::filesystem::path& directory, Access access, const std::string& field) {
  if (!std::filesystem::is_regular_file(directory / "manifest.json")) read_manifest(directory, field);  // says why it is none
  return DirectoryLock(directory, access, field);
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
                   r.horizons,
                   c.teacher};
  return {runs_line(row), curves};
}

ResultDirectory::ResultDirectory(std::filesystem::path path, bool resume, Manifest manifest)
    : path_(std::move(path)),
      manifest_(std::move(manifest)),
      runs_header_(runs_header(manifest_.sweep_spec("the new manifest").training.horizons)) {
  const auto runs = path_ / "runs.csv", curves = path_ / "curves.csv";
  const RequestNames& names = request_names();
  if (path_.empty())
    throw InputError(names.output + ": the result directory's path is empty; give one, e.g. results/my-sweep");
  const auto status = std::filesystem::symlink_status(path_);
  if (std::filesystem::is_symlink(status) && !std::filesystem::exists(path_))
    throw InputError(names.output + ": " + path_.string() + " is a symbolic link to " + std::filesystem::read_symlink(path_).string() +
                     ", which does not exist; give the directory itself, or remove the link");
  if (std::filesystem::exists(path_) && !std::filesystem::is_directory(path_))
    throw InputError(names.output + ": " + path_.string() + " is a file, not a result directory");
  // Nothing but a lock: a new directory (an empty existing folder counts as new).
  auto holds_nothing = [&] {
    for (const auto& entry : std::filesystem::directory_iterator(path_))
      if (entry.path().filename() != ".lock") return false;
    return true;
  };
  auto refuse_existing = [&] {
    throw InputError(names.output + ": " + path_.string() + " already exists; pass " + names.resume +
                     " to continue that sweep, or choose another directory");
  };
  // Refused before the lock, so that a directory that is not ours gets no .lock file.
  if (!resume && std::filesystem::exists(path_) && !holds_nothing()) refuse_existing();
  std::filesystem::create_directories(path_);
  lock_.emplace(path_, Access::Write, names.output);
  if (!holds_nothing()) {  // looked at again under the lock: another sweep may have written it meanwhile
    if (!resume) refuse_existing();
    const std::string new_directory = "choose a new directory with " + names.output;
    const Manifest previous = read_manifest(path_, names.resume, new_directory);
    if (previous.experiment != ExperimentKind::Sweep || previous.spec_hash != manifest_.spec_hash)
      throw InputError(names.resume + ": " + path_.string() + " holds another sweep (its manifest's spec_hash differs); choose another directory");
    const std::string shard = previous.shard.value_or("1/1");
    if (shard != manifest_.shard.value_or("1/1"))
      throw InputError(names.resume + ": " + path_.string() + " holds shard " + shard + " of this sweep, not " +
                       manifest_.shard.value_or("1/1") + "; resume it as " + names.shard + " " + shard);
    check_checksums(path_, previous);
    // Only rows that were completely written count as finished; the curves of a
    // configuration are written before its row, so curves without a row are dropped.
    for (const auto& row : read_csv_rows(runs)) finished_.insert(id_of_row(row));
    rewrite_sorted(runs, runs_header_, [&](std::size_t id) { return finished_.count(id) > 0; });
    if (std::filesystem::exists(curves))
      rewrite_sorted(curves, curves_header(), [&](std::size_t id) { return finished_.count(id) > 0; });
    read_checked_runs(path_, previous);  // what is kept must be what any reader would accept
  } else {
    write_atomically(runs, runs_header_ + "\n");
    write_atomically(curves, curves_header() + "\n");
  }
  manifest_.status = "running";
  write_manifest();
  runs_.open(runs, std::ios::app);
  curves_.open(curves, std::ios::app);
}

ResultDirectory::~ResultDirectory() = default;

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
  Manifest complete = manifest_;
  complete.status = "complete";
  read_checked_runs(path_, complete);
  manifest_ = std::move(complete);
  manifest_.wall_seconds = wall_seconds;
  manifest_.checksums = checksums_of(path_);
  write_manifest();
}

void ResultDirectory::write_manifest() const { sim::write_manifest(path_, manifest_); }

}  // namespace gammalab::sim
