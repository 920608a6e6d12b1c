#include "sim/model/parallel_tasks.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace gammalab::sim {

void run_tasks(std::size_t count, int workers, const std::function<void(std::size_t index, int worker)>& task) {
  std::atomic<std::size_t> next{0};
  std::mutex failure_lock;
  std::exception_ptr failure;
  auto work = [&](int worker) {
    for (std::size_t i; (i = next++) < count;) {
      try {
        task(i, worker);
      } catch (...) {
        std::lock_guard lock(failure_lock);
        if (!failure) failure = std::current_exception();
        next = count;
      }
    }
  };
  std::vector<std::thread> pool;
  const int threads = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(std::max(workers, 1)), std::max<std::size_t>(count, 1)));
  for (int worker = 1; worker < threads; ++worker) pool.emplace_back(work, worker);
  work(0);
  for (auto& thread : pool) thread.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace gammalab::sim
