#include "experiments/figures.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cstdlib>

extern char** environ;

namespace gammalab::experiments {

int run_quietly(const std::vector<std::string>& arguments) {
  std::vector<char*> argv;
  for (const auto& argument : arguments) argv.push_back(const_cast<char*>(argument.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t child = 0;
  const int started = posix_spawnp(&child, argv.front(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (started != 0) return 127;
  int status = 0;
  if (waitpid(child, &status, 0) < 0) return 127;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string drawing_python() {
  if (const char* chosen = std::getenv("GAMMALAB_PYTHON")) return chosen;
  for (const char* candidate : {"/usr/bin/python3", "python3"})
    if (run_quietly({candidate, "-c", "import matplotlib"}) == 0) return candidate;
  return "python3";
}

std::string draw_figure(const std::filesystem::path& script, const std::filesystem::path& directory) {
  const std::string python = drawing_python();
  const int status = run_quietly({python, script.string(), directory.string()});
  if (status == 0) return "";
  return python + " " + script.string() + " " + directory.string() + " failed with status " + std::to_string(status) +
         " (is python3-matplotlib installed?)";
}

}  // namespace gammalab::experiments
