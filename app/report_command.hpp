#pragma once
#include <CLI/CLI.hpp>

#include <functional>

namespace gammalab::app {

// `gammalab report DIR... -o report.html`: one self-contained HTML page (figures
// embedded) that sets every prediction of the engine beside its measurement.
std::function<int()> add_report_command(CLI::App& app);

}  // namespace gammalab::app
