#pragma once
// Every engine computation has a bound on its work. Exact arithmetic has no natural
// end: where the exponents never settle (the network setting under SGD with two rates
// free: the output's exponent feeds the gradient's, and each step multiplies the affine
// pieces), deciding the regions costs more each step, without bound. So the engine
// counts its elementary steps — each linear condition that Fourier–Motzkin elimination
// forms or reads, the one operation every region and exponent is decided by — and a
// computation that passes kWorkLimit of them stops with WorkLimitReached, a refusal
// that says so, instead of running on. The limit is a second or two of work on one core;
// the costliest model that does settle or reach its horizon, Init[B] in the network
// setting under SGD with one rate free, uses about a quarter of it.
//
// A computation is what runs inside the outermost WorkLimit of a thread: the engine's
// entry points (gamma::answer, run_dynamics, max_stable_law) and the reports built on
// them each open one, and nested ones count against the outer. A caller that must stop
// sooner (the page's server, when a client leaves or a deadline passes) opens its own
// with a `stop` check, asked every few thousand steps.
#include <cstdint>
#include <functional>
#include <string>

#include "gamma/input_error.hpp"

namespace gammalab::gamma {

inline constexpr std::uint64_t kWorkLimit = 200'000;

struct WorkLimitReached : InputError {
  using InputError::InputError;
};

class WorkLimit {
 public:
  // `stop` returns a reason to stop now ("the client left"), or "" to go on.
  explicit WorkLimit(std::uint64_t steps = kWorkLimit, std::function<std::string()> stop = {});
  ~WorkLimit();
  WorkLimit(const WorkLimit&) = delete;
  WorkLimit& operator=(const WorkLimit&) = delete;

 private:
  bool outermost_;
};

// Counts `steps` elementary steps against this thread's computation; throws
// WorkLimitReached past its limit or when its `stop` says so. Without a WorkLimit open,
// nothing is counted.
void count_work(std::uint64_t steps);

}  // namespace gammalab::gamma
