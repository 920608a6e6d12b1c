#pragma once
// Progress of a long job on standard error: a bar redrawn in place on a terminal
// (done/total, configurations per second, time left), plain lines every 10% or every
// 30 seconds otherwise, so that logs stay readable.
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

#include "sim/sweep/sweep.hpp"

namespace gammalab::app {

class ProgressReporter {
 public:
  explicit ProgressReporter(std::string what);
  // done counts everything finished (also before a resume); done_this_run paces the rate.
  void update(std::size_t done, std::size_t total, std::size_t done_this_run, double seconds);
  void finish();
  // A sweep's progress callback that updates this reporter, or does nothing when quiet.
  std::function<void(const sim::SweepProgress&)> for_sweep(bool quiet);

 private:
  std::string what_;
  bool terminal_;
  int last_decile_ = -1;
  double last_line_seconds_ = 0;
  bool drew_ = false;
};

}  // namespace gammalab::app
