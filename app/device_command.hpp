#pragma once
#include <CLI/CLI.hpp>

#include <functional>

namespace gammalab::app {

// `gammalab device`: which GPU this build can use, if any.
std::function<int()> add_device_command(CLI::App& app);

}  // namespace gammalab::app
