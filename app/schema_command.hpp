#pragma once
#include <CLI/CLI.hpp>

#include <functional>

namespace gammalab::app {

// `gammalab schema [NAME]`: the JSON Schema of each file gammalab writes (schema/ of the
// source tree, compiled in), or the list of them.
std::function<int()> add_schema_command(CLI::App& app);

}  // namespace gammalab::app
