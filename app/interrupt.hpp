#pragma once
// What a long job says when it is stopped. While a StopMessage lives, SIGINT and SIGTERM
// print its text (how to continue) and end the process with status 128 + the signal:
// every row written so far is complete and kept, a partly written one is dropped by the
// next --resume, and the result directory's lock goes with the process.
#include <string>

namespace gammalab::app {

class StopMessage {
 public:
  explicit StopMessage(const std::string& text);
  ~StopMessage();
  StopMessage(const StopMessage&) = delete;
  StopMessage& operator=(const StopMessage&) = delete;
};

}  // namespace gammalab::app
