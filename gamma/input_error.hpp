#pragma once
// The one error type for bad input: its message names what was wrong and what is
// accepted. The command line adds the option's name and exits with status 2.
#include <stdexcept>
#include <string>

namespace gammalab {

struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws InputError("field: message"); the field is an option (--device), a spec key or
// an argument (DIR).
[[noreturn]] inline void reject(const std::string& field, const std::string& message) {
  throw InputError(field + ": " + message);
}

}  // namespace gammalab
