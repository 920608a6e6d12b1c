#include "gamma/work_limit.hpp"

#include <utility>

namespace gammalab::gamma {

namespace {

// How often, in steps, the `stop` check is asked: often enough to stop within a few
// milliseconds, seldom enough to cost nothing.
constexpr std::uint64_t kStopCheckInterval = 4096;

struct Computation {
  bool open = false;
  std::uint64_t used = 0, limit = 0, next_stop_check = 0;
  std::function<std::string()> stop;
};

thread_local Computation current;

}  // namespace

WorkLimit::WorkLimit(std::uint64_t steps, std::function<std::string()> stop) : outermost_(!current.open) {
  if (outermost_) current = {true, 0, steps, kStopCheckInterval, std::move(stop)};
}

WorkLimit::~WorkLimit() {
  if (outermost_) current = {};
}

void count_work(std::uint64_t steps) {
  if (!current.open) return;
  current.used += steps;
  if (current.used > current.limit)
    throw WorkLimitReached("the engine stopped at its work limit (" + std::to_string(current.limit) +
                           " elementary steps, a second or two): the regions of this model cost more at every step "
                           "without settling; fix one of the free parameters to a number, or choose fewer free ones");
  if (current.stop && current.used >= current.next_stop_check) {
    current.next_stop_check = current.used + kStopCheckInterval;
    if (std::string reason = current.stop(); !reason.empty()) throw WorkLimitReached("the engine stopped: " + reason);
  }
}

}  // namespace gammalab::gamma
