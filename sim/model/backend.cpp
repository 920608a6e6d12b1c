#include "sim/model/backend.hpp"

#include <algorithm>
#include <mutex>

#include "sim/model/parallel_tasks.hpp"

namespace gammalab::sim {

CpuBackend::CpuBackend(int threads) : threads_(std::max(1, threads)) {}

std::string CpuBackend::describe() const {
  return "cpu (" + std::to_string(threads_) + (threads_ == 1 ? " thread)" : " threads)");
}

std::vector<TrainResult> CpuBackend::train_group(const Dataset& data, const StudentKey& key,
                                                 const std::vector<TrainSpec>& specs,
                                                 const std::function<void(std::size_t, const TrainResult&)>& one_done) {
  auto frozen = make_frozen_student(data, key.width, key.readout, key.seed);
  const FrozenStudent& student = *frozen;
  // Each configuration is trained start to finish by one thread with single-threaded
  // Eigen, so its numbers do not depend on how many threads share the work.
  std::vector<TrainResult> results(specs.size());
  std::mutex report;
  run_tasks(specs.size(), threads_, [&](std::size_t i, int) {
    results[i] = train(student, specs[i]);
    std::lock_guard lock(report);
    one_done(i, results[i]);
  });
  return results;
}

}  // namespace gammalab::sim
