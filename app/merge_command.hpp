#pragma once
#include <CLI/CLI.hpp>

#include <functional>

namespace gammalab::app {

// `gammalab merge DIR... -o OUT`: the shards of a sweep joined into one directory,
// analysed.
std::function<int()> add_merge_command(CLI::App& app);

}  // namespace gammalab::app
