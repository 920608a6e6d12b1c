#pragma once
// The spec of the MLP experiments (`gammalab reproduce mlp-coordcheck`, `mlp-lr`): a
// TOML file whose keys are checked as a sweep's are (sim/sweep/spec_tables.hpp). The
// reference of every key is in docs/simulator.md, "The MLP experiments".
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "gamma/mlp.hpp"
#include "sim/model/mlp_network.hpp"
#include "sim/sweep/sweep_spec.hpp"

namespace gammalab::sim {

// How a learning-rate sweep finds, at one width and seed, the largest stable rate of one
// layer group trained alone: a run is unstable when at some step its output is not
// finite, some layer's features have moved by more than `bound` times their initial RMS
// (RMS Δxˡ_t > bound · RMS xˡ_0), or the output by more than `bound` (RMS Δf_t > bound,
// the targets being of unit size). From `start`, the rate is doubled or halved until it
// brackets the edge, then bisected in log η until the two ends differ by at most a
// factor 1 + precision; the edge is their geometric mean.
struct MlpEdgeSpec {
  std::vector<gamma::LayerGroup> groups = {gamma::LayerGroup::Input, gamma::LayerGroup::Hidden, gamma::LayerGroup::Readout};
  double bound = 1.0;
  double start = 1.0;
  double precision = 0.05;
  // An edge outside these is not found (counted in mlp-lr.json); not a key of the spec:
  // 24 decades hold every edge of the four presets at any width a run fits in memory.
  double lowest = 1e-12, highest = 1e12;
};

// The widest network the spec accepts: three n × n matrices per hidden layer (weights and
// Adam's two moments) and the gradient, in FP64, are 4.3 GB at 2^14 and one run per thread.
inline constexpr int kMaxMlpWidth = 1 << 14;

struct MlpExperimentSpec {
  std::string name = "mlp";
  Scale scale = Scale::Custom;
  std::vector<int> widths;
  std::vector<std::uint64_t> seeds;
  std::vector<gamma::Parametrization> parametrizations = {gamma::Parametrization::Sp, gamma::Parametrization::Ntk,
                                                          gamma::Parametrization::Mfp, gamma::Parametrization::Mup};
  std::vector<gamma::Optimizer> optimizers = {gamma::Optimizer::Sgd, gamma::Optimizer::Adam};
  // The network and training of every run: layers, d, B, φ, steps, Adam's β and ε, the
  // data seed. Its width, seed, exponents and rates are each run's.
  MlpNetworkSpec network;
  // The coordinate check's η in ηˡ = η·n^-cˡ, per optimiser.
  double eta_sgd = 0.1, eta_adam = 0.01;
  MlpEdgeSpec edge;
  int bootstrap = 1000;
  double margin = 0.125;  // of the learning-rate slopes' verdicts, as a sweep's ([analysis] margin)

  double eta(gamma::Optimizer optimizer) const { return optimizer == gamma::Optimizer::Sgd ? eta_sgd : eta_adam; }
};

MlpExperimentSpec parse_mlp_spec(const std::string& text, const std::string& origin);
MlpExperimentSpec load_mlp_spec(const std::string& path);
// The spec as data, for the result files: every value explicit.
nlohmann::json mlp_spec_to_json(const MlpExperimentSpec& spec);

}  // namespace gammalab::sim
