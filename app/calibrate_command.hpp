#pragma once
#include <CLI/CLI.hpp>

#include <functional>

namespace gammalab::app {

// `gammalab calibrate [SPEC...]`: the analysis's intervals and verdicts on synthetic sweeps
// whose truth is known (sim/analysis/calibration.hpp), at the widths, seeds, resamples and margin
// of each spec (default: the specs of the experiments that print verdicts).
std::function<int()> add_calibrate_command(CLI::App& app);

}  // namespace gammalab::app
