#pragma once
// A queue of independent tasks on a few threads, the calling thread among them.
#include <cstddef>
#include <functional>
#include <mutex>

namespace gammalab::sim {

// Runs task(index, worker) once for every index 0 … count−1 on `workers` threads
// (worker 0 is the caller; no more threads than tasks), each thread taking the next
// index whenever it is free, in increasing order. The first task to throw stops the
// others from taking new indices; its exception is rethrown once all have stopped.
void run_tasks(std::size_t count, int workers, const std::function<void(std::size_t index, int worker)>& task);

// Counts finished tasks for a progress callback (done, total) that is not thread-safe:
// one call at a time, the counts in order. An empty callback is never called.
class TaskProgress {
 public:
  TaskProgress(std::size_t total, std::function<void(std::size_t, std::size_t)> report)
      : total_(total), report_(std::move(report)) {}
  void one_done() {
    std::lock_guard lock(mutex_);
    ++done_;
    if (report_) report_(done_, total_);
  }

 private:
  std::size_t done_ = 0, total_;
  std::function<void(std::size_t, std::size_t)> report_;
  std::mutex mutex_;
};

}  // namespace gammalab::sim
