#pragma once
// A trainer backend trains a group of configurations that share one frozen student
// (same width and seed), which it builds itself: on the CPU here, on the GPU in cuda/. The CPU backend here trains them one per thread; the GPU
// backend (cuda/) trains the whole group as one batch. Results come back in the order
// of the specs, so the result of a sweep does not depend on the backend's scheduling.
#include <functional>
#include <string>
#include <vector>

#include "sim/model/trainer.hpp"

namespace gammalab::sim {

// Which frozen student a group trains on; each backend builds it where it computes.
struct StudentKey {
  int width;
  Readout readout;
  std::uint64_t seed;
};

class TrainerBackend {
 public:
  virtual ~TrainerBackend() = default;
  virtual std::string describe() const = 0;  // for the manifest: "cpu (2 threads)"
  // How many groups this trainer may train at once, each called from its own thread.
  virtual int concurrent_groups() const { return 1; }
  // `one_done` is called (from any thread, one call at a time) as each configuration ends.
  virtual std::vector<TrainResult> train_group(const Dataset& data, const StudentKey& student,
                                               const std::vector<TrainSpec>& specs,
                                               const std::function<void(std::size_t index, const TrainResult&)>& one_done) = 0;
};

class CpuBackend final : public TrainerBackend {
 public:
  explicit CpuBackend(int threads);
  std::string describe() const override;
  std::vector<TrainResult> train_group(const Dataset& data, const StudentKey& student, const std::vector<TrainSpec>& specs,
                                       const std::function<void(std::size_t, const TrainResult&)>& one_done) override;

 private:
  int threads_;
};

}  // namespace gammalab::sim
