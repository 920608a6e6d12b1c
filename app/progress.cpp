#include "app/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace gammalab::app {

ProgressReporter::ProgressReporter(std::string what) : what_(std::move(what)), terminal_(isatty(STDERR_FILENO) == 1) {}

void ProgressReporter::update(std::size_t done, std::size_t total, std::size_t done_this_run, double seconds) {
  double rate = seconds > 0 ? static_cast<double>(done_this_run) / seconds : 0;
  double left = rate > 0 ? static_cast<double>(total - done) / rate : 0;
  char status[160];
  std::snprintf(status, sizeof status, "%zu/%zu %s · %.2f/s · %s", done, total, what_.c_str(), rate,
                rate > 0 ? (std::to_string(static_cast<long>(left + 0.5)) + " s left").c_str() : "starting");
  if (terminal_) {
    const int width = 30;
    int filled = total ? static_cast<int>(width * static_cast<double>(done) / static_cast<double>(total)) : width;
    std::fprintf(stderr, "\r[%s%s] %s   ", std::string(static_cast<std::size_t>(filled), '#').c_str(),
                 std::string(static_cast<std::size_t>(width - filled), '.').c_str(), status);
    std::fflush(stderr);
    drew_ = true;
    return;
  }
  int decile = total ? static_cast<int>(10 * done / total) : 10;
  if (decile != last_decile_ || seconds - last_line_seconds_ >= 30) {
    std::fprintf(stderr, "progress: %s\n", status);
    last_decile_ = decile;
    last_line_seconds_ = seconds;
  }
}

std::function<void(const sim::SweepProgress&)> ProgressReporter::for_sweep(bool quiet) {
  return [this, quiet, round = 0](const sim::SweepProgress& p) mutable {
    if (quiet) return;
    if (p.refinement_round != round) {  // the total grows with each round: say why
      round = p.refinement_round;
      std::fprintf(stderr, "%srefining stability edges: round %d, %zu configurations in all so far\n", terminal_ && drew_ ? "\n" : "",
                   round, p.total);
    }
    update(p.done, p.total, p.done_this_run, p.seconds);
  };
}

void ProgressReporter::finish() {
  if (terminal_ && drew_) std::fprintf(stderr, "\n");
}

}  // namespace gammalab::app
