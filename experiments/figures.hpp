#pragma once
// Drawing a figure: a script of plots/ run on a result directory by a Python that has
// matplotlib. The script is started with an argument vector, never through a shell, so
// no path needs quoting.
#include <filesystem>
#include <string>
#include <vector>

namespace gammalab::experiments {

// $GAMMALAB_PYTHON, else the first of Debian's python3 and the python3 on PATH that
// imports matplotlib (machines differ in which one has it), else "python3".
std::string drawing_python();

// Runs `arguments` (the program found on PATH), its standard output and error
// discarded, and returns its exit status (127 when it could not be started).
int run_quietly(const std::vector<std::string>& arguments);

// Draws `script` on `directory`; empty on success, else what failed.
std::string draw_figure(const std::filesystem::path& script, const std::filesystem::path& directory);

}  // namespace gammalab::experiments
