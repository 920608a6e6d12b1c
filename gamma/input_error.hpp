#pragma once
// The one error type for bad input: its message names what was wrong and what is
// accepted. The command line adds the option's name and exits with status 2.
#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>

namespace gammalab {

struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws InputError("field: message"); the field is an option (--device), a spec key or
// an argument (DIR).
[[noreturn]] inline void reject(const std::string& field, const std::string& message) {
  throw InputError(field + ": " + message);
}

// A value as a message shows it: control characters escaped (a CR would return the
// terminal's cursor and hide what came before it), and past `limit` characters cut,
// with its length said, so that a 100 KB value does not bury the message.
inline constexpr std::size_t kShownCharacters = 64;
inline std::string shown(std::string_view text, std::size_t limit = kShownCharacters) {
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < limit; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\r') out += "\\r";
    else if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
      out += escaped;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > limit) out += "… (" + std::to_string(text.size()) + " characters)";
  return out;
}

}  // namespace gammalab
