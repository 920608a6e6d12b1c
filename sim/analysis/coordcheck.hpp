#pragma once
// The coordinate check: train with η = C·n^γ[η] for a few steps at several widths and
// measure the root-mean-square coordinate size of each quantity at each step; fit its
// exponent in n (least squares of log RMS against log n, interval by a bootstrap over
// seeds) and set it beside the γ engine's exact exponent for the same scheme, network
// setting, readout and optimiser, step by step, with a verdict per quantity. The
// bootstrap, the 95% interval, the slope and the verdict ("agrees" within the one
// tolerance) are sim/analysis/statistics.hpp's, as in the sweep analysis.
#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

#include "gamma/lora_dynamics.hpp"
#include "sim/model/trainer.hpp"
#include "sim/analysis/statistics.hpp"

namespace gammalab::sim {

struct CoordCheckSpec {
  std::string scheme = "A";
  std::string eta_exponent = "-1/2";  // exact text, for the engine
  double eta_constant = 1.0;
  std::vector<int> widths = {128, 256, 512, 1024, 2048, 4096};
  int steps = 4;
  std::vector<std::uint64_t> seeds = {0, 1, 2, 3};
  Readout readout = Readout::Standard;
  TrainSpec training;  // optimiser, rank, α and init options; learning rates and steps are set here
  TeacherSpec data;
  int bootstrap = 1000;
};

// The quantities a coordinate check measures, the engine's own (their keys and symbols:
// gamma::info); a coordinate-check document lists them with both, for its readers.
inline const std::vector<gamma::Quantity> kCoordQuantities = {gamma::Quantity::Z_A,    gamma::Quantity::Z_B,
                                                              gamma::Quantity::dZ_B,   gamma::Quantity::delta1,
                                                              gamma::Quantity::delta2, gamma::Quantity::B,
                                                              gamma::Quantity::df};

// RMS coordinate sizes: [width][seed][step][quantity], NaN where a quantity does not
// exist (updates at step 0).
struct CoordMeasurements {
  std::vector<std::vector<std::vector<std::vector<double>>>> rms;
};
// The (width, seed) runs are independent: `threads` of them run at once, and the
// measurements do not depend on how many.
CoordMeasurements measure_coordinates(const CoordCheckSpec& spec, int threads = 1);

// The exponent in n of one quantity measured by every seed at every width (rms(w, s):
// width index, replicate index), fitted and held against the engine's exact exponent —
// the slope of the seed-averaged log RMS against log n, its bootstrap interval and the
// verdict: {"slope", "interval", "verdict"} and, where both exist, "gap" (slope − engine).
// The LoRA and the MLP coordinate checks (sim/analysis/mlp_coordcheck.hpp) both fit so.
nlohmann::json fit_coordinate_exponent(const std::vector<int>& widths, const std::function<double(std::size_t, std::size_t)>& rms,
                                       const gamma::MaxAffine& exact, const SeedBootstrap& bootstrap);

// The fitted exponents, the engine's, and verdicts, as JSON:
// {"rows": [{"step", "quantity", "slope", "interval", "engine", "verdict"}], ...}
nlohmann::json fit_coordinates(const CoordCheckSpec& spec, const CoordMeasurements& measurements);
std::string describe_coordcheck(const nlohmann::json& fitted);

// The measurements as coordcheck.csv: width,seed,step,quantity,rms (rows where a
// quantity exists).
std::string coordcheck_csv(const CoordCheckSpec& spec, const CoordMeasurements& measurements);

}  // namespace gammalab::sim
