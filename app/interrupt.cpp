#include "app/interrupt.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace gammalab::app {

namespace {

// A signal handler may only call async-signal-safe functions: the text is copied here
// beforehand and written with write(2).
char stop_text[1024];
std::size_t stop_length = 0;
struct sigaction previous_interrupt, previous_terminate;

void on_stop(int signal_number) {
  [[maybe_unused]] const ssize_t written = ::write(STDERR_FILENO, stop_text, stop_length);
  ::_exit(128 + signal_number);
}

}  // namespace

StopMessage::StopMessage(const std::string& text) {
  stop_length = std::min(text.size(), sizeof stop_text);
  std::memcpy(stop_text, text.data(), stop_length);
  struct sigaction action {};
  action.sa_handler = on_stop;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &previous_interrupt);
  sigaction(SIGTERM, &action, &previous_terminate);
}

StopMessage::~StopMessage() {
  sigaction(SIGINT, &previous_interrupt, nullptr);
  sigaction(SIGTERM, &previous_terminate, nullptr);
}

}  // namespace gammalab::app
