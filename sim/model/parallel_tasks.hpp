#pragma once
// A queue of independent tasks on a few threads, the calling thread among them.
#include <cstddef>
#include <functional>

namespace gammalab::sim {

// Runs task(index, worker) once for every index 0 … count−1 on `workers` threads
// (worker 0 is the caller; no more threads than tasks), each thread taking the next
// index whenever it is free, in increasing order. The first task to throw stops the
// others from taking new indices; its exception is rethrown once all have stopped.
void run_tasks(std::size_t count, int workers, const std::function<void(std::size_t index, int worker)>& task);

}  // namespace gammalab::sim
