#include "sim/model/mlp_network.hpp"

#include <cmath>
#include <string>

#include "sim/model/random.hpp"

namespace gammalab::sim {

std::vector<double> rms_sizes(const MlpForward& now) {
  std::vector<double> sizes;
  for (const auto& x : now.features) sizes.push_back(rms(x));
  sizes.push_back(rms(now.output));
  return sizes;
}

std::vector<double> rms_changes(const MlpForward& now, const MlpForward& initial) {
  std::vector<double> sizes;
  for (std::size_t l = 0; l < now.features.size(); ++l) sizes.push_back(rms(now.features[l] - initial.features[l]));
  sizes.push_back(rms(now.output - initial.output));
  return sizes;
}

const gamma::Vocabulary<Nonlinearity>& nonlinearities() {
  static const gamma::Vocabulary<Nonlinearity> vocabulary(
      "nonlinearity", {{Nonlinearity::Relu, "relu", "ReLU", {}}, {Nonlinearity::Tanh, "tanh", "tanh", {}}});
  return vocabulary;
}

void set_parametrization(MlpNetworkSpec& spec, const gamma::MlpModel& model, double eta) {
  spec.layers = model.layers;
  spec.optimizer.kind = model.optimizer;
  const double n = spec.width;
  for (gamma::LayerGroup g : gamma::kLayerGroups) {
    const auto i = static_cast<std::size_t>(g);
    spec.a[i] = static_cast<double>(model.group(g).a);
    spec.b[i] = static_cast<double>(model.group(g).b);
    spec.learning_rates[i] = eta * std::pow(n, -static_cast<double>(model.group(g).c));
  }
}

namespace {

std::size_t group_of(int l, int layers) { return static_cast<std::size_t>(gamma::group_of_layer(l, layers)); }

struct Data {
  Eigen::MatrixXd inputs;    // d × B
  Eigen::RowVectorXd targets;  // 1 × B
};

Data make_data(const MlpNetworkSpec& spec) {
  Rng inputs(spec.data_seed, "mlp-inputs"), targets(spec.data_seed, "mlp-targets");
  return {inputs.normal_matrix(spec.input_dimension, spec.batch, 1 / std::sqrt(static_cast<double>(spec.input_dimension))),
          targets.normal_matrix(1, spec.batch, 1.0)};
}

Eigen::MatrixXd activate(Nonlinearity phi, const Eigen::MatrixXd& h) {
  switch (phi) {
    case Nonlinearity::Relu: return h.cwiseMax(0.0);
    case Nonlinearity::Tanh: return h.array().tanh().matrix();
  }
  return {};
}

Eigen::MatrixXd derivative(Nonlinearity phi, const Eigen::MatrixXd& h) {
  switch (phi) {
    case Nonlinearity::Relu: return (h.array() > 0).cast<double>().matrix();
    case Nonlinearity::Tanh: return (1 - h.array().tanh().square()).matrix();
  }
  return {};
}

// The multiplier n^-aˡ of each layer's weights.
std::vector<double> multipliers(const MlpNetworkSpec& spec) {
  std::vector<double> m;
  for (int l = 1; l <= spec.layers + 1; ++l) m.push_back(std::pow(static_cast<double>(spec.width), -spec.a[group_of(l, spec.layers)]));
  return m;
}

// One forward pass: the preactivations hˡ (index l − 1) and the features.
struct Pass {
  std::vector<Eigen::MatrixXd> preactivations, features;
  Eigen::RowVectorXd output;
};

Pass forward(const MlpNetworkSpec& spec, const std::vector<Eigen::MatrixXd>& w, const std::vector<double>& m, const Data& data) {
  Pass pass;
  const Eigen::MatrixXd* input = &data.inputs;
  for (int l = 1; l <= spec.layers; ++l) {
    pass.preactivations.push_back(m[l - 1] * (w[l - 1] * *input));
    pass.features.push_back(activate(spec.nonlinearity, pass.preactivations.back()));
    input = &pass.features.back();
  }
  pass.output = m[spec.layers] * (w[spec.layers] * *input);
  return pass;
}

// ∂loss/∂wˡ by the chain rule: dL/df = (f − y)/B; ∂/∂Wˡ = dhˡ ⊗ xˡ⁻¹ summed over the
// batch; ∂/∂wˡ = n^-aˡ ∂/∂Wˡ; dhˡ⁻¹ = (Wˡᵀ dhˡ) ⊙ φ'(hˡ⁻¹).
std::vector<Eigen::MatrixXd> backward(const MlpNetworkSpec& spec, const std::vector<Eigen::MatrixXd>& w, const std::vector<double>& m,
                                      const Data& data, const Pass& pass) {
  const int L = spec.layers;
  std::vector<Eigen::MatrixXd> gradients(static_cast<std::size_t>(L) + 1);
  Eigen::MatrixXd upstream = (pass.output - data.targets) / static_cast<double>(spec.batch);  // dL/df, 1 × B
  for (int l = L + 1; l >= 1; --l) {
    const Eigen::MatrixXd& below = l == 1 ? data.inputs : pass.features[l - 2];
    gradients[l - 1] = m[l - 1] * (upstream * below.transpose());
    if (l > 1) upstream = (m[l - 1] * (w[l - 1].transpose() * upstream)).cwiseProduct(derivative(spec.nonlinearity, pass.preactivations[l - 2]));
  }
  return gradients;
}

double loss_of(const Pass& pass, const Data& data) { return 0.5 * (pass.output - data.targets).squaredNorm() / static_cast<double>(data.targets.size()); }

}  // namespace

std::vector<Eigen::MatrixXd> initial_mlp_weights(const MlpNetworkSpec& spec) {
  std::vector<Eigen::MatrixXd> w;
  for (int l = 1; l <= spec.layers + 1; ++l) {
    const Eigen::Index rows = l == spec.layers + 1 ? 1 : spec.width, cols = l == 1 ? spec.input_dimension : spec.width;
    // Each width draws its own weights (its stream named by it), so that every (width,
    // seed) is an independent network, as the bootstrap over seeds takes it.
    Rng rng(spec.seed, "mlp-layer-" + std::to_string(l) + "-width-" + std::to_string(spec.width));
    w.push_back(rng.normal_matrix(rows, cols, std::pow(static_cast<double>(spec.width), -spec.b[group_of(l, spec.layers)])));
  }
  return w;
}

MlpLoss mlp_loss(const MlpNetworkSpec& spec, const std::vector<Eigen::MatrixXd>& weights) {
  const Data data = make_data(spec);
  const auto m = multipliers(spec);
  const Pass pass = forward(spec, weights, m, data);
  return {loss_of(pass, data), pass.output, backward(spec, weights, m, data, pass)};
}

void train_mlp(const MlpNetworkSpec& spec, const std::function<bool(const MlpForward&)>& observe) {
  const Data data = make_data(spec);
  const auto m = multipliers(spec);
  std::vector<Eigen::MatrixXd> w = initial_mlp_weights(spec);
  std::vector<AdamMoments> moments(w.size());
  Pass pass = forward(spec, w, m, data);
  for (int t = 0;; ++t) {
    if (!observe({t, pass.features, pass.output}) || t == spec.steps || !pass.output.allFinite()) return;
    const auto gradients = backward(spec, w, m, data, pass);
    for (int l = 1; l <= spec.layers + 1; ++l) {
      const double lr = spec.learning_rates[group_of(l, spec.layers)];
      if (lr != 0) apply_update(spec.optimizer, t + 1, lr, gradients[l - 1], w[l - 1], moments[l - 1]);
    }
    pass = forward(spec, w, m, data);
  }
}

}  // namespace gammalab::sim
