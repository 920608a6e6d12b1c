#pragma once
// A deep MLP in the abc convention of Tensor Programs IV, at one finite width: the
// network gamma/mlp.hpp follows in exponents, trained here so that its exponents can be
// measured (sim/analysis/mlp_coordcheck.hpp, sim/analysis/mlp_rates.hpp).
//
//   h¹ = W¹ ξ,  xˡ = φ(hˡ),  hˡ = Wˡ xˡ⁻¹ (l = 2 … L),  f = W^{L+1} x^L,
//   Wˡ = n^-aˡ wˡ, the entries of wˡ drawn N(0, n^-2bˡ), and wˡ trained with its own
//   learning rate ηˡ (the engine's η n^-cˡ, already evaluated at this width).
//
// The data: a fixed batch of B inputs ξ ∈ R^d, entries N(0, 1/d) (so ‖ξ‖ ≈ 1 and h¹ is
// Θ(1) when W¹'s entries are), with targets y ~ N(0, 1), the same at every step (full
// batch, as the engine's fixed input). The loss is ½·mean_b (f_b − y_b)². Everything in
// FP64 with Eigen.
#include <Eigen/Dense>

#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "gamma/mlp.hpp"
#include "gamma/vocabulary.hpp"
#include "sim/model/coordinate_size.hpp"
#include "sim/model/optimizer.hpp"

namespace gammalab::sim {

// φ: both satisfy what the engine assumes (φ(0) = 0, φ' = Θ(1) on a Θ(1) fraction of an
// O(1) preactivation's coordinates). ReLU is the default of the experiments: it is
// positively homogeneous, so a change that grows with n shows in xˡ as it does in hˡ,
// where tanh would saturate at 2 and hide the growth the engine predicts.
enum class Nonlinearity { Relu, Tanh };
const gamma::Vocabulary<Nonlinearity>& nonlinearities();  // "relu", "tanh"

struct MlpNetworkSpec {
  int width = 256;           // n
  int layers = 3;            // L hidden layers
  int input_dimension = 16;  // d
  int batch = 16;            // B
  Nonlinearity nonlinearity = Nonlinearity::Relu;
  // Per layer group (gamma::LayerGroup's order: input, hidden, readout): aˡ and bˡ, and
  // the learning rate ηˡ at this width; 0 leaves a group untrained.
  std::array<double, 3> a{}, b{}, learning_rates{};
  // Adam's ε far below any gradient entry, so that its step is the sign-like one the
  // engine assumes (ε = 1e-8 would shrink steps where gradients are small at large n).
  OptimizerSpec optimizer = {.kind = Optimizer::Adam, .epsilon = 1e-16};
  int steps = 4;
  std::uint64_t seed = 0;       // the initial weights
  std::uint64_t data_seed = 0;  // the inputs and targets
};

// a, b of every group from the engine's model, and ηˡ = eta·n^-cˡ; the optimiser's kind
// too (its other settings are the spec's).
void set_parametrization(MlpNetworkSpec& spec, const gamma::MlpModel& model, double eta);

// What the network computes at one step: xˡ for l = 1 … L (n × B each, index l − 1)
// and f (1 × B), on the batch, with the weights after `step` updates.
struct MlpForward {
  int step = 0;
  std::vector<Eigen::MatrixXd> features;
  Eigen::RowVectorXd output;
};

// The RMS of each layer's features (index l − 1), then the output's; and of their
// change since step 0.
std::vector<double> rms_sizes(const MlpForward& now);
std::vector<double> rms_changes(const MlpForward& now, const MlpForward& initial);

// Trains `spec.steps` full-batch steps, showing the forward pass before the first update
// (step 0) and after each update. Stops after a step whose output is not finite, or
// where `observe` returns false (it has seen enough: a learning-rate sweep's run that
// has already crossed its bound).
void train_mlp(const MlpNetworkSpec& spec, const std::function<bool(const MlpForward&)>& observe);

// The output f and the loss ½·mean_b (f_b − y_b)² of the network with weights w (index l − 1, the
// parameters before the n^-a factor) on spec's data, and its gradient with respect to
// each wˡ: the trainer's own backward pass, exposed so that a test can hold it against
// finite differences.
struct MlpLoss {
  double value;
  Eigen::RowVectorXd output;  // f on the batch
  std::vector<Eigen::MatrixXd> gradients;
};
MlpLoss mlp_loss(const MlpNetworkSpec& spec, const std::vector<Eigen::MatrixXd>& weights);
// The initial weights w¹ … w^{L+1} of spec.seed.
std::vector<Eigen::MatrixXd> initial_mlp_weights(const MlpNetworkSpec& spec);

}  // namespace gammalab::sim
