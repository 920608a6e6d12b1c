#pragma once
// What every subcommand shares: bad input is an InputError naming the option, the
// value and what is accepted; main() turns it into a message and exit status 2.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iostream>
#include <string>

#include "gamma/input_error.hpp"

namespace gammalab::app {

inline constexpr int kExitBadInput = 2;

// Throws InputError("--option: message").
[[noreturn]] inline void reject(const std::string& option, const std::string& message) {
  throw InputError(option + ": " + message);
}

// A CPU thread count given as --threads: from 1 to 1024.
inline void check_threads(int threads) {
  if (threads < 1 || threads > 1024) reject("--threads", "must be from 1 to 1024, not " + std::to_string(threads));
}

inline void print_json(const nlohmann::json& document) { std::cout << document.dump(2) << "\n"; }

}  // namespace gammalab::app
