#pragma once
// The directory a sweep writes (DESIGN.md, "Results on disk"):
//   manifest.json  the spec as run, program version, git revision, device, wall time, status
//   runs.csv       one row per trained configuration
//   curves.csv     per-step records, where the spec asks for them
//   summary.json   derived numbers, written by the analysis
// Rows are appended and flushed as configurations finish, so an interrupted sweep
// loses nothing that finished; a resumed one skips them. At the end the files are
// rewritten sorted by configuration id, identical whatever the order of completion.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "sim/trainer.hpp"

namespace gammalab::sim {

struct Configuration {
  std::size_t id;
  std::string scheme;
  int width;
  std::uint64_t seed;
  double lr_A, lr_B;
};

class ResultDirectory {
 public:
  // Creates `path`, or with `resume` reopens it: its manifest's spec_hash must match.
  // Throws InputError when the directory exists without `resume`, or holds another spec.
  ResultDirectory(std::filesystem::path path, bool resume, const nlohmann::json& manifest);

  const std::set<std::size_t>& finished() const { return finished_; }
  void record(const Configuration& configuration, const TrainResult& result);
  // Sorts the files by id and marks the manifest complete with the wall time.
  void complete(double wall_seconds);

  const std::filesystem::path& path() const { return path_; }

 private:
  void write_manifest() const;
  std::filesystem::path path_;
  nlohmann::json manifest_;
  std::set<std::size_t> finished_;
  std::ofstream runs_, curves_;
};

inline const char* kRunsHeader =
    "id,scheme,width,seed,lr_A,lr_B,initial_train_loss,final_train_loss,final_test_loss,mean_last_train_loss,"
    "max_train_loss,diverged,diverged_step,steps_done,fit_residual";
inline const char* kCurvesHeader = "id,step,train_loss,test_loss,lr_factor,norm_Z_A,norm_Z_B";

// Writes `text` to `path` through a temporary file and a rename: never half a file.
void write_atomically(const std::filesystem::path& path, const std::string& text);

}  // namespace gammalab::sim
