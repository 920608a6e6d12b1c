#include "sim/backend.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

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
  std::atomic<std::size_t> next{0};
  std::mutex report;
  std::exception_ptr failure;
  auto worker = [&] {
    for (std::size_t i; (i = next++) < specs.size();) {
      try {
        results[i] = train(student, specs[i]);
        std::lock_guard lock(report);
        one_done(i, results[i]);
      } catch (...) {
        std::lock_guard lock(report);
        if (!failure) failure = std::current_exception();
        next = specs.size();
      }
    }
  };
  std::vector<std::thread> pool;
  int count = std::min<int>(threads_, static_cast<int>(specs.size()));
  for (int t = 1; t < count; ++t) pool.emplace_back(worker);
  worker();
  for (auto& thread : pool) thread.join();
  if (failure) std::rethrow_exception(failure);
  return results;
}

}  // namespace gammalab::sim
