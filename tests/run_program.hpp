#pragma once
// Runs the real gammalab program, as a user would, capturing what it prints (standard
// output and error together) and its exit status.
#include <array>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <sys/wait.h>

struct Outcome {
  int status;
  std::string output;
};

// `launcher` goes before the program: "mpirun -np 2", or nothing.
inline Outcome run_launched(const std::string& launcher, const std::string& arguments) {
  std::string command = launcher + " " + std::string(GAMMALAB_BINARY) + " " + arguments + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot start " + command);
  std::string output;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe)) output += buffer.data();
  int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

inline Outcome run(const std::string& arguments) { return run_launched("", arguments); }

// Bad input: exit status 2 and a message containing `named`.
#define EXPECT_BAD_INPUT(arguments, named)                 \
  do {                                                     \
    Outcome outcome_ = run(arguments);                     \
    CAPTURE(outcome_.output);                              \
    CHECK(outcome_.status == 2);                           \
    CHECK(outcome_.output.find(named) != std::string::npos); \
  } while (false)
