#pragma once
// What every subcommand shares: bad input is an InputError naming the option, the
// value and what is accepted; main() turns it into a message and exit status 2.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iostream>
#include <string>

#include "gamma/input_error.hpp"
#include "gamma/vocabulary.hpp"

namespace gammalab::app {

inline constexpr int kExitBadInput = 2;

// An option that takes one term of a vocabulary, stored as its enum; a bad value is
// refused with the vocabulary's message (the option, the value, what is accepted).
template <class Value, class Target>
CLI::Option* add_term_option(CLI::App& command, const std::string& flag, Target& target,
                             const gamma::Vocabulary<Value>& vocabulary, const std::string& help) {
  return command.add_option_function<std::string>(
      flag,
      [&target, &vocabulary, flag](const std::string& text) {
        try {
          target = vocabulary.parse(text);
        } catch (const InputError& e) {
          throw CLI::ValidationError(flag, e.what());
        }
      },
      help + "; accepted: " + vocabulary.accepted());
}

inline void print_json(const nlohmann::json& document) { std::cout << document.dump(2) << "\n"; }

}  // namespace gammalab::app
